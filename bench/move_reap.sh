#!/bin/sh
# bench/move_reap.sh: mcspool-move and mcspool-reap time and system calls for n files
# (n = 10,000, 30,000, 100,000 by default), to show how the cost grows with n.
#
# For each n and run: n small MTA files in data_dir/mta/ (bench/mkfiles.py), then
#   move-in   one mcspool-move pass, max_files = 100000: all n files mta/ -> read_path
#   archive   the files in read_path made 2 h old, consumer quiet (quiet_minutes = 1):
#             mover passes until read_path is empty (a file is archived when two scans
#             found it read: two passes, or more when the ledger is full), read_path ->
#             archive_dir; the figure is the CPU of all passes
#   reap      the archived files made 8 days old, retention_days = 7: one mcspool-reap
#             pass deletes all n
# CPU = user + sys from /usr/bin/time; system calls from a separate `strace -c -f` run.
# The target: at most 2 s of CPU for 100,000 files, and CPU/(n log2 n) at the largest n no
# more than 1.5 times that at the smallest (the cost grows no worse than n log n; the margin
# is for timer noise at small n).
#
# The n series runs on a tmpfs (/dev/shm) when there is one, so that it measures the stages'
# own work and its growth, not the disk's fsync latency (2-3 ms per file here, which would
# make 100,000 files take 5 minutes a pass); then one round of BENCH_DISK_N files runs on the
# disk filesystem of $TMPDIR (fsync real), once, and is reported as its own rows: that is
# the figure an operator sees.
#
#   BENCH_NS       the n values (default "10000 30000 100000")
#   BENCH_DISK_N   files in the one round on disk (default 100000; 0 = skip)
#   BENCH_RUNS     timed runs per n, median reported (default 3)
. "$(dirname "$0")/lib.sh"
b_init move
NS=${BENCH_NS:-10000 30000 100000}
DISK_N=${BENCH_DISK_N:-100000}
FAST=$B
if [ -d /dev/shm ] && [ "$(df -T /dev/shm | awk 'NR==2 {print $2}')" = tmpfs ]; then
	FAST=$(mktemp -d /dev/shm/mcspool-bench-move.XXXXXX)
	[ "${BENCH_KEEP:-0}" = 1 ] || trap 'rm -rf "$B" "$FAST"' EXIT
fi
S=$FAST/spool

mconf() {
	b_conf "$S" 'max_files = 100000' 'retention_days = 7' \
		'consumer { type = "quiet" quiet_minutes = 1 }'
}

age() { # DIR SECONDS: set every file's mtime SECONDS in the past
	python3 - "$1" "$2" <<'EOP'
import os, sys, time
d, t = sys.argv[1], time.time() - int(sys.argv[2])
for n in os.listdir(d):
    os.utime(os.path.join(d, n), (t, t))
EOP
}

count() { find "$1" -maxdepth 1 -type f | wc -l; }

