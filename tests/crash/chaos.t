#!/bin/sh
# Chaos under real supervisors: the four stages and the fake LogRhythm agent,
# each a service, under s6-svscan and then under runsvdir (runit). While new
# SIEM files keep arriving at the emulator, a seeded random loop SIGKILLs a
# random stage at random moments (a bounded number of times, half through
# the supervisor, half with kill -9 of the service's pid) and lets the
# supervisor restart it. At the end, once quiescent: every SIEM record the
# emulator served reached the agent exactly once, every audit event of the
# first window is in audit/ exactly once, no partial or changing file was
# ever visible in read_path or archive_dir (sampled all along), nothing is
# left in tmp/, nothing quarantined; each stage stops on SIGTERM within 2 s;
# and once torn down no process of the supervision is left.
#   CHAOS_SEED=N       the RNG seed (default: the date; printed)
#   CHAOS_SECONDS=S    length of the kill loop per supervisor (default 30)
#   CHAOS_KILLS=K      at most K kills per supervisor (default 14)
. "$MCSPOOL_TOP/tests/lib.sh"
. "$MCSPOOL_TOP/tests/emu/emu.sh"
. "$MCSPOOL_TOP/tests/crash/supervise_lib.sh"
SAMPLER="$MCSPOOL_TOP/tests/crash/sampler.py"

for p in s6-svscan s6-svc s6-svstat runsvdir sv; do
	command -v $p >/dev/null || t_skip_all "$p is not installed (make deps)"
done
t_setup
emu_start "$T" >/dev/null || t_skip_all "the emulator did not start"
t_at_exit emu_stop
t_at_exit sv_stop
SEED=${CHAOS_SEED:-$(date +%s)}
SECS=${CHAOS_SECONDS:-30}
KILLS=${CHAOS_KILLS:-14}
t_diag "seed $SEED (rerun with CHAOS_SEED=$SEED), ${SECS}s, at most $KILLS kills per supervisor"

# The plan for one supervisor: lines "delay stage how", drawn from the seed.
plan_kills() {
	awk -v seed="$1" -v n="$KILLS" 'BEGIN {
		srand(seed)
		split("fetch split move reap fetch split move", st, " ")
		for (i = 0; i < n; i++)
			printf "%.2f %s %s\n", 0.3 + rand() * 2.5, st[1 + int(rand() * 7)], (rand() < 0.5 ? "svc" : "pid")
	}'
}

# Quiescent: raw/, mta/, read_path and tmp/ empty, the archive not, every
# record the emulator can serve read, and it stays so for 2 s.
wait_quiet() {
	want=$(($(wc -l <"$1/appended") + 331))
	i=0 still=0
	while [ $i -lt 300 ]; do
		i=$((i + 1))
		got=$(cat "$1/agent.out" 2>/dev/null | wc -l)
		if pl_quiet "$1" && [ "$got" -ge "$want" ] && [ "$(pl_files "$1/archive")" -gt 0 ]; then
			still=$((still + 1))
			[ $still -ge 10 ] && return 0
		else
			still=0
		fi
		sleep 0.2
	done
	return 1
}

t_plan 20
n_sv=0
for kind in s6 runit; do
	n_sv=$((n_sv + 1))
	D=$T/$kind
	emu_ctl POST /_emu/reset '{}' >/dev/null
	PL_MAX_FILES=5 PL_MAX_BYTES=8192 PL_POLL=10 PL_MIMECAST='  audit_lag_seconds = 60' pl_conf "$D"
	mkdir -p "$D/data"
	t0=$(date +%s)
	sv_build "$kind" "$D" "$D/service"
	"$PL_PY" "$SAMPLER" "$D/sampler.stop" "$D/sampler.out" "$D/read" "$D/archive" &
	SAMPLER_PID=$!
	t_at_exit "kill $SAMPLER_PID 2>/dev/null"
	sv_start "$kind" "$D/service"

	# The chaos: kills as planned, a few new SIEM files every few kills.
	start=$(date +%s)
	kills=0 k=0
	plan_kills $((SEED + n_sv)) >"$D/plan"
	while read -r delay stage how; do
		[ $(($(date +%s) - start)) -ge "$SECS" ] && break
		k=$((k + 1))
		[ $((k % 3)) = 1 ] && pl_append "$D" 2 "$kind$k"
		sleep "$delay"
		pid=$(sv_pid "mcspool-$stage")
		[ -n "$pid" ] || continue
		if [ "$how" = svc ]; then sv_kill "mcspool-$stage"; else kill -9 "$pid"; fi
		kills=$((kills + 1))
		echo "$(date +%T) killed mcspool-$stage ($how, pid $pid)" >>"$D/kills"
	done <"$D/plan"
	# The rest of the time, no kills: data still arriving.
	while [ $(($(date +%s) - start)) -lt "$SECS" ]; do
		k=$((k + 1))
		pl_append "$D" 1 "$kind$k"
		sleep 2
	done
	t_diag "$kind: $kills kills: $(cut -d' ' -f3 "$D/kills" 2>/dev/null | sort | uniq -c | tr '\n' ' ')"
	t_ok "$kind: several stages killed and restarted by the supervisor ($kills kills)" [ "$kills" -ge 3 ]

	t_ok "$kind: quiescent after the chaos" wait_quiet "$D"
	: >"$D/sampler.stop"
	wait "$SAMPLER_PID"
	t_diag "$kind sampler: $(tail -n 1 "$D/sampler.out")"
	t_is "$kind: no partial or changing file ever visible in read_path or archive_dir" \
		"$(sed '$d' "$D/sampler.out" | head -n 3)" ""
	t_ok "$kind: every SIEM record reached the agent exactly once" pl_check_siem "$D"
	t_ok "$kind: every audit event of the first window in audit/ exactly once" pl_check_audit "$D" "$t0" 60
	t_is "$kind: nothing left in tmp/" "$(find "$D/data/tmp" "$D/.mcspool-tmp" -type f 2>/dev/null)" ""
	t_is "$kind: nothing quarantined" "$(ls "$D/data/bad")" ""

	# SIGTERM: each stage down within 2 s.
	slow=
	for s in fetch split move reap; do
		if [ "$kind" = s6 ]; then
			s6-svc -wd -T 2000 -d "$D/service/mcspool-$s" 2>/dev/null || slow="$slow $s"
		else
			sv -w 2 down "$D/service/mcspool-$s" >/dev/null 2>&1 || slow="$slow $s"
		fi
	done
	t_is "$kind: every stage down within 2 s of SIGTERM" "$slow" ""
	t_is "$kind: no fatal error from any stage" "$(grep -c ': fatal: ' "$D/stages.err")" 0
	grep ': fatal: ' "$D/stages.err" | head -3 | sed 's/^/# /'

	sv_stop
	sleep 0.2
	t_is "$kind: supervision torn down, no process left" "$(sv_leftovers "$D" | tr '\n' ' ')" ""
done
t_done
