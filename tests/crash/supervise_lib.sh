# tests/crash/supervise_lib.sh: the whole pipeline (API 1.0) for the
# cross-stage tests (tests/crash/chaos.t, tests/crash/matrix.t,
# tests/integ/faults.t, tests/integ/failure_modes.t). Not a test itself.
#
#   pl_conf D [extra top-level lines]  D/mcspool.conf against $EMU_URL, D/{data,read,archive,lrstate}
#                                      (read_path $PL_READ if set; D/readpath says which)
#   pl_round D [stage FAILPOINT]       one hand-driven round: fetch, split, move --once, agent --once
#                                      (pl_killed=1 when the failpointed stage died of SIGKILL)
#   pl_drain D [stage FAILPOINT]       rounds until quiescent (pl_rounds, pl_ok=0 if a run failed)
#   pl_append D N SEED                 N new kv files of unique records at the emulator,
#                                      their records listed in D/appended
#   pl_check_siem D / pl_check_audit D T0   exactly once, against the emulator (e2e_check.py)
#   pl_quiet D                         nothing left in raw/, mta/, read_path or tmp/
#   sv_build KIND D SVDIR              a service directory per stage plus the fake agent,
#                                      KIND s6 or runit
#   sv_start KIND SVDIR / sv_stop      the supervisor, torn down completely (sv_stop is idempotent)
# The caller sources tests/lib.sh and tests/emu/emu.sh and has started the emulator.
PL_AGENT="$MCSPOOL_TOP/tests/fakes/lr_agent.py"
PL_CHECK="$MCSPOOL_TOP/tests/integ/e2e_check.py"
PL_PCHECK="$MCSPOOL_TOP/tests/crash/pipe_check.py"
[ "${MCSPOOL_SAN:-}" = 1 ] && ASAN_OPTIONS=detect_leaks=0 && export ASAN_OPTIONS
# The interpreter itself, not a version manager's shim: the agent runs
# hundreds of times.
PL_PY=$(python3 -c 'import sys; print(sys.executable)')
PL_ACCT=

pl_conf() {
	pl_d=$1
	shift
	mkdir -p "$pl_d/data" "${PL_READ:-$pl_d/read}" "$pl_d/archive" "$pl_d/lrstate"
	echo "${PL_READ:-$pl_d/read}" >"$pl_d/readpath"
	: >>"$pl_d/appended"
	if [ -z "$PL_ACCT" ]; then
		PL_ACCT=1
		PL_APP_ID=$(emu_account v1 main app_id) PL_APP_KEY=$(emu_account v1 main app_key)
		PL_ACCESS_KEY=$(emu_account v1 main access_key) PL_SECRET=$(emu_account v1 main secret_key)
	fi
	echo "$PL_SECRET" >"$pl_d/secret_key"
	chmod 600 "$pl_d/secret_key"
	{
		echo "data_dir = \"$pl_d/data\""
		echo "read_path = \"${PL_READ:-$pl_d/read}\""
		echo "archive_dir = \"$pl_d/archive\""
		echo "log_source_id = 3"
		echo "max_files = ${PL_MAX_FILES:-50}"
		[ -n "${PL_MAX_BYTES:-}" ] && echo "max_file_bytes = $PL_MAX_BYTES"
		echo "sandbox = \"${PL_SANDBOX:-on}\""
		echo "consumer { type = \"logrhythm\" state_dir = \"$pl_d/lrstate\" }"
		for l in "$@"; do echo "$l"; done
		echo "mimecast {"
		echo "  api = 1"
		echo "  base_url = \"$EMU_URL\""
		echo "  app_id = \"$PL_APP_ID\""
		echo "  app_key = \"$PL_APP_KEY\""
		echo "  access_key = \"$PL_ACCESS_KEY\""
		echo "  secret_key_file = \"$pl_d/secret_key\""
		[ -n "$EMU_CA" ] && echo "  ca_file = \"$EMU_CA\""
		echo "  compress = true"
		echo "  poll_seconds = ${PL_POLL:-300}"
		printf '%s\n' "${PL_MIMECAST:-}"
		echo "}"
	} >"$pl_d/mcspool.conf"
	chmod 600 "$pl_d/mcspool.conf"
}

