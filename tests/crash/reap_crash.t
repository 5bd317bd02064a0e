#!/bin/sh
# The reaper killed (MCSPOOL_FAILPOINT) before and after an unlink, then
# restarted: every expired file goes, nothing young goes.
. "$MCSPOOL_TOP/tests/lib.sh"
. "$MCSPOOL_TOP/tests/fakes/movelib.sh"
t_plan 8
for fp in reap-before-unlink:1 reap-before-unlink:4 reap-after-unlink:1 reap-after-unlink:7; do
	mv_setup "retention_days = 3"
	mkdir -p "$T/data/bad"
	for i in 1 2 3 4 5 6; do
		echo x > "$T/archive/old_$i.log"; touch -d '-4 days' "$T/archive/old_$i.log"
		echo x > "$T/archive/new_$i.log"; touch -d '-2 days' "$T/archive/new_$i.log"
	done
	echo x > "$T/data/bad/old_1.json"; touch -d '-4 days' "$T/data/bad/old_1.json"
	MCSPOOL_FAILPOINT=$fp mcspool-reap --once 2>/dev/null
	rc=$?
	mcspool-reap --once 2>/dev/null
	left="$(ls "$T/archive" "$T/data/bad" | grep -c old_)"
	t_is "$fp: killed" "$rc" 137
	t_is "$fp: after a restart all expired files are gone, the young kept" "$left $(ls "$T/archive" | grep -c new_)" "0 6"
	t_run_cleanups
done
t_done
