#!/bin/sh
# demo/demo.sh: the whole mcspool pipeline on the built-in demo.
#
# Starts the local Mimecast emulator (tests/emu) serving ../shared/samples,
# then the four stages and a fake LogRhythm agent under a throwaway
# s6-svscan, shows files reaching read_path and archive_dir, prints
# mcspool-status, and stops everything. Run it with `make demo`.
#
#   DEMO_API=1|2     the Mimecast API generation (default 2)
#   DEMO_KEEP=1      keep the demo directory for a look afterwards
#   DEMO_TIMEOUT=N   give up after N seconds (default 120)
set -u
: "${MCSPOOL_TOP:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${MCSPOOL_BIN:=$MCSPOOL_TOP/bin}"
: "${MCSPOOL_SAMPLES:=$(cd "$MCSPOOL_TOP/.." && pwd)/shared/samples}"
export MCSPOOL_TOP MCSPOOL_BIN MCSPOOL_SAMPLES
# The demo runs every stage as the caller; a real install gives each its own
# user, and the stages refuse root unless told otherwise.
[ "$(id -u)" = 0 ] && MCSPOOL_ALLOW_ROOT=1 && export MCSPOOL_ALLOW_ROOT
API=${DEMO_API:-2}
LIMIT=${DEMO_TIMEOUT:-120}

say() { printf '\n== %s\n' "$*"; }
die() { printf 'demo: %s\n' "$*" >&2; exit 1; }

for p in mcspool-fetch mcspool-split mcspool-move mcspool-reap; do
	[ -x "$MCSPOOL_BIN/$p" ] || die "$MCSPOOL_BIN/$p is missing: run make first"
done
command -v s6-svscan >/dev/null || die "s6 is not installed: run make deps"
[ -d "$MCSPOOL_SAMPLES" ] || die "no samples at $MCSPOOL_SAMPLES"