# pl_stage D STAGE [FAILPOINT]: one --once run; pl_rc its status. A binary
# that cannot be executed (126: being relinked by a concurrent make in a
# shared tree) is tried once more a second later.
pl_stage() {
	pl_stage1 "$@"
	if [ "$pl_rc" = 126 ]; then
		sleep 1
		pl_stage1 "$@"
	fi
}
pl_stage1() {
	if [ -n "${3:-}" ]; then
		MCSPOOL_FAILPOINT=$3 timeout 120 "mcspool-$2" -c "$1/mcspool.conf" --once 2>>"$1/stages.err"
	else
		timeout 120 "mcspool-$2" -c "$1/mcspool.conf" --once 2>>"$1/stages.err"
	fi
	pl_rc=$?
}

pl_round() {
	pl_killed=0
	for pl_s in fetch split move; do
		pl_fp=
		[ "${2:-}" = "$pl_s" ] && pl_fp=$3
		pl_stage "$1" "$pl_s" "$pl_fp"
		if [ -n "$pl_fp" ] && [ "$pl_rc" = 137 ]; then
			pl_killed=1
		elif [ "$pl_rc" != 0 ]; then
			pl_ok=0
			echo "mcspool-$pl_s exited $pl_rc (failpoint '$pl_fp')" >>"$1/stages.err"
		fi
	done
	"$PL_PY" "$PL_AGENT" --once --out "$1/agent.out" "$(cat "$1/readpath")" "$1/lrstate" 3 || pl_ok=0
}

pl_files() { find "$@" -type f 2>/dev/null | wc -l; }

pl_quiet() {
	[ "$(pl_files "$1/data/raw" "$1/data/mta" "$(cat "$1/readpath")" "$1/data/tmp")" = 0 ]
}

# pl_drain D [STAGE FAILPOINT]: the failpoint is armed until the stage is
# killed once (pl_hit=1), then the rounds go on without it.
pl_drain() {
	pl_ok=1
	pl_hit=0
	pl_rounds=0
	while [ $pl_rounds -lt ${PL_MAX_ROUNDS:-40} ]; do
		pl_rounds=$((pl_rounds + 1))
		if [ $pl_hit = 0 ] && [ -n "${2:-}" ]; then
			pl_round "$1" "$2" "$3"
			[ $pl_killed = 1 ] && pl_hit=1 && continue
		else
			pl_round "$1"
		fi
		pl_quiet "$1" && [ "$(pl_files "$1/archive")" -gt 0 ] && break
	done
}

# pl_append D N SEED: N kv files of 3 records each, every record unique.
pl_append() {
	pl_ai=0
	pl_afiles=
	while [ $pl_ai -lt "$2" ]; do
		pl_ai=$((pl_ai + 1))
		pl_atext=
		for pl_ar in 1 2 3; do
			pl_arec="datetime=2024-11-25T13:42:18+0200|aCode=pl$3x${pl_ai}r$pl_ar|acc=CXX00A000|Sender=a$pl_ar@example.net|Recipient=user$pl_ai@example.com|Route=Inbound|IP=198.51.100.$pl_ar"
			echo "$pl_arec" >>"$1/appended"
			pl_atext="$pl_atext$pl_arec\\r"
		done
		pl_afiles="$pl_afiles${pl_afiles:+,}{\"kind\":\"kv\",\"type\":\"receipt\",\"text\":\"$pl_atext\"}"
	done
	emu_ctl POST /_emu/siem/append "{\"files\":[$pl_afiles]}" >/dev/null
}

pl_check_siem() {
	emu_ctl GET "/_emu/siem/queue?compress=true&fileFormat=key_value" >"$1/queue.json" &&
		"$PL_PY" "$PL_PCHECK" "$PL_CHECK" "$1/agent.out" "$1/queue.json" "$MCSPOOL_SAMPLES" "$1/appended" \
			>"$1/check.out" 2>&1
	pl_crc=$?
	sed 's/^#* */# /' "$1/check.out"
	return $pl_crc
}

pl_check_audit() {
	emu_ctl GET /_emu/audit/events >"$1/events.json" &&
		"$PL_PY" "$PL_CHECK" audit "$1/data/audit" "$1/events.json" "$2" "${3:-120}" >"$1/check.out" 2>&1
	pl_crc=$?
	sed 's/^#* */# /' "$1/check.out"
	return $pl_crc
}

