#!/bin/sh
# mcspool-fetch, API 1.0: every refusal and fault the emulator can inject, its
# exit code, its message, and that the saved position is kept.
. "$MCSPOOL_TOP/tests/integ/fetch1_lib.sh"
F1_EXTRA='audit = false'
f1_setup
t_plan 49

fresh() {
	rm -rf "$T/data"
	mkdir -p "$T/data"
	emu_ctl POST /_emu/reset '{}' >/dev/null
	emu_ctl DELETE /_emu/fault >/dev/null
}
all_once() { f1_queue true && f1_check siem "$T/queue.json"; }
nreq() { emu_stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["requests"].get(sys.argv[1], 0))' "$1"; }
S=/api/audit/get-siem-logs
A=/api/audit/get-audit-events

# 429: wait X-RateLimit-Reset milliseconds, same request again.
fresh
f1_fault 429 $S 2 '"reset_ms":700'
t0=$(date +%s%N)
f1_fetch
t1=$(date +%s%N)
t_is "429 twice: exit 0" "$f1_rc" 0
t_like "the wait is X-RateLimit-Reset (clamped to at least 1 s)" "$(cat "$T/err")" \
	'rate limited \(HTTP 429, X-RateLimit-Reset: 700\): waiting 1000 ms'
t_ok "it waited (>= 2 s for two 429s)" test $(((t1 - t0) / 1000000)) -ge 2000
t_ok "nothing lost or doubled after 429s" all_once

# 5xx and network errors: back off and retry; exit 111 if it persists.
fresh
f1_fault 500 $S 1
f1_fetch
t_is "one 500: exit 0" "$f1_rc" 0
t_like "it is retried after a back-off" "$(cat "$T/err")" 'HTTP 500.*retrying in 1000 ms'
t_ok "nothing lost or doubled after a 500" all_once
fresh
f1_fault reset $S 1
f1_fetch
t_is "a connection reset: exit 0" "$f1_rc" 0
t_like "reported as a network error" "$(cat "$T/err")" 'network error'
fresh
f1_fault truncate $S 1 '"skip":3'
f1_fetch
t_is "a body cut short in transport: exit 0" "$f1_rc" 0
t_ok "the cut file is fetched again whole" all_once
fresh
f1_fault truncate $S 1 '"skip":3,"mode":"content","bytes":100'
f1_fetch
t_is "a zip cut short with a matching Content-Length: exit 0" "$f1_rc" 0
t_like "it is recognised as corrupt, never taken as data" "$(cat "$T/err")" 'corrupt body.*end record'
t_ok "and fetched again whole" all_once
fresh
f1_fetch >/dev/null
seq_before=$(grep '^seq' "$T/data/state/siem1")
emu_ctl POST /_emu/siem/append '{"kind":"kv","count":1}' >/dev/null
f1_fault 500 $S 10
f1_fetch
t_is "a persistent 500: exit 111" "$f1_rc" 111
t_like "the message says it persists and the position is kept" "$(cat "$T/err")" 'still failing after 4 attempts; the saved position is kept'
t_is "the state did not move" "$(grep '^seq' "$T/data/state/siem1")" "$seq_before"

# 401: one retry with a fresh signature, then a message naming the request id.
fresh
f1_fault 401 $S 1
f1_fetch
t_is "one 401: retried, exit 0" "$f1_rc" 0
fresh
f1_fault 401 $S 2
f1_fetch
t_is "401 twice: exit 100" "$f1_rc" 100
t_like "the message names the request id and says to check the clock and keys" "$(cat "$T/err")" \
	'fatal: get-siem-logs: authentication refused \(HTTP 401, err_xdk_invalid_signature: 0004 Invalid Signature\) for request id [0-9a-f-]{36}: check .*clock.*secret_key'
