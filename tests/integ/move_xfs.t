#!/bin/sh
# read_path and archive_dir on other filesystems than data_dir (tmpfs
# mounts; skipped if mount is refused): copies through the staging
# directories .mcspool-tmp next to them, decided by st_dev at start (no
# rename ever fails with EXDEV), stale copies cleaned, misplaced staging
# directories and a read-only read_path refused with a clear message.
. "$MCSPOOL_TOP/tests/lib.sh"
. "$MCSPOOL_TOP/tests/fakes/movelib.sh"
mv_setup "max_files = 2"
mkdir -p "$T/a" "$T/b"
mount -t tmpfs -o size=16m tmpfs "$T/a" 2>/dev/null || t_skip_all "cannot mount a tmpfs"
t_at_exit "umount '$T/a' 2>/dev/null"
mount -t tmpfs -o size=16m tmpfs "$T/b" || t_skip_all "cannot mount a second tmpfs"
t_at_exit "umount '$T/b' 2>/dev/null"
t_plan 11
mkdir "$T/a/read" "$T/b/archive"
rmdir "$T/read" "$T/archive"
ln -s "$T/a/read" "$T/read"; ln -s "$T/b/archive" "$T/archive" # for the helpers
sed -i "s|^read_path = .*|read_path = \"$T/a/read\"|; s|^archive_dir = .*|archive_dir = \"$T/b/archive\"|" "$T/mcspool.conf"
mv_mta 5
mkdir -p "$T/a/.mcspool-tmp"
echo half > "$T/a/.mcspool-tmp/receipt_000000.log"

if command -v strace >/dev/null 2>&1; then
	# LeakSanitizer cannot run under ptrace.
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
		strace -f -o "$T/trace" -e trace=rename,renameat,renameat2,link,linkat mcspool-move --once 2>>"$T/move.err"
	t_is "first pass under strace: exit 0" "$?" 0
else
	mv_move
	t_is "first pass: exit 0" "$?" 0
fi
t_is "staging dir next to read_path, stale copy removed" "$(ls -A "$T/a/.mcspool-tmp")" ""
t_is "delivered by copy, intact" "$(cat "$T/a/read/receipt_000000.log")" "$(mv_gen receipt_000000.log)"
t_is "source removed after the copy" "$(ls "$T/data/mta" | wc -l)" 3
MV_AGENT_ARGS="--reader-path $T/a/read" mv_drain 20
t_is "drained across filesystems" "$?" 0
t_is "all read once, archived intact" "$(mv_check 5)" ""
t_is "staging dir next to archive_dir, empty" "$(ls -A "$T/b/.mcspool-tmp")" ""
if [ -f "$T/trace" ]; then
	t_is "no rename or link attempted across filesystems (no EXDEV)" "$(grep -c EXDEV "$T/trace")" 0
else
	t_pass "# SKIP strace not installed"
fi

sed -i '$a read_stage_dir = "'"$T"'/a/read/stage"' "$T/mcspool.conf"
err=$(mcspool-move --once 2>&1); rc=$?
t_like "a staging dir inside read_path is refused (exit $rc)" "$err" 'read_stage_dir .* is inside'
sed -i 's|^read_stage_dir = .*|read_stage_dir = "'"$T"'/stage"|' "$T/mcspool.conf"
err=$(mcspool-move --once 2>&1)
t_like "a staging dir on another filesystem is refused" "$err" 'read_stage_dir .* is not on the same filesystem'
sed -i '/^read_stage_dir/d' "$T/mcspool.conf"
mount -o remount,ro "$T/a"
err=$(mcspool-move --once 2>&1); rc=$?
t_like "read-only read_path: exit 100, says so" "$rc $err" "^100 .*read_path $T/a/read is not writable"
t_done
