#!/bin/sh
# Crash matrix for mcspool-fetch (API 2.0 SIEM batch): SIGKILL at every
# failpoint of the per-file and per-page commit (the fetcher's own and the
# spool/state ones underneath), in the middle of a page of 3 files; new
# files appear while we are down; the restart resumes at the next
# unprocessed file: every listed file is in raw/ exactly once, numbered
# without gaps, and no file already in the ledger is downloaded again.
. "$MCSPOOL_TOP/tests/integ/fetch2_lib.sh"
F2_EXTRA='audit = false'
F2_TYPES='"receipt"'
f2_setup --gen-v2 type=receipt,count=6,records=20,per_page=3

# name:hits. Receipt: the sample chain (pages of 1, 1, 0 files), then the
# generated pages of 3. Hits 4 of the per-file points fall on the middle
# file of the first generated page; state saves come 2 per file, 1 per page.
cases="fetch-siem2-pending:1 fetch-siem2-pending:4 fetch-siem2-body:4 fetch-siem2-published:4
fetch-siem2-file-committed:4 fetch-siem2-page-done:1 fetch-siem2-page-done:3
spool-after-create:4 spool-before-fsync:4 spool-before-rename:4 spool-after-rename:4
spool-after-dirsync:4 state-before-rename:7 state-before-rename:8 state-after-rename:8
state-after-rename:11"
n=0
for c in $cases; do n=$((n + 1)); done
t_plan $((n * 3 + 1))

missing=
for c in $cases; do
	p=${c%:*}
	grep -q "^| \`$p\`" "$MCSPOOL_TOP/doc/failpoints.md" || missing="$missing $p"
done
t_is "each failpoint is listed in doc/failpoints.md" "$missing" ""

for c in $cases; do
	rm -rf "$T/data"
	mkdir "$T/data"
	emu_ctl POST /_emu/reset '{"data":true}' >/dev/null
	MCSPOOL_FAILPOINT=$c timeout 60 mcspool-fetch --once 2>"$T/err"
	rc=$?
	# What the killed run downloaded and committed.
	b0=$(f2_stat 'len(s["blobs_served"])')
	l0=$(sed -n 's/^ledger //p' "$T/data/state/siem2.receipt" 2>/dev/null | tr ',' '\n' | grep -c .)
	emu_ctl POST /_emu/v2/append '{"type":"receipt","count":2,"records":10}' >/dev/null
	f2_fetch
	rc2=$f2_rc
	f2_fetch
	rc3=$f2_rc
	t_is "$c: killed, then two clean runs" "$rc $rc2 $rc3" "137 0 0"
	t_ok "$c: every file once, numbered 1..N" f2_check receipt
	# 8 sample+generated files and 2 appended: the restarts fetch only those
	# not in the ledger at the kill.
	b1=$(f2_stat 'len(s["blobs_served"])')
	t_is "$c: no committed file downloaded again" "$((b1 - b0))" "$((10 - l0))"
done
t_done
