#!/bin/sh
# The crash matrix across the pipeline (API 1.0). For every failpoint of
# doc/failpoints.md that mcspool-fetch, -split, -move or -reap reaches: run
# the pipeline by hand (fetch, split, move --once, the fake agent) with
# MCSPOOL_FAILPOINT=name set for one stage until that stage is killed there
# once, then on without failpoints until quiescent, and check end to end:
# every SIEM record the emulator served read by the agent exactly once,
# every audit event of the first window in audit/ once, nothing left in
# tmp/, nothing quarantined (or exactly the poisoned input, for the splitter's
# quarantine points). The per-stage crash tests (tests/crash/*_crash.t) check
# each stage alone at many hit counts; this one checks the hand-offs.
# The shared spool-*/state-* points run in every stage that reaches them;
# the copy points with read_path on another filesystem (a tmpfs; skipped if
# mount is refused). Three workers, each with its own emulator.
. "$MCSPOOL_TOP/tests/lib.sh"
. "$MCSPOOL_TOP/tests/emu/emu.sh"
. "$MCSPOOL_TOP/tests/crash/supervise_lib.sh"
DOC="$MCSPOOL_TOP/doc/failpoints.md"
t_setup

# stage:failpoint[:mode], mode cross (read_path on a tmpfs), poison (an input
# with a bad record), poisonpayload (a zip whose member fails its CRC).
generic() {
	case $1 in
	spool-after-create | spool-before-fsync | spool-before-rename) echo "fetch split move:cross" ;;
	spool-after-rename | spool-after-dirsync) echo "fetch split move" ;;
	spool-copy-written) echo "move:cross" ;;
	state-before-rename | state-after-rename) echo "fetch split move" ;;
	esac
}
cases=
unknown=
for fp in $(sed -n 's/^| `\([a-z0-9-]*\)` |.*/\1/p' "$DOC"); do
	case $fp in
	fetch-siem2-*) continue ;; # API 2.0: tests/crash/fetch2_crash.t
	fetch-*) cases="$cases fetch:$fp" ;;
	split-bad-published) cases="$cases split:$fp:poison" ;;
	split-why-published) cases="$cases split:$fp:poisonpayload" ;;
	split-part-published) cases="$cases split:$fp split:$fp:poison" ;;
	split-*) cases="$cases split:$fp:poison" ;;
	move-copied | move-source-removed) cases="$cases move:$fp:cross" ;;
	move-*) cases="$cases move:$fp" ;;
	reap-*) cases="$cases reap:$fp" ;;
	*)
		g=$(generic "$fp")
		[ -n "$g" ] || unknown="$unknown $fp"
		for s in $g; do
			case $s in *:*) cases="$cases ${s%:*}:$fp:${s#*:}" ;; *) cases="$cases $s:$fp" ;; esac
		done
		;;
	esac
done
n=0
for c in $cases; do n=$((n + 1)); done
t_plan $((n * 3 + 1))
t_is "every documented failpoint of fetch (API 1.0), split, move and reap is in the matrix" "$unknown" ""

