#!/bin/sh
# mcspool-move and mcspool-reap under sandbox = "require" (Landlock and
# seccomp; skipped when the kernel has no usable Landlock): delivery,
# archiving by rename and across filesystems, every consumer's state read,
# and every kind of deletion still work inside the sandbox.
. "$MCSPOOL_TOP/tests/lib.sh"
. "$MCSPOOL_TOP/tests/fakes/movelib.sh"
mv_setup "max_files = 2" "log_dirs = {\"@T@/log\"}" "audit_log_source_id = 8"
sed -i 's/^sandbox = .*/sandbox = "require"/' "$T/mcspool.conf"
mkdir -p "$T/log"
# LeakSanitizer stops the process with ptrace at exit, which seccomp
# refuses: leaks are checked by the unsandboxed tests.
if [ "${MCSPOOL_SAN:-}" = 1 ]; then
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
	export ASAN_OPTIONS
fi
err=$(mcspool-move --once 2>&1) || case $err in
	*"landlock unavailable"*|*"landlock"*"ABI"*) t_skip_all "no usable Landlock: $err" ;;
esac
t_plan 7
mv_mta 5
MV_AGENT_ARGS="" mv_drain 20
t_is "logrhythm, sandboxed: drained" "$?" 0
t_is "logrhythm, sandboxed: all read once, archived intact" "$(mv_check 5)" ""

old() { for f in "$@"; do echo x > "$f"; touch -d '-8 days' "$f"; done; }
mkdir -p "$T/data/bad" "$T/data/tmp/split" "$T/lrstate/8"
old "$T/archive/receipt_000000.log" "$T/data/bad/x_1.json" "$T/log/@400000005f5e10000000000000000000.s" \
	"$T/data/audit/audit_1.log"
echo t > "$T/data/tmp/split/x"; touch -d '-3 hours' "$T/data/tmp/split/x"
printf '%s\n2\n638408987240279906\n' "$T/data/audit/audit_1.log" > "$T/lrstate/8/a.pos"
mcspool-reap --once 2>"$T/reap.err"
t_is "reap, sandboxed: exit 0" "$?" 0
t_like "reap, sandboxed: removed one of each" "$(cat "$T/reap.err")" 'removed 1 archived, 1 audit, 1 quarantined, 1 log and 1 temporary'

mv_setup "max_files = 2" 'consumer { type = "filebeat" state_dir = "@T@/fb" reader_path = "/var/log/mcspool/read" }'
sed -i 's/^sandbox = .*/sandbox = "require"/' "$T/mcspool.conf"
cp -R "$MCSPOOL_TOP/tests/data/filebeat/registry" "$T/fb"
head -c 100 /dev/zero > "$T/read/a_1.log"
mv_move; mv_move
t_is "filebeat, sandboxed: archived" "$(ls "$T/archive")" "a_1.log"

mv_setup "max_files = 2"
sed -i 's/^sandbox = .*/sandbox = "require"/' "$T/mcspool.conf"
mkdir -p "$T/x"
if mount -t tmpfs -o size=8m tmpfs "$T/x" 2>/dev/null; then
	t_at_exit "umount '$T/x' 2>/dev/null"
	mkdir "$T/x/read"; rmdir "$T/read"; ln -s "$T/x/read" "$T/read"
	sed -i "s|^read_path = .*|read_path = \"$T/x/read\"|" "$T/mcspool.conf"
	mv_mta 3
	MV_AGENT_ARGS="--reader-path $T/x/read" mv_drain 20
	t_is "across filesystems, sandboxed: drained" "$?" 0
	t_is "across filesystems, sandboxed: all read once, archived intact" "$(mv_check 3)" ""
else
	t_pass "# SKIP cannot mount a tmpfs"
	t_pass "# SKIP cannot mount a tmpfs"
fi
t_done
