#!/bin/sh
# mcspool-fetch, API 2.0 transport policy: TLS verified for the token, the
# API and the downloads (ca_file adds a CA), the configured proxy carries
# all three, the sandbox lets them through, and neither the client secret
# nor any access token appears in a log line.
. "$MCSPOOL_TOP/tests/integ/fetch2_lib.sh"
F2_EXTRA='audit_lag_seconds = 1'
f2_setup
t_plan 9
TY="receipt,process,url protect"

f2_conf
sed -i '/ca_file/d' "$T/mcspool.conf"
f2_fetch
t_is "the emulator's private CA, no ca_file: exit 100" "$f2_rc" 100
t_like "verification failed, and ca_file is the way" "$(cat "$T/err")" 'oauth: .*TLS certificate verification failed.*mimecast.ca_file'

# The proxy (the CONNECT relay of fetch1_tls.t).
sed -n '/^cat >"\$T\/proxy.py" <<.PY.$/,/^PY$/p' "$MCSPOOL_TOP/tests/integ/fetch1_tls.t" | sed '1d;$d' >"$T/proxy.py"
python3 "$T/proxy.py" "$T/proxy.port" "$T/proxy.log" &
ppid=$!
t_at_exit "kill $ppid 2>/dev/null"
i=0
while [ ! -s "$T/proxy.port" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
F2_EXTRA="audit_lag_seconds = 1
proxy = \"http://127.0.0.1:$(cat "$T/proxy.port")\""
f2_conf
MCSPOOL_DEBUG=1 f2_fetch
t_is "through the proxy: exit 0" "$f2_rc" 0
t_ok "through the proxy: every file once" f2_check "$TY"
t_ok "the proxy carried the token, listing and download connections" \
	test "$(grep -c "^CONNECT 127\.0\.0\.1:${EMU_URL##*:} HTTP/1\.1" "$T/proxy.log")" -ge 1

# Confined.
F2_EXTRA='audit_lag_seconds = 1'
f2_conf
sed -i 's/^sandbox = "off"$/sandbox = "on"/' "$T/mcspool.conf"
if [ "${MCSPOOL_SAN:-}" = 1 ]; then
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
	export ASAN_OPTIONS
fi
emu_ctl POST /_emu/v2/append '{"type":"receipt","count":2,"records":5}' >/dev/null
MCSPOOL_DEBUG=1 f2_fetch
t_is "inside the sandbox: exit 0" "$f2_rc" 0
t_ok "inside the sandbox: every file once" f2_check "$TY"

secret=$(emu_account v2 main client_secret)
t_ok "no client secret in any log line" sh -c "! grep -qF -e '$secret' '$T/err.all'"
# The emulator logs the start of each bearer token it saw (key=v2:xxxxxxx...):
# none of those may appear in our log (debug lines included).
sed -n 's/.* key=v2:\([A-Za-z0-9_-]*\)\.\.\..*/\1/p' "$EMU_DIR/emu.log" | sort -u >"$T/prefixes"
t_ok "no access token in any log line" sh -c "test -s '$T/prefixes' && ! grep -qF -f '$T/prefixes' '$T/err.all'"
t_done
