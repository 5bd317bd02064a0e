#!/bin/sh
# The hand-off under SIGKILL at each of its steps: the destination holds
# either nothing or the whole file, never a part; a re-run completes it once.
. "$MCSPOOL_TOP/tests/lib.sh"
H=$MCSPOOL_BUILD/tests/helpers/handoff
t_setup
mkdir -p "$T/s/tmp" "$T/s/dst" "$T/s/src" "$T/s/stage"
head -c 3000000 /dev/urandom > "$T/payload"
want=$(cksum < "$T/payload")

check_dst() { # NAME FILE: nothing, or exactly the payload
	if [ ! -e "$T/s/dst/$2" ]; then return 0; fi
	[ "$(cksum < "$T/s/dst/$2")" = "$want" ]
}

points="spool-after-create spool-before-fsync spool-before-rename spool-after-rename spool-after-dirsync"
t_plan 21
for fp in $points; do
	name="p-$fp.bin"
	MCSPOOL_FAILPOINT=$fp "$H" publish "$T/s/tmp" "$T/s/dst" "$name" < "$T/payload" 2>/dev/null
	rc=$?
	t_is "publish killed at $fp" "$rc" 137
	t_ok "after a kill at $fp the destination has nothing or all" check_dst x "$name"
	"$H" publish "$T/s/tmp" "$T/s/dst" "$name" < "$T/payload"
	rc=$?
	if [ "$rc" -le 1 ] && [ "$(cksum < "$T/s/dst/$name")" = "$want" ]; then
		t_pass "re-run after $fp delivers the whole file once (rc $rc)"
	else
		t_fail "re-run after $fp delivers the whole file once (rc $rc)"
	fi
done
# Transfer and copy.
cp "$T/payload" "$T/s/src/t.bin"
MCSPOOL_FAILPOINT=spool-after-rename "$H" transfer "$T/s/src" "$T/s/dst" t.bin 2>/dev/null
t_ok "transfer killed after the rename: the file is in one place" \
	sh -c "[ -e '$T/s/dst/t.bin' ] && [ ! -e '$T/s/src/t.bin' ]"
cp "$T/payload" "$T/s/src/c.bin"
MCSPOOL_FAILPOINT=spool-copy-written "$H" copy "$T/s/src" "$T/s/stage" "$T/s/dst" c.bin 2>/dev/null
t_ok "copy killed before publishing: nothing visible, the source intact" \
	sh -c "[ ! -e '$T/s/dst/c.bin' ] && [ \"\$(cksum < '$T/s/src/c.bin')\" = '$want' ]"
"$H" copy "$T/s/src" "$T/s/stage" "$T/s/dst" c.bin
t_ok "copy re-run completes" check_dst x c.bin
t_is "no staging leftovers" "$(ls -A "$T/s/stage")" ""
t_is "no temporaries left" "$(ls -A "$T/s/tmp")" ""
echo v1 | "$H" replace "$T/s/dst" state
echo v2 | MCSPOOL_FAILPOINT=state-before-rename "$H" replace "$T/s/dst" state 2>/dev/null
t_is "a state replace killed before its rename keeps the old state" "$(cat "$T/s/dst/state")" v1
t_done
