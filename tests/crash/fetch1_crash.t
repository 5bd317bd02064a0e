#!/bin/sh
# Crash matrix for mcspool-fetch (API 1.0): SIEM payload commit and audit
# window commit. For every failpoint on the way (the fetcher's own and the
# spool/state ones underneath), at several hit counts: SIGKILL there, change
# the emulator's data while we are down, restart, run again, and check that
# each served file and each audit event is in raw/ exactly once.
. "$MCSPOOL_TOP/tests/integ/fetch1_lib.sh"
F1_EXTRA='audit_lag_seconds = 1'
f1_setup --gen-audit count=120,span=3000,seed=3

# name:hits. The audit window is one per run, so its own points are hit once;
# the spool and state points are hit by the audit file first (1, and 2 for
# state: pending, then checkpoint), then by each SIEM file.
cases="fetch-audit-pending:1 fetch-audit-written:1 fetch-audit-published:1 fetch-audit-committed:1
spool-after-create:1 spool-after-create:3 spool-before-fsync:1 spool-before-fsync:3
spool-before-rename:1 spool-before-rename:3 spool-after-rename:1 spool-after-rename:3
spool-after-dirsync:1 spool-after-dirsync:3 state-before-rename:1 state-before-rename:2
state-before-rename:4 state-after-rename:2 state-after-rename:4
fetch-siem-body:1 fetch-siem-body:4 fetch-siem-published:1 fetch-siem-published:4
fetch-siem-committed:1 fetch-siem-committed:4"
n=0
for c in $cases; do n=$((n + 1)); done
t_plan $((n * 3 + 1))

# Every failpoint named here is documented.
missing=
for c in $cases; do
	p=${c%:*}
	grep -q "^| \`$p\`" "$MCSPOOL_TOP/doc/failpoints.md" || missing="$missing $p"
done
t_is "each failpoint is listed in doc/failpoints.md" "$missing" ""

for c in $cases; do
	p=${c%:*}
	rm -rf "$T/data"
	mkdir "$T/data"
	emu_ctl POST /_emu/reset '{}' >/dev/null
	t0=$(date +%s)
	MCSPOOL_FAILPOINT=$c timeout 60 mcspool-fetch --once 2>"$T/err"
	rc=$?
	# While we are down: new SIEM files; and, after an audit crash, events
	# just after the interrupted window (a restart that recomputed "now -
	# lag" instead of refetching its pending window would fold them into the
	# file it already published, and so lose them).
	emu_ctl POST /_emu/siem/append '{"kind":"kv","count":2,"type":"receipt,delivery"}' >/dev/null
	case $p in
	fetch-audit-*)
		te=$(($(date +%s) + 1))
		emu_ctl POST /_emu/audit/append '{"events":[{"eventTime":'$te',"eventInfo":"while down 1 '"$c"'"},
			{"eventTime":'$te',"auditType":"User Logged Off","eventInfo":"while down 2 '"$c"'"}]}' >/dev/null
		# Until they are older than the lag (1 s) by our clock.
		while [ "$(date +%s)" -le $((te + 1)) ]; do sleep 0.2; done
		;;
	*) te=$(($(date +%s) - 3)) ;;
	esac
	f1_fetch
	rc2=$f1_rc
	f1_fetch
	rc3=$f1_rc
	t_is "$c: killed, then two clean runs" "$rc $rc2 $rc3" "137 0 0"
	f1_queue true
	t_ok "$c: every SIEM file once" f1_check siem "$T/queue.json"
	f1_events
	t_ok "$c: every audit event once" f1_check audit "$T/events.json" $((t0 + 1 - 3600)) "$te"
done
t_done
