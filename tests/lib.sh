# tests/lib.sh: TAP helpers for the shell integration tests (POSIX sh).
#
#   . "$MCSPOOL_TOP/tests/lib.sh"
#   t_plan 3
#   t_ok "name" command args...        # ok if the command succeeds
#   t_is "name" "$got" "$want"
#   t_done                             # exit status for prove
#
# t_setup makes a fresh $T (removed at exit) with a spool tree and writes
# $T/mcspool.conf (extra config lines from stdin when given "-").
: "${MCSPOOL_TOP:?run the tests through make check}"
: "${MCSPOOL_BIN:=$MCSPOOL_TOP/bin}"
: "${MCSPOOL_SAMPLES:=$MCSPOOL_TOP/../shared/samples}"
export MCSPOOL_TOP MCSPOOL_BIN MCSPOOL_SAMPLES
PATH="$MCSPOOL_BIN:$PATH"
export PATH

t_n=0
t_failed=0
t_cleanups=""

t_plan() { echo "1..$1"; }
t_pass() { t_n=$((t_n + 1)); echo "ok $t_n - $1"; }
t_fail() { t_n=$((t_n + 1)); t_failed=$((t_failed + 1)); echo "not ok $t_n - $1"; }
t_diag() { printf '%s\n' "$@" | sed 's/^/# /'; }
t_skip_all() { echo "1..0 # SKIP $1"; exit 0; }

t_ok() {
	t_name=$1
	shift
	if "$@"; then t_pass "$t_name"; else t_fail "$t_name"; t_diag "command failed: $*"; fi
}

t_is() {
	if [ "$2" = "$3" ]; then
		t_pass "$1"
	else
		t_fail "$1"
		t_diag "got:  $2" "want: $3"
	fi
}

# t_like NAME STRING PATTERN (grep -E)
t_like() {
	if printf '%s\n' "$2" | grep -Eq -- "$3"; then
		t_pass "$1"
	else
		t_fail "$1"
		t_diag "got:  $2" "want match: $3"
	fi
}

t_done() {
	t_run_cleanups
	[ "$t_failed" -eq 0 ]
	exit $?
}

t_at_exit() { t_cleanups="$1; $t_cleanups"; }
t_run_cleanups() {
	if [ -n "$t_cleanups" ]; then
		c=$t_cleanups
		t_cleanups=""
		eval "$c"
	fi
}
trap 't_run_cleanups' EXIT
trap 't_run_cleanups; exit 1' INT TERM

t_setup() {
	T=$(mktemp -d "${TMPDIR:-/tmp}/mcspool-test.XXXXXX")
	export T
	t_at_exit "rm -rf '$T'" # the value now: t_setup may run again
	mkdir -p "$T/data" "$T/read" "$T/archive" "$T/lrstate"
	{
		echo "data_dir = \"$T/data\""
		echo "read_path = \"$T/read\""
		echo "archive_dir = \"$T/archive\""
		echo "sandbox = \"off\""
		echo "consumer { type = \"logrhythm\" state_dir = \"$T/lrstate\" }"
		if [ "${1:-}" = "-" ]; then cat; fi
	} > "$T/mcspool.conf"
	MCSPOOL_CONF="$T/mcspool.conf"
	export MCSPOOL_CONF
}

# Run a command with a time limit; its exit status is ours (124 on time-out).
t_timeout() { timeout "$@"; }
