#!/bin/sh
# bench/fetch.sh: mcspool-fetch (API 1.0) download throughput from the local emulator against
# the curl command line on the same files (the emulator clock moved 8 days on, so the sample
# files are beyond retention and only the generated ones are served), and the fetcher's peak RSS with a 1 GB payload.
# The fetcher fsyncs each file before it hands it on; the figure is against curl with the
# same fsync of each file (bench/curl_siem.py --fsync), and plain curl's is in the raw numbers
# (as the splitter's baselines fsync what they write).
#
#   BENCH_FETCH_SPEC   the emulator's --gen-kv for the throughput runs (default
#                      count=8,size=64M,type=mixed,seed=1: 512 MiB in 8 files)
#   BENCH_FETCH_BIG    the payload of the RSS run (default 1G, one file)
#   BENCH_FETCH_TLS    1 (default): HTTPS with the emulator's throwaway CA; 0: plain HTTP
#   BENCH_RUNS         timed runs, median reported (default 3)
. "$(dirname "$0")/lib.sh"
b_init fetch
. "$TOP/tests/emu/emu.sh"
SPEC=${BENCH_FETCH_SPEC:-count=8,size=64M,type=mixed,seed=1}
BIG=${BENCH_FETCH_BIG:-1G}
TLSARG=""
[ "${BENCH_FETCH_TLS:-1}" = 1 ] || TLSARG=--http
S=$B/spool

fconf() {
	b_conf "$S" 'consumer { type = "quiet" quiet_minutes = 1 }'
	cat >>"$S/mcspool.conf" <<EOF
mimecast {
  api = 1
  base_url = "$EMU_URL"
  app_id = "$(emu_account v1 main app_id)"
  app_key = "$(emu_account v1 main app_key)"
  access_key = "$(emu_account v1 main access_key)"
  secret_key = "$(emu_account v1 main secret_key)"
  ${EMU_CA:+ca_file = \"$EMU_CA\"}
  compress = false
  audit = false
}
EOF
}

# one fetcher run and one curl run, alternately; sets F_* and C_* lists
fetch_pair() {
	fconf
	b_time "$B/t" "$BIN/mcspool-fetch" --once -c "$S/mcspool.conf" || exit 1
	read -r w u s m <"$B/t"
	fb=$(cat "$S/data/raw"/* | wc -c)
	fn=$(ls "$S/data/raw" | wc -l)
	F_W="$F_W $w"
	F_CPU="$F_CPU $(b_calc "$u + $s")"
	F_RSS="$F_RSS $m"
	rm -rf "$S"
	rm -rf "$B/curl"
	b_time "$B/t" python3 "$BENCH_DIR/curl_siem.py" "$EMU_URL" "$EMU_CA" "$EMU_ACCOUNTS" "$B/curl" || exit 1
	read -r w u s m <"$B/t"
	read -r cn cb <"$B/t.log"
	C_W="$C_W $w"
	rm -rf "$B/curl"
	b_time "$B/t" python3 "$BENCH_DIR/curl_siem.py" "$EMU_URL" "$EMU_CA" "$EMU_ACCOUNTS" "$B/curl" --fsync || exit 1
	read -r w u s m <"$B/t"
	CS_W="$CS_W $w"
	rm -rf "$B/curl"
	if [ "$cb" != "$fb" ] || [ "$cn" != "$fn" ]; then
		echo "bench: fetcher got $fn files/$fb bytes, curl $cn files/$cb bytes" >&2
		exit 1
	fi
	BYTES=$fb
	NFILES=$fn
}

echo "== fetcher throughput (--gen-kv $SPEC, API 1.0, compress = false, $BENCH_RUNS runs; sandbox off)"
emu_start "$B" $TLSARG --clock-offset 691200 --gen-kv "$SPEC" || exit 1
trap 'emu_stop; rm -rf "$B"' EXIT
F_W="" F_CPU="" F_RSS="" C_W="" CS_W=""
i=0
while [ "$i" -lt "$BENCH_RUNS" ]; do
	i=$((i + 1))
	fetch_pair
	echo "# run $i: fetch $(echo $F_W | awk '{print $NF}')s, curl $(echo $C_W | awk '{print $NF}')s, curl+fsync $(echo $CS_W | awk '{print $NF}')s"
done
fw=$(b_median $F_W)
cw=$(b_median $C_W)
csw=$(b_median $CS_W)
ratio=$(b_calc "$csw / $fw")
b_result "fetch throughput" "$(b_calc "$ratio * 100")% of curl+fsync ($(b_calc "$BYTES / 1048576 / $fw") MB/s vs $(b_calc "$BYTES / 1048576 / $csw") MB/s)" \
	">= 90% of curl+fsync" "$(b_yes "$ratio" 0.9)" \
	"$NFILES files, $BYTES bytes ($( [ -n "$TLSARG" ] && echo HTTP || echo HTTPS)); mcspool-fetch walls:$F_W s (median $fw), CPU:$F_CPU s, peak RSS:$F_RSS KB; curl+fsync loop walls:$CS_W s (median $csw); plain curl loop walls:$C_W s (median $cw): $(b_calc "$cw / $fw * 100")% of that"
emu_stop

echo "== fetcher peak RSS with a $BIG payload"
rm -rf "$B/emu"
emu_start "$B" $TLSARG --clock-offset 691200 --gen-kv "count=1,size=$BIG,type=mixed,seed=2" || exit 1
F_W="" F_CPU="" F_RSS="" C_W=""
fetch_pair
rss=$(echo $F_RSS)
b_result "fetch peak RSS ($BIG payload)" "$(b_calc "$rss / 1024") MiB" "<= 16 MiB" "$(b_yes 16384 "$rss")" \
	"$NFILES files, $BYTES bytes; fetch ${F_W# }s wall, ${F_CPU# }s CPU; curl loop ${C_W# }s"
emu_stop