# one_round N STRACE: sets MV_* (move-in), AR_* (archive), RP_* (reap) for one run
one_round() {
	n=$1
	mconf
	python3 "$BENCH_DIR/mkfiles.py" "$S/data/mta" "$n" 7200 || exit 1
	pre="" # run under strace -c when $2 = 1
	[ "$2" = 1 ] && pre="strace -c -f -o $B/st"
	top() { awk 'NR > 2 && !/^-/ && !/total$/ {printf "%s%s=%s", sep, $NF, $4; sep=","; if (++k == 4) exit}' "$B/st"; }

	b_time "$B/t" $pre "$BIN/mcspool-move" --once -c "$S/mcspool.conf" || exit 1
	read -r w u s m <"$B/t"
	MV="$w $(b_calc "$u + $s") $u $s"
	[ "$2" = 1 ] && MV_SC="$(awk '/ total$/ {print $4}' "$B/st") ($(top))"
	got=$(count "$S/read")
	[ "$got" = "$n" ] || { echo "bench: move-in: $got of $n files in read_path" >&2; exit 1; }

	age "$S/read" 7200
	# Passes until read_path is empty: two when the mover's ledger of the previous scan holds
	# every file; more when it does not (it is bounded by STATE_MAX_BYTES, 4 MiB: about
	# 45,000 entries of these names), the rest waiting for later scans.
	aw=0 ac=0 au=0 as=0 asc=0 passes=0 atop="" AR_FAIL=""
	while [ "$(count "$S/read")" -gt 0 ] && [ "$passes" -lt 12 ]; do
		passes=$((passes + 1))
		if ! b_time "$B/t" $pre "$BIN/mcspool-move" --once -c "$S/mcspool.conf"; then
			AR_FAIL="pass $passes: $(grep -m1 'fatal' "$B/t.log" || tail -1 "$B/t.log")"
			break
		fi
		read -r w1 u1 s1 m1 <"$B/t"
		aw=$(b_calc "$aw + $w1") ac=$(b_calc "$ac + $u1 + $s1") au=$(b_calc "$au + $u1") as=$(b_calc "$as + $s1")
		if [ "$2" = 1 ]; then
			asc=$(awk -v a="$asc" '/ total$/ {print a + $4}' "$B/st")
			[ "$passes" = 2 ] && atop=$(top)
		fi
	done
	AR="$aw $ac $au $as $passes"
	[ "$2" = 1 ] && AR_SC="$asc (2nd pass: $atop)"
	got=$(count "$S/archive")
	if [ -n "$AR_FAIL" ]; then
		echo "# archive of $n files FAILED ($got archived): $AR_FAIL"
		# go on with the reaper: the rest into archive_dir by hand
		python3 -c 'import os,sys; [os.rename(os.path.join(sys.argv[1], f), os.path.join(sys.argv[2], f)) for f in os.listdir(sys.argv[1])]' "$S/read" "$S/archive"
	elif [ "$got" != "$n" ]; then
		echo "bench: archive: $got of $n files in archive_dir after $passes passes" >&2
		exit 1
	fi

	age "$S/archive" $((8 * 86400))
	b_time "$B/t" $pre "$BIN/mcspool-reap" --once -c "$S/mcspool.conf" || exit 1
	read -r w u s m <"$B/t"
	RP="$w $(b_calc "$u + $s") $u $s"
	[ "$2" = 1 ] && RP_SC="$(awk '/ total$/ {print $4}' "$B/st") ($(top))"
	got=$(count "$S/archive")
	[ "$got" = 0 ] || { echo "bench: reap: $got files left in archive_dir" >&2; exit 1; }
	rm -rf "$S"
}

FSNAME=$(df -T "$FAST" | awk 'NR==2 {print $2}')
echo "== mover and reaper: n = $NS ($BENCH_RUNS runs each, median; sandbox off; $FSNAME)"
for n in $NS; do
	mv_w="" mv_c="" ar_w="" ar_c="" rp_w="" rp_c="" mv_us="" ar_us="" rp_us="" ar_fail=""
	i=0
	while [ "$i" -lt "$BENCH_RUNS" ]; do
		i=$((i + 1))
		one_round "$n" 0
		set -- $MV
		mv_w="$mv_w $1" mv_c="$mv_c $2" mv_us="$mv_us $3u/$4s"
		set -- $AR
		ar_w="$ar_w $1" ar_c="$ar_c $2" ar_us="$ar_us $3u/$4s/${5}passes"
		[ -n "$AR_FAIL" ] && ar_fail="$AR_FAIL"
		set -- $RP
		rp_w="$rp_w $1" rp_c="$rp_c $2" rp_us="$rp_us $3u/$4s"
		echo "# n=$n run $i: move-in $MV, archive $AR, reap $RP (wall cpu user sys [passes])"
	done
	one_round "$n" 1
	nlogn=$(b_calc "$n * log($n) / log(2)")
	for op in mv ar rp; do
		eval "w=\$(b_median \$${op}_w) c=\$(b_median \$${op}_c) us=\$${op}_us"
		case $op in
		mv) name=move-in sc=$MV_SC ;;
		ar) name=archive sc=$AR_SC ;;
		rp) name=reap sc=$RP_SC ;;
		esac
		per=$(b_calc "$c / $nlogn * 1e9")
		if [ "$op" = ar ] && [ -n "$ar_fail" ]; then
			echo "$name $n FAIL $ar_fail" >>"$B/table"
			echo "# $name n=$n: FAILED: $ar_fail"
			continue
		fi
		echo "$name $n $w $c $per $sc" >>"$B/table"
		echo "# $name n=$n: median ${w}s wall, ${c}s CPU (runs:$us), ${per} ns CPU per n*log2(n), syscalls $sc"
	done
done

