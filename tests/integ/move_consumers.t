#!/bin/sh
# Consumer types filebeat (the registry fixture in tests/data/filebeat) and
# quiet (mtimes set in the past with touch -d: no sleeping).
. "$MCSPOOL_TOP/tests/lib.sh"
. "$MCSPOOL_TOP/tests/fakes/movelib.sh"
t_plan 11

# filebeat: the fixture names files under /var/log/mcspool/read.
mv_setup 'consumer { type = "filebeat" state_dir = "@T@/fb" reader_path = "/var/log/mcspool/read" }'
cp -R "$MCSPOOL_TOP/tests/data/filebeat/registry" "$T/fb"
for f in a:100 b:200 c:300 d:400 e:500 f:600 g:700 h:0; do
	head -c "${f#*:}" /dev/zero | tr '\0' 'x' > "$T/read/${f%:*}_1.log"
done
mv_move
t_is "filebeat: one scan archives nothing" "$(ls "$T/archive" | wc -l)" 0
mv_move
t_is "filebeat: read to the end per the registry, archived" "$(ls "$T/archive" | tr '\n' ' ')" "a_1.log b_1.log d_1.log "
t_is "filebeat: the rest stays" "$(ls "$T/read" | tr '\n' ' ')" "c_1.log e_1.log f_1.log g_1.log h_1.log "
t_is "filebeat: the torn last line of log.json is not an error" "$(grep -c warning "$T/move.err")" 0

# The registry directory may be given as path.data/registry too.
mv_setup 'consumer { type = "filebeat" state_dir = "@T@/fb" reader_path = "/var/log/mcspool/read" }'
mkdir -p "$T/fb"; cp -R "$MCSPOOL_TOP/tests/data/filebeat/registry/filebeat" "$T/fb/"
head -c 100 /dev/zero > "$T/read/a_1.log"
mv_move; mv_move
t_is "filebeat: state_dir = path.data/registry works" "$(ls "$T/archive")" "a_1.log"

# A registry format we do not know: nothing counts as read.
mv_setup 'consumer { type = "filebeat" state_dir = "@T@/fb" reader_path = "/var/log/mcspool/read" }'
cp -R "$MCSPOOL_TOP/tests/data/filebeat/registry" "$T/fb"
printf '{"version":"2"}\n' > "$T/fb/filebeat/meta.json"
head -c 100 /dev/zero > "$T/read/a_1.log"
mv_move; mv_move
t_is "filebeat: unknown registry version: nothing archived" "$(ls "$T/archive" | wc -l)" 0
t_like "... and says why" "$(cat "$T/move.err")" 'meta.json is not a version 1 registry'

# quiet: unchanged for quiet_minutes, counted from delivery.
mv_setup 'consumer { type = "quiet" quiet_minutes = 10 }'
mv_mta 3
mv_move; mv_move; mv_move
t_is "quiet: just delivered, not archived" "$(ls "$T/archive" | wc -l)" 0
touch -d '-11 minutes' "$T/read/receipt_000000.log"
touch -d '-9 minutes' "$T/read/receipt_000001.log"
mv_move; mv_move
t_is "quiet: only the one left alone 10 minutes is archived" "$(ls "$T/archive")" "receipt_000000.log"
touch -d '-11 minutes' "$T/read/receipt_000001.log"
mv_move
touch -d '-12 minutes' "$T/read/receipt_000001.log" # changed between the two scans
mv_move
t_is "quiet: changed between two scans: not archived" "$(ls "$T/archive" | wc -l)" 1
mv_move
t_is "quiet: then unchanged for two scans: archived" "$(ls "$T/archive" | wc -l)" 2
t_done
