# tests/emu/emu.sh: start, drive and stop the Mimecast emulator from a test (POSIX sh).
#
#   . "$MCSPOOL_TOP/tests/emu/emu.sh"
#   emu_start "$T" [mcemu.py options...]   # TLS by default; pass --http for plain HTTP
#   ... "$EMU_URL" "$EMU_CA" ...
#   emu_ctl POST /_emu/fault '{"endpoint":"/api/audit/get-siem-logs","kind":"429","count":2}'
#   emu_stats                              # GET /_emu/stats (JSON on stdout)
#   emu_stop
#
# emu_start WORKDIR [ARGS...]
#   Makes WORKDIR/emu (state: url, pid, emu.log, stderr), a throwaway CA in
#   WORKDIR/emu/tls (mkca.sh), starts mcemu.py in the background on a free
#   port with --samples "$MCSPOOL_SAMPLES" (when set) and ARGS, waits up to
#   10 s for the url file and exports
#     EMU_URL  base URL, e.g. https://127.0.0.1:40123
#     EMU_CA   the CA certificate (empty with --http)
#     EMU_DIR  the state directory
#     EMU_PID  the server's process id
#     EMU_ACCOUNTS  the credentials file in use
#   Returns non-zero (and prints the server's stderr) if it does not come up.
# emu_stop        SIGTERM, wait up to 5 s, then SIGKILL.  Safe to call twice.
# emu_ctl METHOD PATH [JSON]
#                 curl against the emulator (control or API paths); prints the
#                 body; non-zero on a transport error or an HTTP status >= 400.
# emu_stats       emu_ctl GET /_emu/stats
# emu_account KIND NAME FIELD
#                 a field of a test account: emu_account v1 main access_key,
#                 emu_account v2 nosiem client_id
#
# Only python3, openssl and curl are needed.  EMU_HOME (this directory) is
# found from MCSPOOL_TOP, or from the test's own path (tests/*/x.t), or from
# the current directory; set it yourself when sourcing from elsewhere.

if [ -z "${EMU_HOME:-}" ]; then
	if [ -n "${MCSPOOL_TOP:-}" ] && [ -f "$MCSPOOL_TOP/tests/emu/mcemu.py" ]; then
		EMU_HOME=$MCSPOOL_TOP/tests/emu
	elif [ -f "$(dirname -- "$0")/../emu/mcemu.py" ]; then
		EMU_HOME=$(cd "$(dirname -- "$0")/../emu" && pwd)
	elif [ -f tests/emu/mcemu.py ]; then
		EMU_HOME=$(pwd)/tests/emu
	fi
fi
: "${EMU_HOME:?emu.sh: cannot find tests/emu; set EMU_HOME}"
# Keep values a caller exported (a test may drive an emulator another shell started).
: "${EMU_URL:=}" "${EMU_CA:=}" "${EMU_DIR:=}" "${EMU_PID:=}"
EMU_ACCOUNTS=${EMU_ACCOUNTS:-$EMU_HOME/accounts.json}

emu_start() {
	_emu_work=${1:?usage: emu_start WORKDIR [mcemu args...]}
	shift
	EMU_DIR=$_emu_work/emu
	mkdir -p "$EMU_DIR" || return 1
	rm -f "$EMU_DIR/url"
	_emu_http=no
	for _emu_a in "$@"; do
		case $_emu_a in
		--http) _emu_http=yes ;;
		--accounts=*) EMU_ACCOUNTS=${_emu_a#--accounts=} ;;
		esac
	done
	_emu_prev=
	for _emu_a in "$@"; do
		[ "$_emu_prev" = --accounts ] && EMU_ACCOUNTS=$_emu_a
		_emu_prev=$_emu_a
	done
	if [ "$_emu_http" = yes ]; then
		EMU_CA=
		set -- --http "$@"
	else
		sh "$EMU_HOME/mkca.sh" "$EMU_DIR/tls" || return 1
		EMU_CA=$EMU_DIR/tls/ca.pem
		set -- --tls-cert "$EMU_DIR/tls/server.pem" --tls-key "$EMU_DIR/tls/server.key" "$@"
	fi
	if [ -n "${MCSPOOL_SAMPLES:-}" ]; then
		set -- --samples "$MCSPOOL_SAMPLES" "$@"
	fi
	python3 "$EMU_HOME/mcemu.py" --dir "$EMU_DIR" --port 0 "$@" >"$EMU_DIR/stdout" 2>"$EMU_DIR/stderr" &
	EMU_PID=$!
	_emu_i=0
	while [ ! -s "$EMU_DIR/url" ]; do
		if ! kill -0 "$EMU_PID" 2>/dev/null; then
			echo "emu_start: the emulator exited:" >&2
			cat "$EMU_DIR/stderr" >&2
			EMU_PID=
			return 1
		fi
		_emu_i=$((_emu_i + 1))
		if [ "$_emu_i" -gt 100 ]; then
			echo "emu_start: no $EMU_DIR/url after 10 s" >&2
			cat "$EMU_DIR/stderr" >&2
			emu_stop
			return 1
		fi
		sleep 0.1
	done
	EMU_URL=$(cat "$EMU_DIR/url")
	export EMU_URL EMU_CA EMU_DIR EMU_PID EMU_HOME EMU_ACCOUNTS
}

emu_stop() {
	[ -n "${EMU_PID:-}" ] || return 0
	if kill -TERM "$EMU_PID" 2>/dev/null; then
		_emu_i=0
		while kill -0 "$EMU_PID" 2>/dev/null; do
			_emu_i=$((_emu_i + 1))
			if [ "$_emu_i" -gt 50 ]; then
				kill -KILL "$EMU_PID" 2>/dev/null
				break
			fi
			sleep 0.1
		done
	fi
	wait "$EMU_PID" 2>/dev/null
	EMU_PID=
	return 0
}

emu_ctl() {
	_emu_m=${1:?usage: emu_ctl METHOD PATH [JSON]}
	_emu_p=${2:?usage: emu_ctl METHOD PATH [JSON]}
	if [ -n "$EMU_CA" ]; then
		set -- --cacert "$EMU_CA" -X "$_emu_m" ${3+--data-binary "$3"} "$EMU_URL$_emu_p"
	else
		set -- -X "$_emu_m" ${3+--data-binary "$3"} "$EMU_URL$_emu_p"
	fi
	curl -sS --fail-with-body -H 'Content-Type: application/json' "$@"
}

emu_stats() {
	emu_ctl GET /_emu/stats
}

emu_account() {
	python3 - "$EMU_ACCOUNTS" "$1" "$2" "$3" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
for e in doc[sys.argv[2]]:
    if e.get("name") == sys.argv[3]:
        print(e[sys.argv[4]])
        break
else:
    sys.exit("no %s account %r" % (sys.argv[2], sys.argv[3]))
PY
}