last=${NS##* }
first=${NS%% *}
for name in move-in archive reap; do
	raw=$(awk -v op="$name" '$1 == op && $3 == "FAIL" {printf "%sn=%s: FAILED: %s", sep, $2, substr($0, index($0, " FAIL ") + 6); sep="; "; next}
		$1 == op {printf "%sn=%s: %ss wall, %ss CPU, %s ns/(n log2 n), syscalls %s", sep, $2, $3, $4, $5, substr($0, index($0, $6)); sep="; "}' "$B/table")
	failed_at=$(awk -v op="$name" '$1 == op && $3 == "FAIL" {print $2; exit}' "$B/table")
	if [ -n "$failed_at" ]; then
		ok_last=$(awk -v op="$name" '$1 == op && $3 != "FAIL" {n = $2} END {print n}' "$B/table")
		p_first=$(awk -v op="$name" -v n="$first" '$1 == op && $2 == n {print $5}' "$B/table")
		p_ok=$(awk -v op="$name" -v n="$ok_last" '$1 == op && $2 == n {print $5}' "$B/table")
		fig="FAILED at n=$failed_at (mcspool-move exits)"
		[ -n "$ok_last" ] && [ "$ok_last" != "$first" ] &&
			fig="$fig; CPU/(n log n) at n=$ok_last is $(b_calc "$p_ok / ($p_first > 0 ? $p_first : 1e-9)")x that at n=$first"
		b_result "$name $last files ($FSNAME)" "$fig" "<= 2 s CPU; growth <= n log n (ratio <= 1.5)" no "$raw"
		continue
	fi
	cpu_last=$(awk -v op="$name" -v n="$last" '$1 == op && $2 == n {print $4}' "$B/table")
	p_first=$(awk -v op="$name" -v n="$first" '$1 == op && $2 == n {print $5}' "$B/table")
	p_last=$(awk -v op="$name" -v n="$last" '$1 == op && $2 == n {print $5}' "$B/table")
	growth=$(b_calc "$p_last / ($p_first > 0 ? $p_first : 1e-9)")
	met=no
	if b_ge 2 "$cpu_last" && b_ge 1.5 "$growth"; then met=yes; fi
	b_result "$name $last files ($FSNAME)" "${cpu_last}s CPU; CPU/(n log n) at n=$last is ${growth}x that at n=$first" \
		"<= 2 s CPU; growth <= n log n (ratio <= 1.5)" "$met" "$raw"
done

if [ "$DISK_N" -gt 0 ]; then
	S=$B/spool
	DFS=$(df -T "$B" | awk 'NR==2 {print $2}')
	echo "== mover and reaper: one round of $DISK_N files on $DFS (fsync real)"
	one_round "$DISK_N" 0
	# The filesystem's own floor: a bare loop of rename(2), and of unlink(2), over as many
	# files of the same names and sizes (bench/fsfloor.py).
	python3 "$BENCH_DIR/fsfloor.py" "$B/floor" "$DISK_N" >"$B/floor.txt" || exit 1
	FL_RN=$(awk '$1 == "rename" {print $3}' "$B/floor.txt")
	FL_UL=$(awk '$1 == "unlink" {print $3}' "$B/floor.txt")
	floor="the filesystem's floor: a bare rename(2) loop over $DISK_N files takes ${FL_RN}s of system time, an unlink(2) loop ${FL_UL}s"
	set -- $MV
	b_result "move-in $DISK_N files ($DFS)" "${2}s CPU, ${1}s wall" "<= 2 s CPU" "$(b_yes 2 "$2")" "one run: ${3}s user, ${4}s sys; $floor"
	set -- $AR
	if [ -n "$AR_FAIL" ]; then
		b_result "archive $DISK_N files ($DFS)" "FAILED: $AR_FAIL" "<= 2 s CPU" no "before the failure: ${2}s CPU, ${1}s wall, ${3}s user, ${4}s sys"
	else
		b_result "archive $DISK_N files ($DFS)" "${2}s CPU, ${1}s wall ($5 passes)" "<= 2 s CPU" "$(b_yes 2 "$2")" "one run: ${3}s user, ${4}s sys; $floor"
	fi
	set -- $RP
	b_result "reap $DISK_N files ($DFS)" "${2}s CPU, ${1}s wall" "<= 2 s CPU" "$(b_yes 2 "$2")" "one run: ${3}s user, ${4}s sys; $floor"
fi
