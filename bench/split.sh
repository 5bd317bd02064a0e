#!/bin/sh
# bench/split.sh: mcspool-split throughput against cat/zcat/unzip on the same bytes, and its
# peak RSS for 1 MB, 100 MB and 1 GB inputs.
#
#   BENCH_SPLIT_SIZE   bytes per family for the throughput runs (default 200M)
#   BENCH_RSS_SIZES    input sizes for the RSS runs (default "1M 100M 1G")
#   BENCH_RUNS         timed runs per measurement, median reported (default 3)
. "$(dirname "$0")/lib.sh"
b_init split
SIZE=${BENCH_SPLIT_SIZE:-200M}
RSS_SIZES=${BENCH_RSS_SIZES:-1M 100M 1G}
S=$B/spool
PERF=0
b_perf_ok && PERF=1

# Baselines: what the machine does with the same bytes with no parsing at all. Each writes
# what it read (or decompressed) to one file on the spool's filesystem and fsyncs it
# (coreutils `sync FILE`), since mcspool-split also writes its output and fsyncs it; the
# plain `cat >/dev/null`-style figure is reported in the raw numbers too.
cat >"$B/baseline.sh" <<'EOS'
kind=$1 dir=$2 out=$3
case $kind in
kv) cat "$dir"/siem1.* ;;
audit) cat "$dir"/audit.* ;;
audit-files) # the same pages, each to a file of its own, each fsynced (one output per input)
	[ "$out" = /dev/null ] && { cat "$dir"/audit.*; exit; }
	mkdir -p "$out.d" && for f in "$dir"/audit.*; do cat "$f" >"$out.d/${f##*/}" || exit 1; done &&
		sync "$out.d"/* "$out.d" && rm -rf "$out.d" && exit 0
	exit 1 ;;
zip) for z in "$dir"/siem1.*.zip; do unzip -p "$z"; done ;;
v2) zcat "$dir"/siem2.* ;;
esac >"$out"
[ "$out" = /dev/null ] || sync "$out"
EOS

split_runs() { # KIND GENDIR -> sets MED_WALL MED_CPU MED_RSS, raw list in RUNS_TXT
	kind=$1
	g=$2
	walls=""
	cpus=""
	rss=""
	RUNS_TXT=""
	i=0
	while [ "$i" -lt "$BENCH_RUNS" ]; do
		i=$((i + 1))
		b_conf "$S" 'consumer { type = "quiet" quiet_minutes = 1 }'
		b_link "$g" "$S/data/raw"
		b_warm "$g"/siem* "$g"/audit* 2>/dev/null
		b_time "$B/t" "$BIN/mcspool-split" --once -c "$S/mcspool.conf" || exit 1
		if [ -n "$(ls "$S/data/raw")" ] || [ -n "$(ls "$S/data/bad")" ]; then
			echo "bench: $kind: inputs left in raw/ or quarantined in bad/" >&2
			ls "$S/data/raw" "$S/data/bad" >&2
			exit 1
		fi
		read -r w u s m <"$B/t"
		walls="$walls $w"
		cpus="$cpus $(b_calc "$u + $s")"
		rss="$rss $m"
		RUNS_TXT="$RUNS_TXT ${w}s/${u}u/${s}s"
	done
	MED_WALL=$(b_median $walls)
	MED_CPU=$(b_median $cpus)
	MED_RSS=$(b_median $rss)
}

base_runs() { # KIND GENDIR -> BASE_WALL (median, with fsync), BASE_PLAIN (to /dev/null)
	walls=""
	plain=""
	i=0
	while [ "$i" -lt "$BENCH_RUNS" ]; do
		i=$((i + 1))
		rm -f "$S/base.out"
		b_warm "$2"/siem* "$2"/audit* 2>/dev/null
		b_time "$B/t" sh "$B/baseline.sh" "$1" "$2" "$S/base.out" || exit 1
		read -r w u s m <"$B/t"
		walls="$walls $w"
		rm -f "$S/base.out"
		b_time "$B/t" sh "$B/baseline.sh" "$1" "$2" /dev/null || exit 1
		read -r w u s m <"$B/t"
		plain="$plain $w"
	done
	BASE_WALL=$(b_median $walls)
	BASE_PLAIN=$(b_median $plain)
}

echo "== splitter throughput ($SIZE per family, $BENCH_RUNS runs, median; sandbox off)"
for kind in kv zip v2 audit; do
	g=$B/gen-$kind
	$GEN --kind "$kind" --size "$SIZE" --seed 1 --out "$g" || exit 1
	bytes=$(b_man "$g" raw_bytes)
	recs=$(b_man "$g" records)
	files=$(b_man "$g" files)
	split_runs "$kind" "$g"
	base_runs "$kind" "$g"
	[ "$MED_WALL" = 0.00 ] && MED_WALL=0.01
	mbs=$(b_calc "$bytes / 1048576 / $MED_WALL")
	rps=$(b_calc "$recs / $MED_WALL")
	bmbs=$(b_calc "$bytes / 1048576 / $BASE_WALL")
	ratio=$(b_calc "$BASE_WALL / $MED_WALL")
	base=cat
	[ "$kind" = zip ] && base="unzip -p"
	[ "$kind" = v2 ] && base=zcat
	extra=""
	if [ "$kind" = audit ]; then
		# An audit page is one input and one output file: against cat into one file the
		# splitter also pays a file creation and its fsyncs per page. The same file-by-file
		# work without any parsing is the comparable baseline; both are reported.
		one_wall=$BASE_WALL
		base_runs audit-files "$g"
		ratio1=$(b_calc "$one_wall / $MED_WALL")
		ratio=$(b_calc "$BASE_WALL / $MED_WALL")
		bmbs=$(b_calc "$bytes / 1048576 / $BASE_WALL")
		base="cat per page"
		extra="; cat into one file+fsync median ${one_wall}s: $(b_calc "$ratio1 * 100")% of that; a bare create(2) costs $(b_create_us "$S") us on this filesystem now"
	fi
	instr=""
	if [ "$PERF" = 1 ]; then
		b_conf "$S" 'consumer { type = "quiet" quiet_minutes = 1 }'
		b_link "$g" "$S/data/raw"
		perf stat -x, -e instructions -o "$B/perf" "$BIN/mcspool-split" --once -c "$S/mcspool.conf" 2>/dev/null
		n=$(awk -F, '/instructions/ {print $1}' "$B/perf")
		case $n in '' | *[!0-9]*) ;; *) instr="; $(b_calc "$n / $recs") instructions/record" ;; esac
	fi
	b_result "split $kind throughput" "$(b_calc "$ratio * 100")% of $base ($mbs MB/s, $rps records/s)" \
		">= 50% of $base" "$(b_yes "$ratio" 0.5)" \
		"$files files, $bytes bytes uncompressed, $recs records; split median ${MED_WALL}s wall, ${MED_CPU}s CPU (runs:$RUNS_TXT), peak RSS ${MED_RSS} KB; $base+fsync median ${BASE_WALL}s ($bmbs MB/s), $base to /dev/null ${BASE_PLAIN}s$instr$extra"
	rm -rf "$g"
done

echo "== splitter peak RSS (one input file of each size)"
for kind in kv zip v2; do
	list=""
	most=0
	least=0
	for sz in $RSS_SIZES; do
		g=$B/rss-$kind
		rm -rf "$g"
		$GEN --kind "$kind" --size "$sz" --files 1 --members 1 --seed 2 --out "$g" || exit 1
		b_conf "$S" 'consumer { type = "quiet" quiet_minutes = 1 }'
		b_link "$g" "$S/data/raw"
		b_time "$B/t" "$BIN/mcspool-split" --once -c "$S/mcspool.conf" || exit 1
		read -r w u s m <"$B/t"
		list="$list $sz:${m}KB(${w}s)"
		[ "$m" -gt "$most" ] && most=$m
		{ [ "$least" = 0 ] || [ "$m" -lt "$least" ]; } && least=$m
		rm -rf "$g" "$S"
	done
	mib=$(b_calc "$most / 1024")
	met=$(b_yes 16384 "$most")
	b_result "split $kind peak RSS" "$mib MiB max (growth $(b_calc "($most - $least) / 1024") MiB from smallest to largest)" \
		"<= 16 MiB at any size" "$met" "peak RSS by input size:$list"
done
