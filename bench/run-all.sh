#!/bin/sh
# bench/run-all.sh: run the benchmarks and write bench/results.md (a table: benchmark,
# figure, target, met, raw numbers; with the date, the machine, the load and the commit).
# bench/results.tsv keeps the rows, so a run of some benchmarks replaces only their rows;
# the output of each benchmark goes to bench/results.log (appended to on a partial run).
#
#   sh bench/run-all.sh            all of them (about 30-40 minutes on 2 cores)
#   sh bench/run-all.sh move_reap  only those (split fetch move_reap e2e), merged
set -u
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$BENCH_DIR/.." && pwd)
. "$BENCH_DIR/lib.sh"
for p in mcspool-fetch mcspool-split mcspool-move mcspool-reap; do
	[ -x "$TOP/bin/$p" ] || { echo "run-all.sh: $TOP/bin/$p missing: run make first" >&2; exit 100; }
done
ALL="split fetch move_reap e2e"
list=${*:-$ALL}
LOG=$BENCH_DIR/results.log
OUT=$BENCH_DIR/results.md
TSV=$BENCH_DIR/results.tsv
NEW=$(mktemp "${TMPDIR:-/tmp}/mcspool-bench-results.XXXXXX")
trap 'rm -f "$NEW" "$NEW.1"' EXIT
[ $# -eq 0 ] && : >"$LOG"
[ -f "$TSV" ] || : >"$TSV"
load() { cut -d' ' -f1-3 /proc/loadavg; }
for b in $list; do
	BENCH_RESULTS=$NEW.1
	export BENCH_RESULTS
	: >"$BENCH_RESULTS"
	start=$(date -u '+%Y-%m-%d %H:%M UTC')
	l0=$(load)
	echo "== bench/$b.sh ($start, load average $l0)" | tee -a "$LOG"
	sh "$BENCH_DIR/$b.sh" >"$NEW.out" 2>&1
	rc=$?
	cat "$NEW.out" >>"$LOG"
	cat "$NEW.out"
	rm -f "$NEW.out"
	status=ok
	[ "$rc" -eq 0 ] || status="FAILED (exit $rc, see results.log)"
	printf '#run\t%s\t%s to %s\tload average %s at start, %s at end\t%s\n' "$b" "$start" \
		"$(date -u '+%H:%M UTC')" "$l0" "$(load)" "$status" >>"$NEW"
	sed "s/^/$b	/" "$BENCH_RESULTS" >>"$NEW"
done
rm -f "$NEW.1"
# merge: the rows of the benchmarks run now replace their old rows; order as in $ALL
for b in $ALL; do
	if printf ' %s ' "$list" | grep -q " $b "; then
		awk -F'\t' -v b="$b" '($1 == "#run" && $2 == b) || $1 == b' "$NEW"
	else
		awk -F'\t' -v b="$b" '($1 == "#run" && $2 == b) || $1 == b' "$TSV"
	fi
done >"$NEW.m"
mv "$NEW.m" "$TSV"

COMMIT=$(git -C "$TOP" rev-parse --short HEAD 2>/dev/null || echo unknown)
DIRTY=$(git -C "$TOP" status --porcelain 2>/dev/null | grep -c . || true)
{
	echo "# mcspool benchmark results"
	echo
	echo "Machine: $(b_machine | sed 's/^[^;]*; //'); filesystem of \$TMPDIR: $(df -T "${TMPDIR:-/tmp}" | awk 'NR==2 {print $2}')."
	echo "Commit $COMMIT$([ "$DIRTY" -gt 0 ] && echo " plus uncommitted changes ($DIRTY paths)"). All stages with \`sandbox = \"off\"\`; medians of ${BENCH_RUNS} runs unless the raw numbers say otherwise."
	echo
	awk -F'\t' '$1 == "#run" {printf "- `bench/%s.sh`: %s; %s; %s\n", $2, $3, $4, $5}' "$TSV"
	echo
	echo "| benchmark | figure | target | met | raw numbers |"
	echo "|---|---|---|---|---|"
	awk -F'\t' '$1 != "#run" {for (i = 2; i <= 6; i++) gsub(/\|/, "\\|", $i); printf "| %s | %s | %s | %s | %s |\n", $2, $3, $4, $5, $6}' "$TSV"
} >"$OUT"
echo "run-all.sh: wrote $OUT"
cat "$OUT"
