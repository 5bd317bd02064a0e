#!/bin/sh
# bench/fetch2_big.sh: the full-size API 2.0 memory check of issue 7: 100
# listed batch files of 50 MB each (5 GB through the fetcher; needs about
# 5 GB free under TMPDIR), peak RSS measured with GNU time -v. It is
# tests/integ/fetch2_big.t (which runs 100 x 5 MB in make check) at 50M.
# Run from the top of the tree after make: sh bench/fetch2_big.sh
top=$(cd "$(dirname "$0")/.." && pwd)
export MCSPOOL_TOP="$top" MCSPOOL_BIN="${MCSPOOL_BIN:-$top/bin}"
export MCSPOOL_SAMPLES="${MCSPOOL_SAMPLES:-$top/../shared/samples}"
export PATH="$MCSPOOL_BIN:$PATH" F2_BIG_SIZE=50M F2_BIG_TIMEOUT=3600
exec sh "$top/tests/integ/fetch2_big.t"
