#!/bin/sh
# mcspool-fetch over plain http to a loopback emulator (allowed for tests
# and local relays only): both streams work.
. "$MCSPOOL_TOP/tests/integ/fetch1_lib.sh"
f1_setup --http
t_plan 3
t_like "the emulator speaks plain http on loopback" "$EMU_URL" '^http://127\.0\.0\.1:'
f1_fetch
t_is "exit 0" "$f1_rc" 0
f1_queue true
t_ok "every file once" f1_check siem "$T/queue.json"
t_done