D=$(mktemp -d "${TMPDIR:-/tmp}/mcspool-demo.XXXXXX")
SCAN=$D/service
cleanup() {
	if [ -n "${SCANPID:-}" ]; then
		s6-svscanctl -t "$SCAN" 2>/dev/null
		i=0
		while kill -0 "$SCANPID" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
		kill -9 "$SCANPID" 2>/dev/null
		wait "$SCANPID" 2>/dev/null
	fi
	emu_stop 2>/dev/null
	if [ "${DEMO_KEEP:-0}" = 1 ]; then
		echo "demo: kept $D"
	else
		rm -rf "$D"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

say "starting the Mimecast emulator (API $API) on loopback, serving $MCSPOOL_SAMPLES"
. "$MCSPOOL_TOP/tests/emu/emu.sh"
emu_start "$D" >/dev/null || die "the emulator did not start"
echo "emulator at $EMU_URL (throwaway CA $EMU_CA)"

mkdir -p "$D/read" "$D/archive" "$D/lrstate" "$D/log" "$D/etc"
if [ "$API" = 1 ]; then
	emu_account v1 main secret_key > "$D/etc/secret_key"
	creds="  app_id = \"$(emu_account v1 main app_id)\"
  app_key = \"$(emu_account v1 main app_key)\"
  access_key = \"$(emu_account v1 main access_key)\"
  secret_key_file = \"$D/etc/secret_key\""
else
	emu_account v2 main client_secret > "$D/etc/client_secret"
	creds="  client_id = \"$(emu_account v2 main client_id)\"
  client_secret_file = \"$D/etc/client_secret\""
fi
chmod 600 "$D/etc/"*
cat > "$D/etc/mcspool.conf" <<EOC
data_dir = "$D/spool"
read_path = "$D/read"
archive_dir = "$D/archive"
log_source_id = 1
max_files = 5
sandbox = "on"
log_dirs = {"$D/log/mcspool-fetch", "$D/log/mcspool-split", "$D/log/mcspool-move", "$D/log/mcspool-reap"}
consumer { type = "logrhythm" state_dir = "$D/lrstate" }
mimecast {
  api = $API
  base_url = "$EMU_URL"
$creds
  ca_file = "$EMU_CA"
  poll_seconds = 30
}
EOC
chmod 640 "$D/etc/mcspool.conf"
mkdir -p "$D/spool"
echo "config: $D/etc/mcspool.conf"

say "supervising the stages under s6-svscan $SCAN"
# The same run scripts as etc/s6/, pointed at the demo (and run as the
# caller: a real install gives each stage its own user with s6-setuidgid).
for s in fetch split move reap; do
	sv=$SCAN/mcspool-$s
	mkdir -p "$sv/log" "$D/log/mcspool-$s"
	cat > "$sv/run" <<EOR
#!/bin/sh
exec 2>&1
exec "$MCSPOOL_BIN/mcspool-$s" -c "$D/etc/mcspool.conf" --notify-fd 3
EOR
	echo 3 > "$sv/notification-fd"
	cat > "$sv/log/run" <<EOR
#!/bin/sh
exec s6-log -b n5 s100000 T "$D/log/mcspool-$s"
EOR
	chmod +x "$sv/run" "$sv/log/run"
done
# The fake LogRhythm System Monitor agent: reads read_path, writes .pos files.
mkdir -p "$SCAN/lr-agent"
cat > "$SCAN/lr-agent/run" <<EOR
#!/bin/sh
exec 2>&1
exec python3 "$MCSPOOL_TOP/tests/fakes/lr_agent.py" --interval 1 --forget-gone \
	--out "$D/agent.out" --poke "$D/spool/lock/move.trigger" "$D/read" "$D/lrstate" 1
EOR
chmod +x "$SCAN/lr-agent/run"
s6-svscan "$SCAN" >"$D/svscan.log" 2>&1 &
SCANPID=$!

count() { find "$1" -maxdepth 1 -type f ! -name '.*' 2>/dev/null | wc -l; }
records() { [ -f "$D/agent.out" ] && wc -l < "$D/agent.out" || echo 0; }
say "watching the spool (raw -> mta -> read_path -> archive_dir)"
start=$(date +%s)
failed=0
last=""
quiet=0
while :; do
	now=$(date +%s)
	line=$(printf 'raw %3d  mta %3d  read_path %2d  archive %3d  audit %2d  bad %d  records read by the agent %4d' \
		"$(count "$D/spool/raw")" "$(count "$D/spool/mta")" "$(count "$D/read")" \
		"$(count "$D/archive")" "$(count "$D/spool/audit")" "$(count "$D/spool/bad")" "$(records)")
	[ "$line" != "$last" ] && printf '%4ds  %s\n' $((now - start)) "$line"
	if [ "$line" = "$last" ] && [ "$(count "$D/archive")" -gt 0 ] && [ "$(count "$D/read")" -eq 0 ] &&
	   [ "$(count "$D/spool/mta")" -eq 0 ] && [ "$(count "$D/spool/raw")" -eq 0 ]; then
		quiet=$((quiet + 1))
		[ $quiet -ge 4 ] && break
	else
		quiet=0
	fi
	last=$line
	if [ $((now - start)) -ge "$LIMIT" ]; then
		echo "demo: FAILED: not quiescent after ${LIMIT}s (see the stages' logs below)"
		failed=1
		break
	fi
	sleep 1
done

say "a few lines as LogRhythm read them (read_path -> agent)"
head -n 3 "$D/agent.out" 2>/dev/null | cut -f2 | cut -c1-160
say "an audit file in $D/spool/audit"
f=$(find "$D/spool/audit" -type f | head -n 1)
[ -n "$f" ] && head -n 2 "$f" | cut -c1-160

if [ -x "$MCSPOOL_BIN/mcspool-status" ]; then
	say "mcspool-status"
	"$MCSPOOL_BIN/mcspool-status" -c "$D/etc/mcspool.conf"
fi

say "the stages' own logs (s6-log, TAI64N stamps)"
for s in fetch split move reap; do
	tail -n 2 "$D/log/mcspool-$s/current" 2>/dev/null | s6-tai64nlocal 2>/dev/null
done

say "stopping"
trap - EXIT
cleanup
if [ "$failed" = 1 ]; then
	echo "demo: failed; nothing left running"
	exit 1
fi
echo "demo: done; nothing left running"
