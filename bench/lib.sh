# bench/lib.sh: shared helpers for the benchmarks (POSIX sh, sourced).
#
#   b_init NAME          $B = a fresh /tmp/mcspool-bench-NAME.XXXXXX (removed at exit unless
#                        BENCH_KEEP=1), a private copy of the programs in $B/bin (so a rebuild
#                        in the tree during a run cannot change them), the machine line
#   b_conf DIR [LINES]   a spool tree under DIR and DIR/mcspool.conf (sandbox off)
#   b_time OUT cmd...    run cmd under /usr/bin/time; OUT gets "wall user sys maxrss_kb"
#   b_median a b c       the median
#   b_result NAME FIGURE TARGET MET RAW   one line for results.md (also printed)
set -u
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$BENCH_DIR/.." && pwd)
: "${MCSPOOL_SAMPLES:=$TOP/../shared/samples}"
export MCSPOOL_SAMPLES MCSPOOL_TOP="$TOP"
: "${BENCH_RESULTS:=}"        # run-all.sh sets it: a TSV file collecting every result
: "${BENCH_RUNS:=3}"          # timed runs per measurement (the median is reported)
GEN="python3 $BENCH_DIR/gen.py"
# The stages refuse root; a benchmark machine runs them as root on purpose.
[ "$(id -u)" = 0 ] && MCSPOOL_ALLOW_ROOT=1 && export MCSPOOL_ALLOW_ROOT

b_init() {
	B=$(mktemp -d "${TMPDIR:-/tmp}/mcspool-bench-$1.XXXXXX")
	export B
	if [ "${BENCH_KEEP:-0}" != 1 ]; then
		trap 'rm -rf "$B"' EXIT
		trap 'rm -rf "$B"; exit 1' INT TERM
	fi
	mkdir -p "$B/bin"
	for p in "$TOP"/bin/mcspool-*; do cp "$p" "$B/bin/"; done
	BIN=$B/bin
	echo "# $(b_machine)"
	echo "# bench dir $B ($(df -T "$B" | awk 'NR==2 {print $2}'))"
}

b_machine() {
	printf '%s; %s cores; %s; Linux %s; %s GiB RAM' \
		"$(date -u '+%Y-%m-%d %H:%M UTC')" "$(nproc)" \
		"$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)" \
		"$(uname -r)" \
		"$(awk '/MemTotal/ {printf "%.0f", $2 / 1048576}' /proc/meminfo)"
}

b_conf() {
	d=$1
	shift
	rm -rf "$d"
	mkdir -p "$d/data/raw" "$d/read" "$d/archive"
	{
		echo "data_dir = \"$d/data\""
		echo "read_path = \"$d/read\""
		echo "archive_dir = \"$d/archive\""
		echo "sandbox = \"off\""
		for l in "$@"; do printf '%s\n' "$l"; done
	} >"$d/mcspool.conf"
	chmod 600 "$d/mcspool.conf"
}

# b_time OUT cmd...: the command's own output goes to OUT.log
b_time() {
	o=$1
	shift
	/usr/bin/time -f '%e %U %S %M' -o "$o.t" "$@" >"$o.log" 2>&1
	rc=$?
	tail -1 "$o.t" >"$o"
	rm -f "$o.t"
	if [ "$rc" -ne 0 ]; then
		echo "bench: command failed ($rc): $*" >&2
		tail -5 "$o.log" >&2
	fi
	return $rc
}

b_median() { printf '%s\n' "$@" | sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }

b_result() {
	printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5"
	if [ -n "$BENCH_RESULTS" ]; then
		printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" >>"$BENCH_RESULTS"
	fi
}

# b_calc EXPR: floating-point arithmetic
b_calc() { awk "BEGIN {printf \"%.4g\", $1}"; }
b_ge() { awk "BEGIN {exit !(($1) >= ($2))}"; }
b_yes() { if b_ge "$1" "$2"; then echo yes; else echo no; fi; }

# b_warm FILES...: read them once so every run (and the baseline) starts from the page cache
b_warm() { cat "$@" >/dev/null; }

# b_link SRCDIR DSTDIR: hard-link the generated payloads (not the manifest) into DSTDIR
b_link() {
	for f in "$1"/siem1.* "$1"/siem2.* "$1"/audit.*; do
		[ -e "$f" ] && ln "$f" "$2/"
	done
	return 0
}

# b_man DIR KEY: a field of DIR/manifest.json (raw_bytes, bytes, records, files)
b_man() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1/manifest.json" "$2"; }

b_perf_ok() { perf stat -e instructions true >/dev/null 2>&1; }

# b_create_us DIR: the microseconds one create(2) of an empty file takes in DIR now (the
# median of 1,000; an aged ext4 can take a millisecond, a fresh one tens of microseconds)
b_create_us() {
	python3 - "$1" <<'EOP'
import os, sys, tempfile, time
d = tempfile.mkdtemp(dir=sys.argv[1])
t = []
for i in range(1000):
    s = time.perf_counter()
    os.close(os.open(os.path.join(d, "f%d" % i), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640))
    t.append(time.perf_counter() - s)
for i in range(1000):
    os.unlink(os.path.join(d, "f%d" % i))
os.rmdir(d)
t.sort()
print("%.0f" % (t[500] * 1e6))
EOP
}
