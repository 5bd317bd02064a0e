#!/bin/sh
# mcspool-fetch, API 1.0 SIEM: compress = false and output_format = json give
# the exact bodies Mimecast sent, named from Content-Disposition; a large
# file is streamed to disk with bounded memory.
. "$MCSPOOL_TOP/tests/integ/fetch1_lib.sh"
F1_EXTRA='audit = false
compress = false'
f1_setup
t_plan 9

f1_fetch
t_is "compress = false: exit 0" "$f1_rc" 0
f1_queue false key_value
t_ok "every key_value file once, byte for byte" f1_check siem "$T/queue.json"
f=$(ls "$T/data/raw" | grep '^siem1\.[0-9]*\.receipt_20241125135719431\.log$')
t_ok "the bytes are the sample's (backslash-wrapped values, bare CRs)" \
	cmp "$T/data/raw/$f" "$MCSPOOL_SAMPLES/v1/kv/receipt_20241125135719431.log"

# fileFormat=json: a fresh spool, the JSON files.
rm -rf "$T/data"
mkdir -p "$T/data"
F1_EXTRA='audit = false
compress = false'
{ echo 'output_format = "json"'; cat "$T/mcspool.conf"; } >"$T/c2" && mv "$T/c2" "$T/mcspool.conf"
chmod 600 "$T/mcspool.conf"
f1_fetch
t_is "output_format = json: exit 0" "$f1_rc" 0
f1_queue false json
t_ok "every json file once, byte for byte" f1_check siem "$T/queue.json"
f=$(ls "$T/data/raw" | grep '^siem1\.[0-9]*\.ttp_url_20241125143244743\.json$')
t_ok "a json file is the sample's bytes" cmp "$T/data/raw/$f" "$MCSPOOL_SAMPLES/v1/json/ttp_url_20241125143244743.json"

# A 64 MiB file: streamed, memory bounded.
emu_ctl POST /_emu/siem/append '{"kind":"kv","count":1,"type":"receipt","size":"64m"}' >/dev/null
if [ "${MCSPOOL_SAN:-}" = 1 ]; then
	timeout 120 mcspool-fetch --once 2>"$T/err"
	rc=$?
	rss=0
else
	/usr/bin/time -f '%M' -o "$T/rss" timeout 120 mcspool-fetch --once 2>"$T/err"
	rc=$?
	rss=$(tail -1 "$T/rss")
fi
t_is "the large file: exit 0" "$rc" 0
f1_queue false json
t_ok "it arrived whole" f1_check siem "$T/queue.json"
t_ok "peak memory stays small (${rss} kB for a 64 MiB body)" test "$rss" -lt 40000
t_done
