#!/bin/sh
# mcspool-reap under a controlled clock (mtimes set in the past with
# touch -d, no sleeping): archive, audit (by age with a warning for files
# that look unread; by the audit log source's .pos files when known), bad/,
# svlogd/s6-log archives, temporaries of dead writers; never a symlink, a
# directory, current, or a file outside its directories.
. "$MCSPOOL_TOP/tests/lib.sh"
. "$MCSPOOL_TOP/tests/fakes/movelib.sh"
t_plan 24

old() { for f in "$@"; do printf 'x\n' > "$f"; touch -d '-8 days' "$f"; done; }
new() { for f in "$@"; do printf 'x\n' > "$f"; touch -d '-6 days' "$f"; done; }

mv_setup "retention_days = 7" "log_dirs = {\"@T@/log1\"}"
mkdir -p "$T/log1" "$T/outside" "$T/archive/sub" "$T/data/audit" "$T/data/bad" "$T/data/tmp/split" \
	"$T/data/tmp/fetch" "$T/data/lock"
old "$T/archive/receipt_1.log" "$T/outside/precious.log" "$T/archive/sub/receipt_2.log" \
	"$T/data/bad/x_1.json" "$T/data/bad/x_1.json.why" \
	"$T/log1/@400000005f5e10000000000000000000.s" "$T/log1/@400000005f5e10000000000000000001.u" \
	"$T/log1/current" "$T/log1/state" "$T/log1/lock" "$T/archive/.hidden"
new "$T/archive/receipt_3.log" "$T/data/bad/x_2.json" "$T/log1/@400000005f5e10000000000000000002.s"
ln -s "$T/outside/precious.log" "$T/archive/receipt_4.log"
old "$T/data/audit/audit_unread.log" "$T/data/audit/audit_read.log"
touch -a -d '-7 days' "$T/data/audit/audit_read.log" # accessed after it was written
new "$T/data/audit/audit_new.log"
printf 't\n' > "$T/data/tmp/split/old"; touch -d '-3 hours' "$T/data/tmp/split/old"
printf 't\n' > "$T/data/tmp/split/young"; touch -d '-1 hour' "$T/data/tmp/split/young"
printf 't\n' > "$T/data/tmp/fetch/old"; touch -d '-3 hours' "$T/data/tmp/fetch/old"
: > "$T/data/lock/fetch"

# The fetcher is at work (holds its lock) while we reap.
flock "$T/data/lock/fetch" mcspool-reap --once 2>"$T/reap.err"
t_is "exit 0" "$?" 0
t_is "old archived file removed" "$(ls "$T/archive")" "receipt_3.log
receipt_4.log
sub"
t_ok "a symlink is not followed (its old target stays)" test -f "$T/outside/precious.log"
t_ok "... nor removed" test -L "$T/archive/receipt_4.log"
t_ok "a subdirectory is not entered" test -f "$T/archive/sub/receipt_2.log"
t_ok "not one of our names: kept" test -f "$T/archive/.hidden"
t_is "bad/: old payload and note removed" "$(ls "$T/data/bad")" "x_2.json"
t_is "log dir: old @*.s/@*.u removed, current/state/lock kept" "$(ls "$T/log1" | tr '\n' ' ')" \
	"@400000005f5e10000000000000000002.s current lock state "
t_is "audit by age: old ones removed" "$(ls "$T/data/audit")" "audit_new.log"
t_like "audit: a warning for the one that looks unread" "$(cat "$T/reap.err")" 'removing .*audit_unread.log by age .* looks unread'
t_is "audit: no warning for the one that was read" "$(grep -c 'audit_read.log' "$T/reap.err")" 0
t_is "tmp: a dead writer's old temporary removed, a young one kept" "$(ls "$T/data/tmp/split")" "young"
t_ok "tmp: a stage at work (lock held): its temporaries kept" test -f "$T/data/tmp/fetch/old"
mcspool-reap --once 2>>"$T/reap.err"
t_ok "tmp: removed once its lock is free" test ! -e "$T/data/tmp/fetch/old"
t_like "says what it removed" "$(cat "$T/reap.err")" 'removed 1 archived, 2 audit, 2 quarantined, 2 log and 1 temporary'

# The audit log source's .pos files known: only what was read to the end.
mv_setup "retention_days = 7" "audit_log_source_id = 8" \
	'consumer { type = "logrhythm" state_dir = "@T@/lrstate" audit_reader_path = "E:\\mcspool\\audit" }'
mkdir -p "$T/data/audit" "$T/lrstate/8"
old "$T/data/audit/audit_a.log" "$T/data/audit/audit_b.log" "$T/data/audit/audit_c.log"
new "$T/data/audit/audit_d.log"
printf 'E:\\mcspool\\audit\\audit_a.log\r\n2\r\n638408987240279906\r\n' > "$T/lrstate/8/a.pos"
printf 'E:\\mcspool\\audit\\audit_b.log\r\n1\r\n638408987240279906\r\n' > "$T/lrstate/8/b.pos"
printf 'E:\\mcspool\\audit\\audit_d.log\r\n2\r\n638408987240279906\r\n' > "$T/lrstate/8/d.pos"
mcspool-reap --once 2>"$T/reap.err"
t_is "audit consumer: exit 0" "$?" 0
t_is "audit consumer: only the old one read to the end removed" "$(ls "$T/data/audit" | tr '\n' ' ')" \
	"audit_b.log audit_c.log audit_d.log "
t_like "audit consumer: says what it keeps" "$(cat "$T/reap.err")" 'keeping 2 audit file\(s\) older than 7 days that the reader has not read'
printf 'E:\\mcspool\\audit\\audit_b.log\r\n2' > "$T/lrstate/8/b.pos" # half written
mcspool-reap --once 2>"$T/reap.err"
t_ok "audit consumer: a half-written .pos is not read" test -f "$T/data/audit/audit_b.log"

# Errors.
mv_setup "log_dirs = {\"@T@/nolog\"}"
err=$(mcspool-reap --once 2>&1); rc=$?
t_is "missing log dir: exit 100" "$rc" 100
t_like "... naming it" "$err" "log_dirs entry $T/nolog does not exist"
mv_setup "audit_log_source_id = 8" 'consumer { type = "logrhythm" state_dir = "@T@/nostate" }'
err=$(mcspool-reap --once 2>&1); rc=$?
t_like "audit consumer without its state_dir: exit 100, says which" "$rc $err" "^100 .*consumer.state_dir $T/nostate does not exist"
mv_setup "audit_log_source_id = 8" 'consumer { type = "quiet" }'
err=$(mcspool-reap --once 2>&1); rc=$?
t_like "audit_log_source_id with another consumer: a warning" "$rc $err" '^0 .*reaped by age alone'
rm -rf "$T/archive"
err=$(mcspool-reap --once 2>&1); rc=$?
t_like "missing archive_dir: exit 100" "$rc $err" "^100 .*archive_dir $T/archive does not exist"
t_done
