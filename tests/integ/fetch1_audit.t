#!/bin/sh
# mcspool-fetch, API 1.0 audit stream against the emulator: the window, every
# page, dedup at the window boundary by a digest of the whole event (not id),
# the checkpoint, UTC whatever TZ says, and page tokens refused mid-window.
. "$MCSPOOL_TOP/tests/integ/fetch1_lib.sh"
F1_EXTRA='siem = false
audit_lag_seconds = 5'
f1_setup --gen-audit count=250,span=3000,seed=7
t_plan 18
# A host in UTC-03:30 must not shift any window.
TZ=America/St_Johns
export TZ

t0=$(date +%s)
f1_fetch
t1=$(date +%s)
t_is "first run: exit 0" "$f1_rc" 0
f1_events
t_ok "every event of the last hour (minus the lag) once, byte for byte, oldest first" \
	f1_check audit "$T/events.json" $((t1 - 3600)) $((t0 - 5))
t_is "one file" "$(ls "$T/data/raw" | tr '\n' ' ')" "audit.000000000001.json "
pages=$(emu_stats | python3 -c 'import json,sys; print(sum(1 for p in json.load(sys.stdin)["audit_pages"] if p["offset"] > 0))')
t_ok "every page was followed through pageToken ($pages after the first)" test "$pages" -ge 2
t_like "state/audit: versioned, seq, checkpoint with its digests" \
	"$(cat "$T/data/state/audit" | cut -c1-40 | tr '\n' ' ')" \
	'^mcspool-state audit 1 seq 2 checkpoint [0-9]+ checkpoint_utc [0-9T:-]+\+0000 digests [0-9a-f]{32}'
t_ok "no pending window after a complete run" sh -c "! grep -q pending '$T/data/state/audit'"
cp_iso=$(sed -n 's/^checkpoint_utc //p' "$T/data/state/audit")
t_is "the newest event's time is the checkpoint" "$(python3 -c '
import json,sys; d=json.load(open(sys.argv[1])); print(d["data"][-1]["eventTime"])' "$T/data/raw/audit.000000000001.json")" "$cp_iso"

f1_fetch
t_is "second run at once: exit 0" "$f1_rc" 0
t_is "the overlapping window writes no file (the boundary events are not repeated)" \
	"$(ls "$T/data/raw" | wc -l | tr -d ' ')" 1

# New events: one at the checkpoint second carrying an id already delivered
# (real captures share ids), one now (inside the lag), two in between.
oldid=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["data"][-1]["id"])' \
	"$T/data/raw/audit.000000000001.json")
emu_ctl POST /_emu/audit/append "{\"events\":[
 {\"eventTime\":\"$cp_iso\",\"id\":\"$oldid\",\"auditType\":\"Logon Authentication Failed\",\"user\":\"user7@example.com\",\"eventInfo\":\"same id, same second, another event\"},
 {\"eventTime\":\"-40\",\"auditType\":\"User Logged On\",\"user\":\"user3@example.com\",\"eventInfo\":\"between 1\"},
 {\"eventTime\":\"-30\",\"auditType\":\"User Logged On\",\"user\":\"user4@example.com\",\"eventInfo\":\"between 2, with a | pipe\"},
 {\"eventTime\":\"-1\",\"auditType\":\"User Logged Off\",\"user\":\"user5@example.com\",\"eventInfo\":\"inside the lag\"}]}" >/dev/null
t2=$(date +%s)
f1_fetch
t_is "third run: exit 0" "$f1_rc" 0
f2=$(ls "$T/data/raw" | sed -n 2p)
t_is "a second file (numbers are never reused, so an empty window leaves a gap)" "$(ls "$T/data/raw" | wc -l | tr -d ' ')" 2
n2=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["data"]))' "$T/data/raw/$f2")
t_is "it holds the same-id event and the two in between, not the one inside the lag" "$n2" 3
f1_events
t_ok "everything up to now-lag once" f1_check audit "$T/events.json" $((t1 - 3600)) $((t2 - 6))
sleep 5
f1_fetch
f1_events
t_ok "the lagging event comes once the lag has passed" f1_check audit "$T/events.json" $((t1 - 3600)) $((t2 - 1))

# A page token refused mid-window: the window again from its first page.
rm -rf "$T/data"
mkdir "$T/data"
f1_fault token-expire /api/audit/get-audit-events 1 '"skip":1'
t4=$(date +%s)
f1_fetch
t_is "a refused page token: exit 0" "$f1_rc" 0
t_like "the window is fetched again from its first page" "$(cat "$T/err")" 'page token was refused.*first page'
f1_events
t_ok "nothing lost or doubled" f1_check audit "$T/events.json" $((t4 + 1 - 3600)) $((t4 - 5))

# The request carries +0000 dates whatever TZ says.
t_like "the emulator saw no date error" "$(cat "$EMU_DIR/stderr" "$EMU_DIR"/emu.log 2>/dev/null | grep -c 'err_validation_invalid_date')" '^0$'
t_done
