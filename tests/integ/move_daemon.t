#!/bin/sh
# mcspool-move as a daemon with the fake agent running beside it: a poke on
# lock/move.trigger starts a pass, files flow through to the archive, and
# SIGTERM stops it at once with exit 0.
. "$MCSPOOL_TOP/tests/lib.sh"
. "$MCSPOOL_TOP/tests/fakes/movelib.sh"
t_plan 5
mv_setup "max_files = 3"
mv_mta 3
mcspool-move 2>"$T/move.err" &
pid=$!
t_at_exit "kill $pid 2>/dev/null"
python3 "$MV_AGENT" "$T/read" "$T/lrstate" 7 --interval 0.1 --cycles 300 --out "$T/siem" \
	--poke "$T/data/lock/move.trigger" &
apid=$!
t_at_exit "kill $apid 2>/dev/null"

# wait_for SECONDS COMMAND...: poll until the command succeeds.
wait_for() {
	n=$(($1 * 10)); shift
	while [ $n -gt 0 ]; do "$@" && return 0; sleep 0.1; n=$((n - 1)); done
	return 1
}
archived() { [ "$(ls "$T/archive" | wc -l)" -eq "$1" ]; }
t_ok "three files through to the archive" wait_for 15 archived 3
sleep 0.3 # let the daemon go idle (a poke during a pass is not lost either)
for i in 7 8; do
	mv_gen "late_$i.log" > "$T/data/tmp/late_$i.log"
	mv "$T/data/tmp/late_$i.log" "$T/data/mta/late_$i.log"
done
printf x > "$T/data/lock/move.trigger"
delivered() { [ -e "$T/read/late_7.log" ] || [ -e "$T/archive/late_7.log" ]; }
t_ok "a poke on lock/move.trigger delivers at once" wait_for 2 delivered
t_ok "... and they are archived too" wait_for 15 archived 5
start=$(date +%s)
kill -TERM $pid
wait $pid
rc=$?
t_is "SIGTERM: exit 0" "$rc" 0
t_ok "SIGTERM: stopped within 2 s" test $(($(date +%s) - start)) -le 2
t_done