# One case, in directory $W/c (the worker's emulator running): TAP-less
# results, three lines "ok|not ok<TAB>name<TAB>diagnostics".
run_case() {
	c=$1 W=$2
	stage=${c%%:*} rest=${c#*:}
	fp=${rest%%:*} mode=
	[ "$rest" != "$fp" ] && mode=${rest#*:}
	D=$W/c
	rm -rf "$D"
	mkdir -p "$D"
	emu_ctl POST /_emu/reset '{}' >/dev/null
	PL_READ=
	if [ "$mode" = cross ]; then
		[ -n "$W_MNT" ] || { printf 'skip\t%s\n' "no tmpfs for read_path" >"$W/result"; return; }
		rm -rf "$W_MNT/read" "$W_MNT/.mcspool-tmp"
		PL_READ=$W_MNT/read
	fi
	pl_conf "$D"
	read=$(cat "$D/readpath")
	pl_append "$D" 2 "m"
	want_bad=0
	case $mode in
	poison)
		# Two good records and one that is not UTF-8: the bad one goes to
		# bad/<input>.lines (and .lines.why), the good ones on.
		printf 'datetime=2024-11-25T13:42:18+0200|aCode=poisonok1|acc=CXX00A000\n' >>"$D/appended"
		printf 'datetime=2024-11-25T13:42:18+0200|aCode=poisonok2|acc=CXX00A000\n' >>"$D/appended"
		b64=$(printf 'datetime=2024-11-25T13:42:18+0200|aCode=poisonok1|acc=CXX00A000\rdatetime=2024-11-25T13:42:18+0200|aCode=bad\377\376|acc=CXX00A000\rdatetime=2024-11-25T13:42:18+0200|aCode=poisonok2|acc=CXX00A000\r' | base64 -w0)
		emu_ctl POST /_emu/siem/append "{\"files\":[{\"kind\":\"kv\",\"type\":\"receipt\",\"data_b64\":\"$b64\"}]}" >/dev/null
		want_bad=2
		;;
	poisonpayload)
		# A zip with a sound structure (the fetcher takes it) whose member
		# fails its CRC: the splitter quarantines the whole payload.
		b64=$("$PL_PY" -c '
import base64, io, sys, zipfile
b = io.BytesIO()
with zipfile.ZipFile(b, "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("receipt_crc.log", b"datetime=2024-11-25T13:42:18+0200|aCode=crc|acc=CXX00A000\r" * 20)
d = bytearray(b.getvalue())
d[30 + len("receipt_crc.log") + 3] ^= 0xFF
sys.stdout.write(base64.b64encode(bytes(d)).decode())')
		emu_ctl POST /_emu/siem/append "{\"files\":[{\"kind\":\"zip-kv\",\"type\":\"receipt\",\"data_b64\":\"$b64\"}]}" >/dev/null
		want_bad=2
		;;
	esac
	t0=$(date +%s)
	if [ "$stage" = reap ]; then
		pl_drain "$D"
		ok1=$pl_ok
		# Eight days later, the reaper with the failpoint until killed there, then without.
		find "$D/archive" "$D/data/audit" -type f -exec touch -d '8 days ago' {} +
		hit=0 ri=0
		while [ $hit = 0 ] && [ $ri -lt 5 ]; do
			ri=$((ri + 1))
			pl_stage "$D" reap "$fp"
			[ "$pl_rc" = 137 ] && hit=1
		done
		pl_stage "$D" reap
		r1="$hit $ok1 $pl_rc $(pl_files "$D/archive" "$D/data/audit")"
		r1w="1 1 0 0"
	else
		pl_drain "$D" "$stage" "$fp"
		r1="$pl_hit $pl_ok $(pl_quiet "$D" && echo quiet)"
		r1w="1 1 quiet"
	fi
	{
		if [ "$r1" = "$r1w" ]; then printf 'ok\t%s\t\n' "$c: killed once, then drained cleanly"
		else printf 'not ok\t%s\t%s\n' "$c: killed once, then drained cleanly" "got '$r1' want '$r1w' after $pl_rounds rounds; $(grep -v ': info: ' "$D/stages.err" | tail -n 3 | tr '\n\t' '  ')"; fi
		if pl_check_siem "$D" >/dev/null; then printf 'ok\t%s\t\n' "$c: every SIEM record read exactly once"
		else printf 'not ok\t%s\t%s\n' "$c: every SIEM record read exactly once" "$(grep -v '^#* *[0-9]* records expected' "$D/check.out" | head -n 4 | tr '\n\t' '  ')"; fi
		if [ "$stage" = reap ]; then
			aud=0
		else
			pl_check_audit "$D" "$t0" >/dev/null
			aud=$pl_crc
		fi
		left="$(find "$D/data/tmp" "$read" -type f 2>/dev/null | wc -l) $(ls "$D/data/bad" | wc -l)"
		if [ "$aud" = 0 ] && [ "$left" = "0 $want_bad" ]; then printf 'ok\t%s\t\n' "$c: audit once, tmp/ and read_path empty, bad/ as expected"
		else printf 'not ok\t%s\t%s\n' "$c: audit once, tmp/ and read_path empty, bad/ as expected" "audit check $aud; tmp+read files, bad/ entries: '$left' want '0 $want_bad'; $(head -c 300 "$D/check.out" | tr '\n\t' '  ')"; fi
	} >"$W/result"
}

# A worker: its own emulator and directory; runs every case whose index
# modulo the worker count is its number, writing results to $T/r.<index>.
worker() {
	k=$1 W=$T/w$1
	mkdir -p "$W"
	W_MNT=
	# A subshell does not inherit the test's traps: stop our own emulator.
	trap 'emu_stop; [ -n "$W_MNT" ] && umount -l "$W_MNT"; exit 1' INT TERM
	emu_start "$W" >/dev/null 2>&1 || exit 1
	mkdir -p "$W/mnt"
	if mount -t tmpfs -o size=16m tmpfs "$W/mnt" 2>/dev/null; then
		W_MNT=$W/mnt
	fi
	wi=0
	for wc in $cases; do
		wi=$((wi + 1))
		[ $((wi % 3)) = "$k" ] || continue
		run_case "$wc" "$W"
		mv "$W/result" "$T/r.$wi"
	done
	[ -n "$W_MNT" ] && umount "$W/mnt"
	emu_stop
}
cleanup_mounts() {
	for k in 0 1 2; do
		mountpoint -q "$T/w$k/mnt" 2>/dev/null && umount -l "$T/w$k/mnt"
	done
}
t_at_exit cleanup_mounts
worker 0 &
p0=$!
worker 1 &
p1=$!
worker 2 &
p2=$!
t_at_exit "kill $p0 $p1 $p2 2>/dev/null"
wait $p0
wait $p1
wait $p2

i=0
for c in $cases; do
	i=$((i + 1))
	if [ ! -f "$T/r.$i" ]; then
		for a in 1 2 3; do t_fail "$c: not run (worker died)"; done
		continue
	fi
	if [ "$(cut -f1 "$T/r.$i" | head -n 1)" = skip ]; then
		for a in 1 2 3; do t_n=$((t_n + 1)); echo "ok $t_n - $c # SKIP $(cut -f2 "$T/r.$i")"; done
		continue
	fi
	while IFS='	' read -r st name diag; do
		if [ "$st" = ok ]; then t_pass "$name"; else t_fail "$name"; t_diag "$diag"; fi
	done <"$T/r.$i"
done
t_done
