# tests/integ/fetch1_lib.sh: shared set-up for the mcspool-fetch API 1.0 tests
# (tests/integ/fetch1_*.t, tests/crash/fetch1_*.t). Not a test itself.
#
#   f1_setup [mcemu args...]   $T, the emulator, $T/mcspool.conf (API 1.0, account
#                              $F1_ACCOUNT or "main", extra mimecast lines from $F1_EXTRA)
#   f1_conf                    rewrite $T/mcspool.conf (after changing F1_* variables)
#   f1_fetch [args]            mcspool-fetch --once; stderr in $T/err (and appended to $T/err.all)
#   f1_check siem|audit ...    fetch1_check.py against the emulator's own records
. "$MCSPOOL_TOP/tests/lib.sh"
. "$MCSPOOL_TOP/tests/emu/emu.sh"

F1_CHECK="$MCSPOOL_TOP/tests/integ/fetch1_check.py"
F1_ACCOUNT=${F1_ACCOUNT:-main}
F1_EXTRA=${F1_EXTRA:-}

f1_conf() {
	{
		echo "data_dir = \"$T/data\""
		echo "read_path = \"$T/read\""
		echo "archive_dir = \"$T/archive\""
		echo "sandbox = \"off\""
		echo "consumer { type = \"logrhythm\" state_dir = \"$T/lrstate\" }"
		echo "mimecast {"
		echo "  api = 1"
		echo "  base_url = \"${F1_URL:-$EMU_URL}\""
		echo "  app_id = \"$(emu_account v1 "$F1_ACCOUNT" app_id)\""
		echo "  app_key = \"$(emu_account v1 "$F1_ACCOUNT" app_key)\""
		echo "  access_key = \"$(emu_account v1 "$F1_ACCOUNT" access_key)\""
		echo "  secret_key = \"${F1_SECRET:-$(emu_account v1 "$F1_ACCOUNT" secret_key)}\""
		[ -n "$EMU_CA" ] && [ "${F1_NO_CA:-}" != 1 ] && echo "  ca_file = \"$EMU_CA\""
		echo "  poll_seconds = ${F1_POLL:-300}"
		printf '%s\n' "$F1_EXTRA"
		echo "}"
	} >"$T/mcspool.conf"
	chmod 600 "$T/mcspool.conf"
}

f1_setup() {
	t_setup
	if ! emu_start "$T" "$@"; then
		echo "1..0 # SKIP the emulator did not start"
		exit 0
	fi
	t_at_exit 'emu_stop'
	f1_conf
}

f1_fetch() {
	timeout 120 mcspool-fetch --once "$@" 2>"$T/err"
	f1_rc=$?
	cat "$T/err" >>"$T/err.all"
	return $f1_rc
}

# f1_fault KIND ENDPOINT [COUNT] [extra JSON members, e.g. '"reset_ms":1200']
f1_fault() {
	emu_ctl POST /_emu/fault "{\"kind\":\"$1\",\"endpoint\":\"$2\",\"count\":${3:-1}${4:+,$4}}" >/dev/null
}

f1_check() {
	kind=$1
	shift
	python3 "$F1_CHECK" "$kind" "$T/data/raw" "$@" >"$T/check" 2>&1
	f1_crc=$?
	[ "$f1_crc" -eq 0 ] || t_diag "$(cat "$T/check")"
	return $f1_crc
}

# The emulator's view: the SIEM queue (compress as configured) and the audit events.
f1_queue() { emu_ctl GET "/_emu/siem/queue?compress=${1:-true}&fileFormat=${2:-key_value}&sha256=1" >"$T/queue.json"; }
f1_events() { emu_ctl GET /_emu/audit/events >"$T/events.json"; }
f1_count() { ls "$T/data/raw" 2>/dev/null | grep -c "^$1"; }
