#!/bin/sh
# Least privilege: the stages refuse to run as root, and do their work as an
# ordinary user (here a throwaway one) with the sandbox required.
. "$MCSPOOL_TOP/tests/lib.sh"
[ "$(id -u)" = 0 ] || t_skip_all "needs root to create a test user"
command -v setpriv >/dev/null || t_skip_all "setpriv (util-linux) not installed"
t_setup
t_plan 8
for s in fetch split move reap; do
	out=$(env -u MCSPOOL_ALLOW_ROOT mcspool-$s --once 2>&1)
	rc=$?
	case $out in
	*"refusing to run as root"*) t_is "mcspool-$s refuses root (exit 100)" "$rc" 100 ;;
	*) t_fail "mcspool-$s refuses root"; t_diag "$out" ;;
	esac
done

U=mcspool-test
id "$U" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$U" ||
	t_skip_all "unable to create user $U"
sed -i 's/^sandbox = .*/sandbox = "require"\nlog_source_id = 1/' "$T/mcspool.conf"
chown -R "$U" "$T"
chmod 755 "$T"
as_user() { setpriv --reuid="$U" --regid="$(id -g "$U")" --clear-groups env -u MCSPOOL_ALLOW_ROOT "$@"; }
mkdir -p "$T/data/raw"
cp "$MCSPOOL_SAMPLES/v1/kv/receipt_20241125134305524.log" "$T/data/raw/siem1.000000000001.receipt_20241125134305524.log"
chown -R "$U" "$T"
[ "$MCSPOOL_SAN" = 1 ] && ASAN_OPTIONS=detect_leaks=0 && export ASAN_OPTIONS
as_user mcspool-split --once 2>"$T/err"
t_is "mcspool-split works as an ordinary user, sandbox required" "$?" 0
t_is "... and delivered the file's 8 records" "$(cat "$T"/data/mta/* 2>/dev/null | wc -l)" 8
as_user mcspool-move --once 2>>"$T/err"
t_is "mcspool-move works as an ordinary user, sandbox required" "$(ls "$T/read" | wc -l)" 1
as_user mcspool-reap --once 2>>"$T/err"
t_is "mcspool-reap works as an ordinary user, sandbox required" "$?" 0
grep -q . "$T/err" && sed 's/^/# /' "$T/err"
t_done
