#!/bin/sh
# The pipeline (API 1.0) against a hostile host: a full disk (data_dir and
# read_path on small tmpfs mounts that fill up), write and fsync errors
# (libfiu), read-only and missing directories, and the clock jumping an hour
# forward and back (faketime). Each stage stops with a clear message (exit
# 111 for the temporary ones), never publishes a partial file, never removes
# its input or advances a cursor for output it could not write, and catches
# up once the fault is gone: every SIEM record then read exactly once.
. "$MCSPOOL_TOP/tests/lib.sh"
. "$MCSPOOL_TOP/tests/emu/emu.sh"
. "$MCSPOOL_TOP/tests/crash/supervise_lib.sh"
t_setup
emu_start "$T" >/dev/null || t_skip_all "the emulator did not start"
t_at_exit emu_stop
PL_SANDBOX=off

MNTS=
t_at_exit 'for m in $MNTS; do umount -l "$m" 2>/dev/null; done'
mnt() { # mnt DIR SIZE: a tmpfs at DIR, or fail
	mkdir -p "$1"
	mount -t tmpfs -o "size=$2" tmpfs "$1" 2>/dev/null || return 1
	MNTS="$MNTS $1"
}
fill() { # fill DIR: use up the filesystem's space
	dd if=/dev/zero of="$1/filler" bs=64k 2>/dev/null
	dd if=/dev/zero of="$1/filler2" bs=512 2>/dev/null
	: # ENOSPC is the point
}
# Every file a reader or the next stage can see is whole: kv outputs end
# with LF; raw/ zips pass unzip -t.
whole() {
	for f in $(find "$@" -type f 2>/dev/null); do
		case $f in
		*/raw/*.zip) unzip -tq "$f" >/dev/null 2>&1 || { echo "$f"; continue; } ;;
		*/raw/*) ;;
		*) [ -s "$f" ] && [ "$(tail -c 1 "$f" | od -An -c | tr -d ' ')" = '\n' ] || echo "$f" ;;
		esac
	done
}

# A stage that cannot go on: exit 111 (temporary) or 100 (permanent), nothing else.
failed() { [ "$1" = 111 ] || [ "$1" = 100 ]; }
audit_has() { cat "$D"/data/audit/* 2>/dev/null | grep -cF -- "$1"; }

t_plan 26
mnt "$T/m0" 4m || { echo "1..0 # SKIP mount -t tmpfs refused"; t_run_cleanups; exit 0; }
umount "$T/m0" && MNTS=

# ---- disk full ------------------------------------------------------------
# data_dir full: the fetcher stops (111, "No space left"), raw/ holds only
# whole files, and the cursor has not moved past what it could not write.
D=$T/full
mnt "$D/data" 1m
PL_MAX_FILES=50 pl_conf "$D"
fill "$D/data"
pl_stage "$D" fetch
t_is "disk full: the fetcher exits 111" "$pl_rc" 111
t_like "disk full: the fetcher says so" "$(tail -n 3 "$D/stages.err")" 'mcspool-fetch: (fatal|error): .*No space left on device'
t_is "disk full: nothing partial in raw/" "$(whole "$D/data/raw")" ""
rm -f "$D/data/filler" "$D/data/filler2"
# Space again: fetch only (raw/ fills, the splitter not run yet), then fill
# and run the splitter: it stops, its inputs stay in raw/.
pl_stage "$D" fetch
n_raw=$(pl_files "$D/data/raw")
fill "$D/data"
pl_stage "$D" split
t_is "disk full: the splitter exits 111" "$pl_rc" 111
t_is "disk full: the splitter removed no input it could not split" \
	"$(( $(pl_files "$D/data/raw") + $(ls "$D/data/bad" | wc -l) >= 1 ))" 1
t_is "disk full: nothing partial in mta/ or audit/" "$(whole "$D/data/mta" "$D/data/audit")" ""
rm -f "$D/data/filler" "$D/data/filler2"
t0=$(($(date +%s) - 5))
pl_drain "$D"
t_is "disk full: space freed, the pipeline catches up" "$pl_ok $(pl_quiet "$D" && echo quiet)" "1 quiet"
t_ok "disk full: every SIEM record read exactly once after catching up ($n_raw files fetched before)" pl_check_siem "$D"

# read_path full: the mover stops, mta/ keeps what it could not deliver.
# read_path on its own filesystem, with the mover's staging directory
# (dirname(read_path)/.mcspool-tmp) on it too.
D=$T/rfull
mnt "$D/rmnt" 256k
mkdir -p "$D/rmnt/read"
PL_READ=$D/rmnt/read
PL_MAX_FILES=50 pl_conf "$D"
PL_READ=
pl_stage "$D" fetch
pl_stage "$D" split
fill "$D/rmnt"
n_mta=$(pl_files "$D/data/mta")
pl_stage "$D" move
t_is "read_path full: the mover exits 111" "$pl_rc" 111
t_like "read_path full: the mover says so" "$(grep -v ': info: ' "$D/stages.err" | tail -n 2)" 'mcspool-move: (fatal|error|warning): .*No space left on device'
t_ok "read_path full: mta/ still holds what was not delivered ($n_mta before)" [ "$(pl_files "$D/data/mta")" -ge 1 ]
t_is "read_path full: nothing partial in read_path" "$(whole "$D/rmnt/read")" ""
rm -f "$D/rmnt/filler" "$D/rmnt/filler2"
pl_drain "$D"
t_ok "read_path full: freed, every SIEM record read exactly once" pl_check_siem "$D"

# ---- EIO: libfiu ----------------------------------------------------------
if ! command -v fiu-run >/dev/null; then
	for i in 1 2 3; do t_n=$((t_n + 1)); echo "ok $t_n # SKIP fiu-run is not installed (fiu-utils)"; done
elif [ "${MCSPOOL_SAN:-}" = 1 ]; then
	for i in 1 2 3; do t_n=$((t_n + 1)); echo "ok $t_n # SKIP libfiu's preload does not mix with the ASan runtime"; done
else
	D=$T/eio
	emu_ctl POST /_emu/reset '{}' >/dev/null
	PL_MAX_FILES=50 pl_conf "$D"
	codes=
	for r in 1 2 3 4 5 6; do
		for s in fetch split move; do
			fiu-run -x -c 'enable_random name=posix/io/rw/write,probability=0.2,failinfo=5' \
				-c 'enable_random name=posix/io/sync/fsync,probability=0.2,failinfo=5' \
				mcspool-$s -c "$D/mcspool.conf" --once 2>>"$D/stages.err"
			codes="$codes $?"
		done
		"$PL_PY" "$PL_AGENT" --once --out "$D/agent.out" "$D/read" "$D/lrstate" 3
	done
	t_diag "exit codes under EIO: $(echo $codes | tr ' ' '\n' | sort | uniq -c | tr '\n' ' ')"
	t_is "EIO: every stage run ends 0 or 111, never a crash" "$(echo $codes | tr ' ' '\n' | grep -cvx '0\|111')" 0
	pl_drain "$D"
	t_is "EIO: nothing partial in read_path, archive_dir or mta/" "$(whole "$D/read" "$D/archive" "$D/data/mta")" ""
	t_ok "EIO: faults gone, every SIEM record read exactly once" pl_check_siem "$D"
fi

# ---- read-only and missing directories -----------------------------------
D=$T/ro
mnt "$D/data" 4m
PL_MAX_FILES=50 pl_conf "$D"
pl_stage "$D" fetch
mount -o remount,ro "$D/data"
pl_stage "$D" split
t_ok "read-only data_dir: the splitter fails (exit $pl_rc)" failed "$pl_rc"
t_like "read-only data_dir: the message names the path" "$(grep -v ': info: ' "$D/stages.err" | tail -n 1)" "mcspool-split: (fatal|error): .*$D/data.*(Read-only file system|not writable)"
mount -o remount,rw "$D/data"
mnt "$D/read" 1m
mount -o remount,ro "$D/read"
pl_stage "$D" split
pl_stage "$D" move
t_ok "read-only read_path: the mover fails (exit $pl_rc)" failed "$pl_rc"
t_like "read-only read_path: the message names read_path" "$(grep -v ': info: ' "$D/stages.err" | tail -n 1)" "mcspool-move: (fatal|error): .*$D/read.*(Read-only file system|not writable)"
mount -o remount,rw "$D/read"
D=$T/missing
PL_MAX_FILES=50 pl_conf "$D"
rmdir "$D/read"
pl_stage "$D" move
t_ok "missing read_path: the mover fails (exit $pl_rc)" failed "$pl_rc"
t_like "missing read_path: the message names it" "$(tail -n 1 "$D/stages.err")" "mcspool-move: fatal: .*$D/read.*(No such file or directory|does not exist)"
rm -rf "$D/archive"
pl_stage "$D" reap
t_like "missing archive_dir: the reaper names it (exit $pl_rc)" "$(tail -n 1 "$D/stages.err")" "mcspool-reap: fatal: .*$D/archive.*(No such file or directory|does not exist)"

# ---- clock jumps ----------------------------------------------------------
if ! command -v faketime >/dev/null; then
	for i in 1 2 3; do t_n=$((t_n + 1)); echo "ok $t_n # SKIP faketime is not installed (make deps)"; done
elif [ "${MCSPOOL_SAN:-}" = 1 ]; then
	for i in 1 2 3; do t_n=$((t_n + 1)); echo "ok $t_n # SKIP libfaketime's preload does not mix with the ASan runtime"; done
else
	# An emulator that takes any x-mc-date (--skew 0): the fetcher's own
	# clock is what jumps, and Mimecast's stays right. Plain HTTP: an hour
	# behind, the throwaway certificate made just now is not valid yet.
	emu_stop
	emu_start "$T/clockemu" --http --skew 0 >/dev/null || t_diag "the emulator did not restart"
	D=$T/clock
	PL_MAX_FILES=50 PL_MIMECAST='  audit_lag_seconds = 1' pl_conf "$D"
	PL_MIMECAST=
	t0=$(date +%s)
	# ev NAME: an audit event stamped now, then wait until it is past the lag.
	ev() {
		te=$(date +%s)
		emu_ctl POST /_emu/audit/append '{"events":[{"eventTime":'$te',"eventInfo":"clock jump '"$1"'","user":"'"$1"'@example.com"}]}' >/dev/null
		while [ "$(date +%s)" -le $((te + 1)) ]; do sleep 0.2; done
	}
	codes=
	pl_stage "$D" fetch
	codes="$codes $pl_rc"
	ev before-ahead
	faketime -f '+1h' mcspool-fetch -c "$D/mcspool.conf" --once 2>>"$D/stages.err"
	codes="$codes $?"
	ev while-ahead
	faketime -f '-1h' mcspool-fetch -c "$D/mcspool.conf" --once 2>"$D/behind.err"
	codes="$codes $?"
	t_diag "an hour behind: $(grep -v ': info: ' "$D/behind.err" | tail -n 1)"
	ev while-behind
	pl_stage "$D" fetch
	codes="$codes $pl_rc"
	ev after
	pl_stage "$D" fetch
	codes="$codes $pl_rc"
	pl_stage "$D" split
	t_diag "fetch exits: on time, +1h, -1h, on time, on time:$codes"
	got=
	for e in before-ahead while-ahead while-behind after; do got="$got $e=$(audit_has "clock jump $e")"; done
	t_is "clock jumps: no audit event lost or doubled across a jump an hour ahead and one back" \
		"$got" " before-ahead=1 while-ahead=1 while-behind=1 after=1"
	pl_drain "$D"
	# The reaper an hour behind keeps what is within retention.
	find "$D/archive" -type f -exec touch -d '6 days ago' {} +
	n=$(pl_files "$D/archive")
	faketime -f '+1h' mcspool-reap -c "$D/mcspool.conf" --once 2>>"$D/stages.err"
	faketime -f '-1h' mcspool-reap -c "$D/mcspool.conf" --once 2>>"$D/stages.err"
	t_is "clock jumps: the reaper deletes nothing within retention ($n files six days old)" \
		"$([ "$n" -gt 0 ] && pl_files "$D/archive")" "$n"
	find "$D/archive" -type f -exec touch -d '8 days ago' {} +
	faketime -f '-1h' mcspool-reap -c "$D/mcspool.conf" --once 2>>"$D/stages.err"
	t_is "clock jumps: and still reaps what is past it" "$(pl_files "$D/archive")" 0
fi
t_done
