#!/bin/sh
# mcspool-split as a daemon: splits what is waiting at start, wakes on the
# fetcher's trigger (lock/split.trigger), pokes the mover's trigger after
# publishing into mta/, and stops within 2 s of SIGTERM with exit 0.
. "$MCSPOOL_TOP/tests/lib.sh"
t_setup
S=$MCSPOOL_SAMPLES
t_plan 7
mkdir -p "$T/data/raw" "$T/data/lock"
cp "$S/v1/kv/receipt_20241125134110211.log" "$T/data/raw/siem1.000000000001.receipt_20241125134110211.log"
# Stand in for the mover: a FIFO it would listen on.
mkfifo "$T/data/lock/move.trigger"
exec 9<>"$T/data/lock/move.trigger"
mcspool-split 2>"$T/err" &
pid=$!
t_at_exit "kill $pid 2>/dev/null"
wait_for() { # up to 5 s for a file matching a glob
	i=0
	while [ $i -lt 50 ]; do
		for f in $1; do [ -e "$f" ] && return 0; done
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}
t_ok "what waits in raw/ at start is split" wait_for "$T/data/mta/receipt_000000000001.*.log"
poked=$(timeout 2 dd bs=1 count=1 <&9 2>/dev/null | wc -c)
t_is "the mover's trigger was pulled" "$poked" 1
cp "$S/v1/kv/av_20241125134804852.log" "$T/data/raw/siem1.000000000002.av_20241125134804852.log"
printf x > "$T/data/lock/split.trigger"
t_ok "a pull on lock/split.trigger wakes it" wait_for "$T/data/mta/av_000000000002.*.log"
cp "$S/audit/page-4.json" "$T/data/raw/audit.000000000003.json"
kill -ALRM $pid
t_ok "SIGALRM makes it rescan" wait_for "$T/data/audit/audit_000000000003.*.log"
start=$(date +%s)
kill -TERM $pid
wait $pid
rc=$?
end=$(date +%s)
t_is "SIGTERM: exit 0" "$rc" 0
t_ok "SIGTERM: gone within 2 s" test $((end - start)) -le 2
t_is "raw/ is empty" "$(ls -A "$T/data/raw")" ""
t_done
