#!/bin/sh
# mcspool-move with the fake LogRhythm agent: oldest first, at most
# max_files in read_path, archive only what the agent read to the end, as
# seen by two consecutive scans; missing, half-written, partial, stale and
# foreign .pos files; duplicates left by a crash; Windows paths; errors.
. "$MCSPOOL_TOP/tests/lib.sh"
. "$MCSPOOL_TOP/tests/fakes/movelib.sh"
t_plan 34

mv_setup "max_files = 2"
mv_move; t_is "nothing to do: exit 0" "$?" 0
mv_mta 5
mv_move
t_is "oldest two delivered" "$(ls "$T/read" | tr '\n' ' ')" "receipt_000000.log receipt_000001.log "
t_is "three wait in mta/" "$(ls "$T/data/mta" | wc -l)" 3
t_is "delivered intact" "$(cat "$T/read/receipt_000001.log")" "$(mv_gen receipt_000001.log)"
mv_move; mv_move
t_is "no .pos: nothing archived" "$(ls "$T/archive" | wc -l)" 0

size=$(stat -c %s "$T/read/receipt_000000.log")
mkdir -p "$T/lrstate/7"
printf '%s\r\n%s' "$T/read/receipt_000000.log" "$size" > "$T/lrstate/7/torn.pos"
printf '%s\r\n0\r\n638408987240279906\r\n' "$T/read/receipt_999999.log" > "$T/lrstate/7/stale.pos"
printf '%s\r\n%s\r\n638408987240279906\r\n' "$T/other/receipt_000001.log" "$size" > "$T/lrstate/7/other.pos"
mv_move; mv_move
t_is "half-written, stale and foreign .pos: nothing archived" "$(ls "$T/archive" | wc -l)" 0
rm -f "$T/lrstate/7/"*.pos

mv_agent --chunk 100
mv_move; mv_move
t_is "partly read: nothing archived" "$(ls "$T/archive" | wc -l)" 0
t_like "the .pos shows a partial read" "$(cat "$T/lrstate/7/"*.pos | sed -n 2p | tr -d '\r')" '^[0-9]+$'

# The two-scan rule: a full .pos seen once, then gone, is not enough.
rm -f "$T/lrstate/7/"*.pos
printf '%s\r\n%s\r\n638408987240279906\r\n' "$T/read/receipt_000000.log" "$size" > "$T/lrstate/7/full.pos"
mv_move
t_is "one scan: not archived yet" "$(ls "$T/archive" | wc -l)" 0
t_like "the ledger remembers it" "$(cat "$T/data/state/move")" 'receipt_000000.log'
rm "$T/lrstate/7/full.pos"
mv_move
t_is "seen once, then not: not archived" "$(ls "$T/archive" | wc -l)" 0
printf '%s\r\n%s\r\n638408987240279906\r\n' "$T/read/receipt_000000.log" "$size" > "$T/lrstate/7/full.pos"
mv_move
t_is "first of two scans: not archived" "$(ls "$T/archive" | wc -l)" 0
mv_move
t_is "two scans agree: archived" "$(ls "$T/archive")" "receipt_000000.log"
t_like "the pass says what it archived, in one line" "$(cat "$T/move.err")" \
	'info: archived 1 file \([0-9]+ bytes\), each read to the end'
t_is "read_path refilled, oldest first" "$(ls "$T/read" | tr '\n' ' ')" "receipt_000001.log receipt_000002.log "
t_is "archived intact" "$(cat "$T/archive/receipt_000000.log")" "$(mv_gen receipt_000000.log)"
rm "$T/lrstate/7/full.pos"

# Duplicates left by an interrupted run (old, so they come up first).
sed -i 's/^max_files = .*/max_files = 3/' "$T/mcspool.conf"
cp "$T/read/receipt_000002.log" "$T/data/mta/"
cp "$T/archive/receipt_000000.log" "$T/data/mta/"
touch -d @1600000000 "$T/data/mta/receipt_000002.log" "$T/data/mta/receipt_000000.log"
mv_move
t_is "names already in read_path or archive_dir are removed from mta/" "$(ls "$T/data/mta" | tr '\n' ' ')" "receipt_000004.log "
t_is "read_path: no second copy, the next file delivered" "$(ls "$T/read" | tr '\n' ' ')" "receipt_000001.log receipt_000002.log receipt_000003.log "
t_like "the archived name is said to be a duplicate" "$(cat "$T/move.err")" 'mta/receipt_000000.log is already in archive_dir'
t_like "the name in read_path is said to be there already" "$(cat "$T/move.err")" \
	'receipt_000002.log is already there .*removing mta/receipt_000002.log'
cp "$T/read/receipt_000001.log" "$T/archive/"
mv_agent; mv_move; mv_move
t_like "archived file still in read_path: removed as a duplicate" "$(cat "$T/move.err")" 'archive/receipt_000001.log is already there .*removing .*read/receipt_000001.log'

MV_AGENT_ARGS="" mv_drain 20
t_is "drained" "$?" 0
t_is "all five archived" "$(ls "$T/archive" | wc -l)" 5
t_is "the last one read once" "$(grep -c receipt_000004 "$T/siem")" 3

# A Windows agent naming read_path D:\mcspool\read.
mv_setup "max_files = 3" 'consumer { type = "logrhythm" state_dir = "@T@/lrstate" reader_path = "D:\\mcspool\\read" }'
mv_mta 7
MV_AGENT_ARGS="--reader-path D:\\MCSPOOL\\Read" mv_drain 20
t_is "Windows paths: drained" "$?" 0
t_is "Windows paths: all read once, archived intact" "$(mv_check 7)" ""

# Clear errors.
sed -i "s|^read_path = .*|read_path = \"$T/nope\"|" "$T/mcspool.conf"
err=$(mcspool-move --once 2>&1); rc=$?
t_is "missing read_path: exit 100" "$rc" 100
t_like "... says which setting" "$err" "fatal: read_path $T/nope does not exist"
sed -i "s|^read_path = .*|read_path = \"$T/read\"|; s|state_dir = \"[^\"]*\"|state_dir = \"$T/nostate\"|" "$T/mcspool.conf"
err=$(mcspool-move --once 2>&1)
t_like "missing state_dir" "$err" "fatal: consumer.state_dir $T/nostate does not exist"
sed -i "s|^log_source_id = .*|log_source_id = 0|" "$T/mcspool.conf"
err=$(mcspool-move --once 2>&1)
t_like "log_source_id 0" "$err" "fatal: log_source_id is 0"

# Permissions, as an unprivileged user (root would pass every check).
if command -v setpriv >/dev/null 2>&1; then
	mv_setup
	chmod 755 "$T"; chmod 644 "$T/mcspool.conf"
	chown -R 65534:65534 "$T/data" "$T/read" "$T/archive"
	chmod 700 "$T/lrstate"
	asnobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$MCSPOOL_BIN/mcspool-move" --once 2>&1; }
	err=$(asnobody); rc=$?
	t_is "unreadable state_dir: exit 100" "$rc" 100
	t_like "... says what to check" "$err" "consumer.state_dir $T/lrstate: permission denied .*needs search and read permission"
	chmod 755 "$T/lrstate"; chown root "$T/read"; chmod 755 "$T/read"
	err=$(asnobody); rc=$?
	t_is "read_path not writable: exit 100" "$rc" 100
	t_like "... says what to check" "$err" "read_path $T/read is not writable by this user"
else
	for i in 1 2 3 4; do t_pass "# SKIP setpriv not installed"; done
fi
t_done
