#!/bin/sh
# mcspool-fetch as an API 2.0 daemon: a batch budget spent at start defers
# the listing and the daemon comes back when it is due (not after
# poll_seconds); the cached token is refreshed when it nears its expiry;
# SIGALRM fetches at once; SIGTERM stops it within 2 s, also in the middle
# of a download, leaving nothing half-visible.
. "$MCSPOOL_TOP/tests/integ/fetch2_lib.sh"
F2_POLL=60
F2_EXTRA='audit = false'
f2_setup --rate-batch 3/7 --oauth-expires-in 64
t_plan 15
TY="receipt,process,url protect"

wait_for() {
	_w=$(($1 * 10))
	shift
	while [ "$_w" -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		_w=$((_w - 1))
	done
	return 1
}
gone() { ! kill -0 "$1" 2>/dev/null; }
quiet_check() { f2_check "$TY" 2>/dev/null >/dev/null; }

# 3 types and a 3-page receipt chain: 5 listings, 3 allowed per 7 s.
mcspool-fetch 2>"$T/daemon.err" &
pid=$!
t_at_exit "kill $pid 2>/dev/null"
t_ok "everything within 15 s although poll_seconds is 60" wait_for 15 quiet_check
t_like "the listing was deferred, not slept" "$(cat "$T/daemon.err")" "deferring this endpoint for [0-9] s"
t_is "no 429 provoked (X-RateLimit-Remaining: 0 was heeded)" "$(f2_stat 's["rate_limited"]["total"]')" 0

# The token (64 s, refreshed 60 s ahead) is stale 4 s later: SIGALRM.
emu_ctl POST /_emu/config '{"rate_batch":"1000/900"}' >/dev/null
emu_ctl POST /_emu/v2/append '{"type":"process","count":2,"records":5}' >/dev/null
sleep 4.2
t0=$(f2_stat 's["tokens_issued"]["oauth"]')
kill -ALRM $pid
t_ok "SIGALRM: fetched at once" wait_for 5 quiet_check
t_is "a new token for the new pass" "$(f2_stat 's["tokens_issued"]["oauth"]')" $((t0 + 1))
# The cached token expires on the server's clock while ours still thinks it
# valid: a 401 mid-run, a new token, the files still come.
emu_ctl POST /_emu/clock '{"advance":100}' >/dev/null
emu_ctl POST /_emu/v2/append '{"type":"url protect","count":2,"records":5}' >/dev/null
kill -ALRM $pid
t_ok "token expired on the server's clock: fetched anyway" wait_for 5 quiet_check
t_like "token expired: refreshed after the 401" "$(cat "$T/daemon.err")" "access token was refused .HTTP 401: token_expired"
kill -TERM $pid
t_ok "SIGTERM while idle: gone within 2 s" wait_for 2 gone $pid
wait $pid
t_is "exit 0" "$?" 0

# SIGTERM in the middle of a stalled download.
emu_ctl POST /_emu/v2/append '{"type":"receipt","count":1,"size":"4m","mode":"stored"}' >/dev/null
f1_fault slow /blob 1 '"stall":30,"stall_after":200000'
mcspool-fetch --once 2>"$T/err" &
pid=$!
wait_for 10 sh -c "[ -s '$T/data/tmp/fetch/siem2.part' ]"
sleep 0.3
kill -TERM $pid
t_ok "SIGTERM during a stalled download: gone within 2 s" wait_for 2 gone $pid
wait $pid
t_is "exit 0, the position kept" "$?" 0
f2_files
big=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["types"]["receipt"][-1]["files"][-1]["name"])' "$T/files.json")
t_ok "nothing half-visible in raw/ ($big is not there)" sh -c "! ls '$T/data/raw' | grep -q '\.$big\$'"
# SIGTERM while the token endpoint is slow.
f1_fault slow /oauth/token 1 '"delay":30'
mcspool-fetch --once 2>"$T/err" &
pid=$!
wait_for 5 sh -c "grep -q 'POST /oauth/token' '$EMU_DIR/emu.log' || grep -q 'fault' '$EMU_DIR/emu.log'"
sleep 0.5
kill -TERM $pid
t_ok "SIGTERM during the token request: gone within 2 s" wait_for 2 gone $pid
wait $pid
t_is "SIGTERM during the token request: exit 0" "$?" 0
emu_ctl POST /_emu/fault/clear '{}' >/dev/null

f2_fetch
t_ok "the next run completes everything once" f2_check "$TY"
t_done
