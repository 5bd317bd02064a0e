#!/bin/sh
# mcspool-fetch as a daemon: it drains at start, polls every poll_seconds,
# wakes on SIGALRM, and stops within 2 s on SIGTERM (also in the middle of a
# rate-limit wait or a transfer) leaving nothing half-visible.
. "$MCSPOOL_TOP/tests/integ/fetch1_lib.sh"
F1_POLL=10
f1_setup
t_plan 13

# wait_for SECONDS COMMAND...: poll until the command succeeds.
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
have() { [ "$(f1_count siem1.)" -ge "$1" ]; }
gone() { ! kill -0 "$1" 2>/dev/null; }

mcspool-fetch 2>"$T/daemon.err" &
pid=$!
t_at_exit "kill $pid 2>/dev/null"
t_ok "the daemon drains the queue at start" wait_for 20 have 30
emu_ctl POST /_emu/siem/append '{"kind":"kv","count":2}' >/dev/null
sleep 0.5
t_is "new files wait for the next poll" "$(f1_count siem1.)" 30
kill -ALRM $pid
t_ok "SIGALRM: fetched at once" wait_for 3 have 32
emu_ctl POST /_emu/siem/append '{"kind":"kv","count":1}' >/dev/null
t_ok "and the poll (poll_seconds = 10) finds the next one" wait_for 13 have 33
t_ok "still running" kill -0 $pid
kill -TERM $pid
t_ok "SIGTERM while idle: gone within 2 s" wait_for 2 gone $pid
wait $pid
t_is "exit 0" "$?" 0

# SIGTERM in the middle of a long 429 wait.
emu_ctl POST /_emu/siem/append '{"kind":"kv","count":1}' >/dev/null
f1_fault 429 /api/audit/get-siem-logs 1 '"reset_ms":600000'
mcspool-fetch --once 2>"$T/err" &
pid=$!
wait_for 5 grep -qs 'waiting 600000 ms' "$T/err"
kill -TERM $pid
t_ok "SIGTERM during a rate-limit wait: gone within 2 s" wait_for 2 gone $pid
wait $pid
t_is "exit 0, the position kept" "$?" 0

# SIGTERM in the middle of a transfer.
emu_ctl POST /_emu/fault/clear '{}' >/dev/null
emu_ctl POST /_emu/siem/append '{"kind":"kv","count":1,"size":"4m"}' >/dev/null
f1_fault slow /api/audit/get-siem-logs 1 '"stall":30,"stall_after":200000,"skip":1'
mcspool-fetch --once 2>"$T/err" &
pid=$!
wait_for 10 sh -c "[ -s '$T/data/tmp/fetch/siem1.part' ]"
sleep 0.3
kill -TERM $pid
t_ok "SIGTERM during a stalled transfer: gone within 2 s" wait_for 2 gone $pid
wait $pid
f1_queue true
big=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["files"][-1]["served_name"])' "$T/queue.json")
t_ok "nothing half-visible in raw/ ($big is not there)" sh -c "! ls '$T/data/raw' | grep -q '$big'"
t_ok "stopped by the request, not by the 2 s deadline" sh -c "! grep -q 'still busy' '$T/err'"

f1_fetch
f1_queue true
t_ok "the next run completes everything once" f1_check siem "$T/queue.json"
t_done
