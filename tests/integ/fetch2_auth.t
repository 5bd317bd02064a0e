#!/bin/sh
# mcspool-fetch, API 2.0: the access token (cached, refreshed before expiry
# and once after a 401, never logged), credential errors, the default
# config, old and refused cursors.
. "$MCSPOOL_TOP/tests/integ/fetch2_lib.sh"
F2_EXTRA='audit_lag_seconds = 1'
f2_setup --oauth-expires-in 60 --rate-batch 1000/900
t_plan 25
TY="receipt,process,url protect"

# A long catch-up (30 pages of one file) with a token that lives 60 s (so it
# is refreshed before every call: 60 s ahead of its expiry), and one
# revoked mid-run.
emu_ctl POST /_emu/v2/append '{"type":"receipt","count":30,"records":5,"per_page":1}' >/dev/null
f1_fault token-expire /siem/v1/batch/events/cg 1 '"target":"bearer","skip":10'
MCSPOOL_DEBUG=1 f2_fetch
t_is "token revoked during a long catch-up: exit 0" "$f2_rc" 0
t_ok "token revoked: every file once" f2_check "$TY"
t_like "token revoked: a new one, once" "$(cat "$T/err")" "access token was refused .HTTP 401: token_expired.*fetching a new one"
t_ok "tokens refreshed ahead of expiry (one per call)" test "$(f2_stat 's["tokens_issued"]["oauth"]')" -gt 30
t_ok "no token in the log lines (debug on)" sh -c "! grep -q 'Bearer [A-Za-z0-9]' '$T/err'"

# A token that expires on the emulator clock (not revoked): 401, refreshed.
emu_ctl POST /_emu/config '{"oauth_expires_in":1799}' >/dev/null
emu_ctl POST /_emu/v2/append '{"type":"process","count":2,"records":5,"per_page":1}' >/dev/null
f1_fault token-expire /api/audit/get-audit-events 1 '"target":"bearer"'
f2_fetch
t_is "audit with a revoked token: exit 0" "$f2_rc" 0
t_ok "audit with a revoked token: SIEM files once" f2_check "$TY"

# A 9-day-old cursor: the lost days named, a clamped start date.
sed -i "s/^saved .*/saved $(($(date +%s) - 9 * 86400))/" "$T/data/state/siem2.process"
n0=$(f2_stat 'len(s["batch_pages"])')
f2_fetch
t_is "9-day-old cursor: exit 0" "$f2_rc" 0
d1=$(date -u -d '-9 days' +%F)
d2=$(date -u -d '-7 days' +%F)
t_like "9-day-old cursor: the lost days named" "$(cat "$T/err")" \
	"process: the saved cursor is 9 days old: the batch files of 3 days \($d1 to $d2, UTC\) are beyond"
t_is "9-day-old cursor: listed without it (from a start date)" \
	"$(f2_stat '[p["cursor"] for p in s["batch_pages"]['$n0':] if p["type"] == "process"][0]')" None
t_ok "9-day-old cursor: nothing twice" f2_check "$TY"
t_like "9-day-old cursor: a fresh cursor saved" "$(grep saved_utc "$T/data/state/siem2.process")" "$(date -u +%F)"

# The cursor refused (400): listed again from the saved day, nothing twice.
emu_ctl POST /_emu/v2/append '{"type":"url protect","count":2,"records":5}' >/dev/null
f1_fault token-expire /siem/v1/batch/events/cg 1 '"target":"cursor"'
f2_fetch
t_is "cursor refused: exit 0" "$f2_rc" 0
t_like "cursor refused: said so" "$(cat "$T/err")" "refused the saved cursor .*listing again from $(date -u +%F)"
t_ok "cursor refused: every file once" f2_check "$TY"

# Credentials.
F2_SECRET=wrong-secret-value f2_conf
f2_fetch
t_is "wrong client secret: exit 100" "$f2_rc" 100
t_like "wrong client secret: says what to fix" "$(cat "$T/err")" "client credentials were refused .*InvalidClientIdentifier"
t_ok "wrong client secret: never echoed" sh -c "! grep -q wrong-secret-value '$T/err'"
F2_ACCOUNT=nosiem f2_conf
f2_fetch
t_is "an application without the SIEM product: exit 100" "$f2_rc" 100
t_like "without the SIEM product: says so" "$(cat "$T/err")" "siem batch: forbidden .HTTP 403: app_forbidden"
F2_ACCOUNT=main
F2_URL=http://127.0.0.1:1 f2_conf
f2_fetch
t_is "nothing listening: exit 111" "$f2_rc" 111

# The default config (no api line: 2) with client_secret_file.
emu_account v2 main client_secret >"$T/secret"
chmod 600 "$T/secret"
F2_NO_API=1 F2_SECRET_FILE="$T/secret" f2_conf
emu_ctl POST /_emu/v2/append '{"type":"receipt","count":1,"records":5}' >/dev/null
f2_fetch
t_is "default config (api = 2) with client_secret_file: exit 0" "$f2_rc" 0
t_ok "default config: every file once" f2_check "$TY"
F2_NO_API=1 F2_SECRET_FILE= F2_SECRET= f2_conf
sed -i '/client_secret/d' "$T/mcspool.conf"
f2_fetch
t_is "no client secret: exit 100" "$f2_rc" 100
t_like "no client secret: names the keys" "$(cat "$T/err")" "needs mimecast.client_secret or mimecast.client_secret_file"
t_done
