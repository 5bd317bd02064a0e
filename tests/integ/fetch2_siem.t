#!/bin/sh
# mcspool-fetch, API 2.0: OAuth2, the SIEM batch endpoint and audit, against
# the emulator: every listed file exactly once, the cursor per type, and the
# faults of the batch listing and the downloads.
. "$MCSPOOL_TOP/tests/integ/fetch2_lib.sh"
F2_EXTRA='audit_lag_seconds = 1'
f2_setup --rate-batch 1000/900
t0=$(date +%s)
t_plan 41
TY="receipt,process,url protect"

f2_fetch
t_is "first run: exit 0" "$f2_rc" 0
t_ok "first run: every file of the 3 types once" f2_check "$TY"
t_is "first run: 2 receipt files (a 3-page chain)" "$(f2_count receipt)" 2
t_ok "first run: an audit file" test -f "$T/data/raw/audit.000000000001.json"
t_is "one access token for the whole run" "$(f2_stat 's["tokens_issued"]["oauth"]')" 1
t_is "no download refused (the bearer is never sent to a blob)" \
	"$(f2_stat 'sum(1 for k in s["auth_failures"]) + s["responses"].get("400", 0)')" 0
t_like "state per type" "$(cat "$T/data/state/siem2.url_protect")" "cursor "
t_is "only the asked types" "$(ls "$T/data/raw" | grep -c '^siem2\.delivery')" 0

f2_fetch
t_is "second run: exit 0" "$f2_rc" 0
t_ok "second run: nothing twice" f2_check "$TY"
t_is "second run lists from the saved cursors" \
	"$(f2_stat 'sum(1 for p in s["batch_pages"][-3:] if p["cursor"])')" 3

# New files; the listing hands out URLs that are already expired (403 on
# download): listed again from the cursor, nothing skipped.
emu_ctl POST /_emu/v2/append '{"type":"receipt","count":3,"records":20,"per_page":3}' >/dev/null
f1_fault expired-url /siem/v1/batch/events/cg 1
f2_fetch
t_is "expired URLs: exit 0" "$f2_rc" 0
t_like "expired URLs: listed again" "$(cat "$T/err")" "refused .HTTP 403: Request has expired.: listing again"
t_ok "expired URLs: every file once" f2_check "$TY"
t_is "expired URLs: numbering goes on" "$(ls "$T/data/raw" | grep '^siem2\.receipt' | tail -1 | cut -d. -f3)" 000000000005

# A blob 500 and a cut-off download: retried.
emu_ctl POST /_emu/v2/append '{"type":"process","count":2,"records":20}' >/dev/null
f1_fault 500 /blob 1
f1_fault truncate /blob 1
f1_fault truncate /blob 1 '"mode":"content"'
f2_fetch
t_is "blob 500 and truncations: exit 0" "$f2_rc" 0
t_ok "blob 500 and truncations: every file once, whole" f2_check "$TY"
t_like "a short body with a matching Content-Length: caught by the listed size" "$(cat "$T/err")" "bytes, the listing said [0-9]*: retrying"

# A partial page, then a listing without @nextPage.
emu_ctl POST /_emu/v2/append '{"type":"url protect","count":4,"records":10,"per_page":4}' >/dev/null
f1_fault partial-page /siem/v1/batch/events/cg 1 '"n":1'
f2_fetch
t_ok "partial page: every file once" f2_check "$TY"
emu_ctl POST /_emu/v2/append '{"type":"receipt","count":2,"records":10}' >/dev/null
f1_fault missing-nextpage /siem/v1/batch/events/cg 1
f2_fetch
t_is "missing @nextPage: exit 0" "$f2_rc" 0
t_like "missing @nextPage: said so" "$(cat "$T/err")" "without @nextPage: keeping the saved cursor"
f2_fetch
t_ok "missing @nextPage: every file once after the next poll" f2_check "$TY"

# The listing echoes the request cursor: the same files come again, not twice.
emu_ctl POST /_emu/v2/append '{"type":"receipt","count":2,"records":10}' >/dev/null
f1_fault sametoken /siem/v1/batch/events/cg 1
f2_fetch
f2_fetch
t_ok "same cursor back: every file once" f2_check "$TY"