# ---- supervision ------------------------------------------------------------
# sv_build KIND D SVDIR: one service per stage (run as the caller: the tests
# run as root with MCSPOOL_ALLOW_ROOT) and the fake agent, which pokes the
# mover after each cycle that read something.
sv_build() {
	sv_d=$2 sv_sd=$3
	mkdir -p "$sv_sd"
	for sv_s in fetch split move reap; do
		mkdir -p "$sv_sd/mcspool-$sv_s"
		{
			echo '#!/bin/sh'
			echo 'exec 2>>'"$sv_d/stages.err"
			[ -n "${ASAN_OPTIONS:-}" ] && echo "ASAN_OPTIONS=$ASAN_OPTIONS export ASAN_OPTIONS"
			echo "MCSPOOL_ALLOW_ROOT=1 export MCSPOOL_ALLOW_ROOT"
			echo "exec \"$MCSPOOL_BIN/mcspool-$sv_s\" -c \"$sv_d/mcspool.conf\""
		} >"$sv_sd/mcspool-$sv_s/run"
		chmod +x "$sv_sd/mcspool-$sv_s/run"
	done
	mkdir -p "$sv_sd/lr-agent"
	cat >"$sv_sd/lr-agent/run" <<EOR
#!/bin/sh
exec 2>>"$sv_d/agent.err"
exec "$PL_PY" "$PL_AGENT" --interval 0.3 --forget-gone --out "$sv_d/agent.out" --poke "$sv_d/data/lock/move.trigger" "$sv_d/read" "$sv_d/lrstate" 3
EOR
	chmod +x "$sv_sd/lr-agent/run"
}

SV_PID=
SV_KIND=
SV_DIR=
sv_start() {
	SV_KIND=$1 SV_DIR=$2
	if [ "$1" = s6 ]; then
		s6-svscan "$2" >"$2/../svscan.log" 2>&1 &
	else
		runsvdir -P "$2" >"$2/../svscan.log" 2>&1 &
	fi
	SV_PID=$!
}

# The pid of a supervised service (empty if down).
sv_pid() {
	if [ "$SV_KIND" = s6 ]; then
		p=$(s6-svstat -p "$SV_DIR/$1" 2>/dev/null)
		[ "$p" = -1 ] && p=
		echo "$p"
	else
		cat "$SV_DIR/$1/supervise/pid" 2>/dev/null
	fi
}

sv_kill() {
	if [ "$SV_KIND" = s6 ]; then
		s6-svc -k "$SV_DIR/$1"
	else
		sv kill "$SV_DIR/$1" >/dev/null
	fi
}

# Stop everything: the supervisor and every process it started, whatever
# state they are in. The service pids are collected first, so a supervisor
# that dies before its children cannot leave them behind.
sv_stop() {
	[ -n "$SV_PID" ] || return 0
	sv_pids=
	for sv_s in "$SV_DIR"/*/; do
		p=$(sv_pid "$(basename "$sv_s")")
		[ -n "$p" ] && sv_pids="$sv_pids $p"
	done
	if [ "$SV_KIND" = s6 ]; then
		s6-svscanctl -t "$SV_DIR" 2>/dev/null
	else
		for sv_s in "$SV_DIR"/*/; do sv -w 2 force-stop "$sv_s" >/dev/null 2>&1; done
		kill -HUP "$SV_PID" 2>/dev/null
	fi
	i=0
	while kill -0 "$SV_PID" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	kill -9 "$SV_PID" 2>/dev/null
	wait "$SV_PID" 2>/dev/null
	# runsv processes and stragglers: by the pids we know, never by name.
	for sv_s in "$SV_DIR"/*/; do
		[ -f "$sv_s/supervise/pid" ] && p=$(cat "$sv_s/supervise/pid" 2>/dev/null) && [ -n "$p" ] && sv_pids="$sv_pids $p"
	done
	for p in $sv_pids; do kill -9 "$p" 2>/dev/null; done
	for p in $(sv_children "$SV_PID"); do kill -9 "$p" 2>/dev/null; done
	SV_PID=
}

# Processes whose command line names our service directory (runsv, s6-supervise).
sv_children() {
	for f in /proc/[0-9]*/cmdline; do
		c=$(tr '\0' ' ' 2>/dev/null <"$f")
		case $c in *"$SV_DIR"*) p=${f#/proc/} && echo "${p%/cmdline}" ;; esac
	done
}

# Anything still running from this supervision (its directory or config named)?
sv_leftovers() {
	for f in /proc/[0-9]*/cmdline; do
		c=$(tr '\0' ' ' 2>/dev/null <"$f")
		case $c in *"$SV_DIR"* | *"$1/mcspool.conf"* | *"$1/read"*) echo "${f#/proc/}" ;; esac
	done | sed 's,/cmdline,,' | grep -vx "$$"
}
