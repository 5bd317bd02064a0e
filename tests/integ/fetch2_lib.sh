# tests/integ/fetch2_lib.sh: shared set-up for the mcspool-fetch API 2.0 tests
# (tests/integ/fetch2_*.t, tests/crash/fetch2_*.t). Not a test itself.
#
#   f2_setup [mcemu args...]   $T, the emulator, $T/mcspool.conf (API 2.0, v2 account
#                              $F2_ACCOUNT or "main", siem_types $F2_TYPES, extra
#                              mimecast lines from $F2_EXTRA)
#   f2_conf                    rewrite $T/mcspool.conf (after changing F2_* variables)
#   f2_fetch [args]            mcspool-fetch --once; stderr in $T/err (and $T/err.all)
#   f2_check [TYPES]           fetch2_check.py: raw/ against the emulator's listing
. "$MCSPOOL_TOP/tests/integ/fetch1_lib.sh"

F2_CHECK="$MCSPOOL_TOP/tests/integ/fetch2_check.py"
F2_ACCOUNT=${F2_ACCOUNT:-main}
F2_EXTRA=${F2_EXTRA:-}
F2_TYPES=${F2_TYPES:-'"receipt", "process", "url protect"'}

f2_conf() {
	{
		echo "data_dir = \"$T/data\""
		echo "read_path = \"$T/read\""
		echo "archive_dir = \"$T/archive\""
		echo "sandbox = \"off\""
		echo "consumer { type = \"logrhythm\" state_dir = \"$T/lrstate\" }"
		echo "mimecast {"
		[ "${F2_NO_API:-}" = 1 ] || echo "  api = 2"
		echo "  base_url = \"${F2_URL:-$EMU_URL}\""
		echo "  client_id = \"$(emu_account v2 "$F2_ACCOUNT" client_id)\""
		if [ -n "${F2_SECRET_FILE:-}" ]; then
			echo "  client_secret_file = \"$F2_SECRET_FILE\""
		else
			echo "  client_secret = \"${F2_SECRET:-$(emu_account v2 "$F2_ACCOUNT" client_secret)}\""
		fi
		[ -n "$EMU_CA" ] && echo "  ca_file = \"$EMU_CA\""
		echo "  siem_types = { $F2_TYPES }"
		echo "  poll_seconds = ${F2_POLL:-300}"
		printf '%s\n' "$F2_EXTRA"
		echo "}"
	} >"$T/mcspool.conf"
	chmod 600 "$T/mcspool.conf"
}

f2_setup() {
	t_setup
	if ! emu_start "$T" "$@"; then
		echo "1..0 # SKIP the emulator did not start"
		exit 0
	fi
	t_at_exit 'emu_stop'
	f2_conf
}

f2_fetch() {
	timeout 120 mcspool-fetch --once "$@" 2>"$T/err"
	f2_rc=$?
	cat "$T/err" >>"$T/err.all"
	return $f2_rc
}

f2_files() { emu_ctl GET /_emu/v2/files >"$T/files.json"; }

f2_check() {
	f2_files
	F2_EMU_NOW=$(emu_ctl GET /_emu/health | python3 -c 'import json,sys; print(json.load(sys.stdin)["now"])') \
	python3 "$F2_CHECK" "$T/data/raw" "$T/files.json" "${1:-receipt,process,url protect}" >"$T/check" 2>&1
	f2_crc=$?
	[ "$f2_crc" -eq 0 ] || t_diag "$(cat "$T/check")"
	return $f2_crc
}
f2_count() { ls "$T/data/raw" 2>/dev/null | grep -c "^siem2\.$1"; }
# f2_stat PYEXPR: evaluate PYEXPR with s = the emulator's stats
f2_stat() { emu_stats | python3 -c 'import json,sys; s=json.load(sys.stdin); print('"$1"')'; }
