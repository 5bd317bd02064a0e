#!/bin/sh
# mcspool-split's hand-off order, traced, when an input leaves raw/ by a rename
# rather than a removal: a zip with a good and a bad member delivers the good one
# to mta/ and goes itself to bad/. Directory fsyncs are deferred to the end of
# the pass, so the move of the input out of raw/ must come after the fsync of
# mta/ (spool_barrier), or a crash could keep the move and lose the part.
. "$MCSPOOL_TOP/tests/lib.sh"
command -v strace >/dev/null 2>&1 || t_skip_all "strace not installed"
t_setup
t_plan 4
mkdir -p "$T/data/raw"
python3 - "$T/data/raw/siem1.000000000001.receipt_1.zip" <<'EOP'
import io, sys, zipfile
b = io.BytesIO()
z = zipfile.ZipFile(b, "w", zipfile.ZIP_DEFLATED)
z.writestr("receipt_1.log", b"datetime=2024-11-25T13:41:00+0200|aCode=a1|Act=Acc\r" * 10)
z.writestr("bad_1.json", b'{"type":"MTA","data":[{"a":')
z.close()
open(sys.argv[1], "wb").write(b.getvalue())
EOP
# (LeakSanitizer cannot run under ptrace: off for this run of a SAN build.)
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
	strace -f -y -e trace=fsync,renameat2,unlinkat -o "$T/trace" \
	"$MCSPOOL_BIN/mcspool-split" -c "$T/mcspool.conf" --once 2>"$T/err"
rc=$?
t_is "the pass succeeds" "$rc" 0
[ "$rc" = 0 ] || sed 's/^/# /' "$T/err"
t_ok "the good member's records are in mta/" sh -c "cat '$T/data/mta/'* | grep -q aCode=a1"
t_ok "the zip itself is in bad/" test -f "$T/data/bad/siem1.000000000001.receipt_1.zip"
got=$(awk -v mta="<$T/data/mta>" -v raw="<$T/data/raw>" '
	/^[0-9]+ +fsync\(/ && index($0, mta) { last_mta = NR }
	/^[0-9]+ +renameat2\(/ && index($0, raw) && index($0, "receipt_1.zip") && !mv { mv = NR; before = last_mta }
	END { printf "%s", (mv && before && before < mv) ? "ok" : "fsync(mta) at " before ", move at " mv }' "$T/trace")
if [ "$got" = ok ]; then t_pass "mta/ is fsynced before the input leaves raw/ for bad/"; else
	t_fail "mta/ is fsynced before the input leaves raw/ for bad/ ($got)"; sed 's/^/# /' "$T/trace"; fi
t_done
