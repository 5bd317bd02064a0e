#!/bin/sh
# mcspool-fetch transport policy: TLS always verified (ca_file adds a CA),
# https only (plain http to loopback only), the configured proxy is used,
# api = 2 without API 2.0 keys refused, and no secret in any log line.
. "$MCSPOOL_TOP/tests/integ/fetch1_lib.sh"
F1_EXTRA='audit = false'
f1_setup
t_plan 16

F1_NO_CA=1
f1_conf
f1_fetch
t_is "the emulator's private CA, no ca_file: exit 100" "$f1_rc" 100
t_like "verification failed, and ca_file is the way" "$(cat "$T/err")" 'TLS certificate verification failed.*mimecast.ca_file'
t_is "nothing fetched" "$(f1_count siem1.)" 0
F1_NO_CA=
printf 'not a certificate\n' >"$T/notpem"
F1_EXTRA="audit = false
ca_file = \"$T/notpem\""
F1_NO_CA=1
f1_conf
f1_fetch
t_is "a ca_file without a certificate: exit 100" "$f1_rc" 100
F1_NO_CA=
F1_EXTRA='audit = false'
f1_conf
f1_fetch
t_is "with ca_file: exit 0" "$f1_rc" 0
t_is "everything fetched" "$(f1_count siem1.)" 30

F1_URL=http://mimecast.example.net
f1_conf
f1_fetch
t_is "plain http to a remote host: exit 100" "$f1_rc" 100
t_like "refused before connecting" "$(cat "$T/err")" 'plain http is allowed to a loopback host only'
F1_URL=

# The proxy: a CONNECT relay that records what it was asked for.
cat >"$T/proxy.py" <<'PY'
import socket, sys, threading
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(16)
open(sys.argv[1], "w").write(str(srv.getsockname()[1]))
log = open(sys.argv[2], "a")
def pipe(a, b):
    try:
        while True:
            d = a.recv(65536)
            if not d:
                break
            b.sendall(d)
    except OSError:
        pass
    for s in (a, b):
        try: s.shutdown(socket.SHUT_RDWR)
        except OSError: pass
def serve(c):
    head = b""
    while b"\r\n\r\n" not in head:
        d = c.recv(4096)
        if not d:
            return
        head += d
    line = head.split(b"\r\n")[0].decode()
    log.write(line + "\n"); log.flush()
    method, target, _ = line.split(" ", 2)
    if method != "CONNECT":
        c.sendall(b"HTTP/1.1 405 no\r\n\r\n"); c.close(); return
    host, port = target.rsplit(":", 1)
    u = socket.create_connection((host, int(port)))
    c.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
    threading.Thread(target=pipe, args=(u, c), daemon=True).start()
    pipe(c, u)
while True:
    c, _ = srv.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
python3 "$T/proxy.py" "$T/proxy.port" "$T/proxy.log" &
ppid=$!
t_at_exit "kill $ppid 2>/dev/null"
i=0
while [ ! -s "$T/proxy.port" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
emu_ctl POST /_emu/siem/append '{"kind":"kv","count":2}' >/dev/null
F1_EXTRA="audit = false
proxy = \"http://127.0.0.1:$(cat "$T/proxy.port")\""
f1_conf
f1_fetch
t_is "through the proxy: exit 0" "$f1_rc" 0
t_like "the proxy carried the requests" "$(cat "$T/proxy.log")" "^CONNECT 127\.0\.0\.1:${EMU_URL##*:} HTTP/1\.1"
t_is "the new files arrived" "$(f1_count siem1.)" 32

F1_EXTRA='api = 2'
f1_conf
sed -i 's/^  api = 1$//' "$T/mcspool.conf"
f1_fetch
t_is "api = 2 with API 1.0 keys only: exit 100" "$f1_rc" 100
t_like "names the API 2.0 keys" "$(cat "$T/err")" 'mimecast.api = 2 needs mimecast.client_id'

# Confined (sandbox = on: Landlock where the kernel has it, no_new_privs, seccomp): still works.
F1_EXTRA='audit = false'
f1_conf
sed -i 's/^sandbox = "off"$/sandbox = "on"/' "$T/mcspool.conf"
# LeakSanitizer's exit-time scan cannot run under the seccomp denylist
# (no ptrace): leaks are checked by every unconfined run instead.
if [ "${MCSPOOL_SAN:-}" = 1 ]; then
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
	export ASAN_OPTIONS
fi
emu_ctl POST /_emu/siem/append '{"kind":"kv","count":2}' >/dev/null
f1_fetch
t_is "inside the sandbox: exit 0" "$f1_rc" 0
t_is "the new files arrived" "$(f1_count siem1.)" 34

secret=$(emu_account v1 main secret_key)
access=$(emu_account v1 main access_key)
t_ok "no secret or access key in any log line" sh -c "! grep -qF -e '$secret' -e '$access' '$T/err.all'"
t_done