# 429: reset as a duration (ms), then as epoch seconds with Retry-After.
emu_ctl POST /_emu/v2/append '{"type":"receipt","count":2,"records":10,"per_page":1}' >/dev/null
f1_fault 429 /siem/v1/batch/events/cg 2 '"reset_ms":1200'
f2_fetch
t_is "429 (ms reset): exit 0" "$f2_rc" 0
t_like "429 (ms reset): waited" "$(cat "$T/err")" "rate limited .HTTP 429.*X-RateLimit-Reset: 1200.: waiting 1200 ms"
t_ok "429 (ms reset): every file once" f2_check "$TY"
emu_ctl POST /_emu/config '{"rate_batch":"2/3","v2_reset_format":"epoch-s"}' >/dev/null
emu_ctl POST /_emu/v2/append '{"type":"url protect","count":3,"records":10,"per_page":1}' >/dev/null
f2_fetch
t_is "429 (epoch-s reset): exit 0" "$f2_rc" 0
t_ok "429 (epoch-s reset): every file once" f2_check "$TY"
t_ok "429 (epoch-s reset): the waits were seconds, not an epoch" \
	sh -c "! grep -q 'deferring' '$T/err' && grep -q 'waiting [0-9]\{3,4\} ms' '$T/err'"
# X-RateLimit-Remaining: 0 with an epoch-ms reset: the next call waits for it.
emu_ctl POST /_emu/config '{"rate_batch":"1/2","v2_reset_format":"epoch-ms"}' >/dev/null
rl0=$(f2_stat 's["rate_limited"]["total"]')
emu_ctl POST /_emu/v2/append '{"type":"process","count":2,"records":10,"per_page":1}' >/dev/null
f2_fetch
t_ok "Remaining 0 (epoch-ms reset): every file once" f2_check "$TY"
t_like "Remaining 0 (epoch-ms reset): waited about 2 s" "$(cat "$T/err")" "budget of this endpoint is spent: waiting 1[0-9]{3} ms"
t_is "Remaining 0: no 429 provoked" "$(f2_stat 's["rate_limited"]["total"]')" "$rl0"
# Retry-After wins over X-RateLimit-Reset.
emu_ctl POST /_emu/config '{"rate_batch":"1000/900"}' >/dev/null
emu_ctl POST /_emu/v2/append '{"type":"process","count":1,"records":10}' >/dev/null
f1_fault 429 /siem/v1/batch/events/cg 1 '"reset_ms":600000,"retry_after":"1"'
f2_fetch
t_like "429 with Retry-After: 1 s, not the 10 min reset" "$(cat "$T/err")" "Retry-After: 1, X-RateLimit-Reset: 600000.: waiting 1000 ms"
t_ok "429 with Retry-After: every file once" f2_check "$TY"

# A long wait defers the SIEM listing only: audit goes on.
emu_ctl POST /_emu/config '{"rate_batch":"1/900","retry_after":false,"v2_reset_format":"ms"}' >/dev/null
emu_ctl POST /_emu/v2/append '{"type":"receipt","count":1,"records":10}' >/dev/null
te=$(($(date +%s) - 2))
emu_ctl POST /_emu/audit/append '{"events":[{"eventTime":'$te',"eventInfo":"during the rate limit"}]}' >/dev/null
na=$(ls "$T/data/raw" | grep -c '^audit')
f2_fetch
t_is "batch budget spent for 15 min: exit 0" "$f2_rc" 0
t_like "batch budget spent: deferred, not slept" "$(cat "$T/err")" "deferring this endpoint for [0-9]* s"
t_is "batch budget spent: audit still fetched" "$(ls "$T/data/raw" | grep -c '^audit')" $((na + 1))

# And the other way round: audit rate limited for 10 min, the SIEM files still come.
emu_ctl POST /_emu/config '{"rate_batch":"1000/900"}' >/dev/null
emu_ctl POST /_emu/v2/append '{"type":"process","count":2,"records":10}' >/dev/null
f1_fault 429 /api/audit/get-audit-events 1 '"reset_ms":600000'
f2_fetch
t_is "audit budget spent: exit 0" "$f2_rc" 0
t_like "audit budget spent: audit deferred" "$(cat "$T/err")" "get-audit-events: rate limited .*deferring this endpoint for 600 s"
t_ok "audit budget spent: the SIEM files still fetched" f2_check "$TY"

# Audit under 2.0 (the bearer on get-audit-events), across all these runs:
# every event of the windows once, the late one too.
emu_ctl POST /_emu/fault/clear '{}' >/dev/null
f2_fetch
f1_events
t_ok "audit: every event once over all the runs" f1_check audit "$T/events.json" $((t0 + 1 - 3600)) "$te"
t_done
