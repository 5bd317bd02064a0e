#!/bin/sh
# mcspool-fetch, API 1.0 SIEM stream against the emulator: the token chain,
# names, bytes, state, end of data, new files, and the recent-file ledger.
. "$MCSPOOL_TOP/tests/integ/fetch1_lib.sh"
F1_EXTRA='audit = false'
f1_setup
t_plan 24

f1_fetch
t_is "first --once exits 0" "$f1_rc" 0
f1_queue true
t_ok "every queued file is in raw/ exactly once, byte for byte" f1_check siem "$T/queue.json"
n=$(f1_count siem1.)
t_is "30 files (the sample queue, compressed)" "$n" 30
t_ok "names are siem1.<12 digits>.<Content-Disposition name>" \
	test -f "$T/data/raw/siem1.000000000001.jrnl_20241125134029375.zip"
t_like "state/siem1 is versioned and holds seq and token" "$(head -2 "$T/data/state/siem1" | tr '\n' ' ')" \
	'^mcspool-state siem1 2 seq 31 $'
t_ok "the token is saved" grep -q '^token [A-Za-z0-9_=-]' "$T/data/state/siem1"
served=$(emu_stats | python3 -c 'import json,sys; s=json.load(sys.stdin); print(len(s["siem_served"]), s["siem_end_of_data"])')
t_is "30 files served, then one end-of-data reply" "$served" "30 1"
t_ok "no temporary left in tmp/fetch" sh -c "[ -z \"\$(ls '$T/data/tmp/fetch')\" ]"

# Each request is signed with a fresh request id (the emulator rejects a bad signature).
t_is "no authentication failure" "$(emu_stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["auth_failures"])')" "{}"

f1_fetch
t_is "second --once at end of data exits 0" "$f1_rc" 0
t_is "and adds nothing" "$(f1_count siem1.)" 30

# New files arrive: exactly those are fetched, numbered on.
emu_ctl POST /_emu/siem/append '{"kind":"kv","count":3,"type":"receipt,process"}' >/dev/null
f1_fetch
f1_queue true
t_ok "the 3 new files are fetched, nothing doubled" f1_check siem "$T/queue.json"
t_is "33 files" "$(f1_count siem1.)" 33

# A token reset (the saved token refused as expired): start again from the
# oldest data, but files delivered lately are not delivered twice.
f1_fault token-expire /api/audit/get-siem-logs 1
emu_ctl POST /_emu/siem/append '{"kind":"kv","count":1,"type":"delivery"}' >/dev/null
f1_fetch
t_is "a refused token is not fatal" "$f1_rc" 0
t_like "it is reported" "$(cat "$T/err")" 'refused the saved SIEM token.*oldest data'
f1_queue true
t_ok "after the reset: the new file once, the old ones not again" f1_check siem "$T/queue.json"

# End of data without any mc-siem-token header: the token sent is kept.
emu_ctl POST /_emu/config '{"siem_end_token":"omit"}' >/dev/null
tok=$(grep '^token ' "$T/data/state/siem1")
f1_fetch
t_is "end of data without a token header: exit 0" "$f1_rc" 0
t_is "the token sent is kept" "$(grep '^token ' "$T/data/state/siem1")" "$tok"
emu_ctl POST /_emu/siem/append '{"kind":"kv","count":1,"type":"jrnl"}' >/dev/null
f1_fetch
f1_queue true
t_ok "and the next file follows on from it" f1_check siem "$T/queue.json"

# A version 1 state (SHA-256 digests) is migrated: its digests are still
# compared, so a reset to the oldest data right after the upgrade duplicates
# nothing.
python3 - "$T/data/state/siem1" "$T/data/raw" <<'EOP'
import hashlib, os, sys
st, raw = sys.argv[1], sys.argv[2]
lines = open(st).read().splitlines()[1:]
keep = [l for l in lines if not l.startswith(("recent ", "recent_sha256 "))]
digs = [hashlib.sha256(open(os.path.join(raw, n), "rb").read()).hexdigest()[:32]
        for n in sorted(os.listdir(raw))]
open(st + ".v1", "w").write("mcspool-state siem1 1\n" + "\n".join(keep) + "\nrecent " + ",".join(digs) + "\n")
os.rename(st + ".v1", st)
EOP
before=$(f1_count siem1.)
f1_fault token-expire /api/audit/get-siem-logs 1
emu_ctl POST /_emu/siem/append '{"kind":"kv","count":1,"type":"delivery"}' >/dev/null
f1_fetch
t_is "a version 1 state is read: exit 0" "$f1_rc" 0
t_like "it is migrated, and said so" "$(cat "$T/err")" 'migrating from version 1: its [0-9]+ SHA-256 digests'
f1_queue true
t_ok "after a reset to the oldest data: the new file once, none of the old ones again" \
	f1_check siem "$T/queue.json"
t_is "exactly one file more" "$(f1_count siem1.)" "$((before + 1))"
t_like "saved as version 2, the SHA-256 digests kept beside the new SHA-512 one" \
	"$(head -1 "$T/data/state/siem1" | tr "\n" " "; sed -n "s/^recent //p" "$T/data/state/siem1" | tr "\n" " "; grep -c "^recent_sha256 " "$T/data/state/siem1")" \
	'^mcspool-state siem1 2 [0-9a-f]{32} 1$'
t_done