t_is "exactly two requests" "$(nreq $S)" 2
fresh
F1_SECRET=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+Pw==
f1_conf
f1_fetch
t_is "a wrong secret key: exit 100" "$f1_rc" 100
unset F1_SECRET
F1_SECRET='not-base64!'
f1_conf
f1_fetch
t_is "a secret key that is not base64: exit 100" "$f1_rc" 100
t_like "refused before any request, without echoing it" "$(cat "$T/err")" 'secret_key is not valid base64'
unset F1_SECRET
f1_conf

# 418: fatal at once.
fresh
f1_fault 418 $S 1
f1_fetch
t_is "418: exit 100" "$f1_rc" 100
t_like "418 message" "$(cat "$T/err")" 'access key binding expired.*give the user an Authentication Profile whose TTL never expires and create new keys'
t_is "no retry after 418" "$(nreq $S)" 1
fresh
F1_ACCOUNT=expired
f1_conf
f1_fetch
t_is "an account whose binding expired: exit 100" "$f1_rc" 100
t_like "with the binding message" "$(cat "$T/err")" 'binding expired'
F1_ACCOUNT=main
f1_conf

# 403 names the permission; wrong region says to run discovery; 200 with fail[].
fresh
f1_fault 403 $S 1
f1_fetch
t_is "403 on SIEM: exit 100" "$f1_rc" 100
t_like "names Tracking | Read" "$(cat "$T/err")" 'Gateway \| Tracking \| Read'
fresh
F1_EXTRA='siem = false'
f1_conf
f1_fault 403 $A 1
f1_fetch
t_is "403 on audit: exit 100" "$f1_rc" 100
t_like "names Logs | Read" "$(cat "$T/err")" 'Logs \| Read'
fresh
f1_fault wrong-region $A 1
f1_fetch
t_is "wrong region: exit 100" "$f1_rc" 100
t_like "says to run discovery" "$(cat "$T/err")" 'err_audit_log_incorrect_region.*run discovery'
F1_EXTRA='audit = false'
f1_conf
fresh
f1_fault fail200 $S 1 '"code":"err_validation_blank","message":"token is blank"'
f1_fetch
t_is "200 with fail[]: an error, exit 100" "$f1_rc" 100
t_like "with the code and message" "$(cat "$T/err")" 'HTTP 200, err_validation_blank: token is blank'

# Odd bodies: empty, wrong Content-Type, no token, the same token again.
fresh
f1_fault empty200 $S 1 '"skip":2'
f1_fetch
t_is "an empty 200: exit 0" "$f1_rc" 0
t_like "not taken as data" "$(cat "$T/err")" 'empty body: not data'
t_is "two files, then it stopped" "$(f1_count siem1.)" 2
f1_fetch
t_ok "the next run goes on from the kept token" all_once
fresh
f1_fault wrongtype $S 3 '"content_type":"text/html"'
f1_fetch
t_is "data labelled text/html: exit 0 (magic bytes decide)" "$f1_rc" 0
fresh
f1_fault notoken $S 1 '"skip":4'
f1_fetch
t_is "data without mc-siem-token: exit 0" "$f1_rc" 0
t_like "warned, old token kept" "$(cat "$T/err")" 'without an mc-siem-token header.*keeping the old token'
t_is "the pass stopped there (no tight loop)" "$(f1_count siem1.)" 5
f1_fault sametoken $S 2
f1_fetch
t_like "the same file again is not duplicated" "$(cat "$T/err")" 'came again.*not duplicating'
f1_fetch
f1_fetch
t_ok "after notoken and sametoken: every file once" all_once

# A stalled body: the low-speed timeout gives up and the retry succeeds.
fresh
F1_EXTRA='audit = false
low_speed_time = 5'
f1_conf
f1_fault slow $S 1 '"stall":9,"stall_after":100,"skip":1'
emu_ctl POST /_emu/siem/append '{"kind":"kv","count":1,"size":"2m","created_at":"-1"}' >/dev/null
f1_fetch
t_is "a stalled transfer: retried, exit 0" "$f1_rc" 0
t_like "reported as a network error" "$(cat "$T/err")" 'network error.*retrying'
t_done
