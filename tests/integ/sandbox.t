#!/bin/sh
# The stages' sandboxes (common/sandbox.c, doc/sandbox.md), entered by
# tests/helpers/sandboxed with the specs the stages' hooks build: each
# denial is checked against the same action with sandbox = off, so a
# failure for another reason cannot pass for a denial.
. "$MCSPOOL_TOP/tests/lib.sh"
SB=$MCSPOOL_BUILD/tests/helpers/sandboxed
[ -x "$SB" ] || t_skip_all "$SB not built (make check builds it)"
command -v python3 >/dev/null 2>&1 || t_skip_all "python3 not installed"
t_setup
D=$T/data
mkdir -p "$T/outside" "$T/readstage" "$T/archstage"
echo "not yours" > "$T/outside/secret"
printf '%s\n' "/x/read/a.log" 10 638000000000000000 > "$T/lrstate/a.pos"

# Under ASan the runtime's own calls (LeakSanitizer's tracer thread and
# ptrace at exit, /proc/self/maps) are what the filters forbid: the leak
# check is turned off inside the sandbox, and what still cannot live
# under the allowlist is skipped below with the reason.
if [ "${MCSPOOL_SAN:-}" = 1 ]; then
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
	export ASAN_OPTIONS
fi

t_skip() { t_n=$((t_n + 1)); echo "ok $t_n # skip $1"; }

# sb MODE PROFILE [OPTS] ACTION...: stdout in $out, exit status in $rc, stderr in $T/err.
sb() {
	m=$1 p=$2
	shift 2
	out=$("$SB" "$m" "$p" "$D" "$@" 2>"$T/err")
	rc=$?
}
# is NAME WANT MODE PROFILE ARGS...
is() {
	n=$1 want=$2
	shift 2
	sb "$@"
	t_is "$n" "$out" "$want"
	[ "$out" = "$want" ] || t_diag "stderr: $(cat "$T/err")"
}

sb off split abi
ABI=$out
t_diag "landlock ABI $ABI, MCSPOOL_SAN=${MCSPOOL_SAN:-0}"
# Landlock checks need ABI >= 2 (cross-directory renames), TCP rules >= 4.
lland() { [ "$ABI" -ge 2 ] 2>/dev/null; }
lnet() { [ "$ABI" -ge 4 ] 2>/dev/null; }
NOLL="landlock ABI $ABI on this kernel (filesystem rules need ABI >= 2)"

# seccomp under ASan: try once; if the runtime cannot even start inside the
# allowlist, the seccomp checks are skipped with what it said.
SECC=1
if [ "${MCSPOOL_SAN:-}" = 1 ]; then
	sb on split write-in "$D/mta"
	if [ "$out" != ok ]; then
		SECC=0
		NOSECC="ASan's runtime cannot run under the seccomp allowlist: $(head -c 200 "$T/err" | tr '\n' ' ')"
	fi
fi
secc() { [ "$SECC" = 1 ]; }

python3 -c '
import socket, time
a = socket.socket(); a.bind(("127.0.0.1", 0)); a.listen(16)
b = socket.socket(); b.bind(("127.0.0.1", 0)); b.listen(16)
print(a.getsockname()[1], b.getsockname()[1], flush=True)
time.sleep(120)
' > "$T/ports" </dev/null &
PY=$!
t_at_exit "kill $PY 2>/dev/null"
i=0
while [ ! -s "$T/ports" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
read P1 P2 < "$T/ports"

# ---- the splitter ---------------------------------------------------------
if secc; then
	is "split, off: a socket can be opened (control)" ok off split socket
	is "split: cannot open a socket (seccomp)" EPERM on split socket
	is "split: cannot open an IPv6 socket" EPERM on split socket inet6
	is "split: cannot connect to a listening 127.0.0.1 port" "socket EPERM" on split connect "$P1"
	is "split: cannot execve /bin/true" EPERM on split exec /bin/true
	is "split: cannot fork" EPERM on split fork
	is "split: cannot start a thread" EPERM on split thread
	is "split: cannot map executable memory" EPERM on split mmap-exec
	is "split: cannot signal another process" EPERM on split kill "$PY"
	# (a subshell, so that the shell's "Killed" goes nowhere)
	rc=$( ("$SB" on split "$D" kill-self >/dev/null 2>&1); echo $?) 2>/dev/null
	t_is "split: can still SIGKILL itself (failpoints)" "$rc" 137
else
	for k in 1 2 3 4 5 6 7 8 9 10; do t_skip "$NOSECC"; done
fi
if lland; then
	is "split, off: /etc/passwd readable (control)" ok off split open /etc/passwd
	is "split: cannot open /etc/passwd" EACCES on split open /etc/passwd
	is "split, off: a file outside is readable (control)" ok off split open "$T/outside/secret"
	is "split: cannot open a file outside its directories" EACCES on split open "$T/outside/secret"
	is "split: cannot create a file outside its directories" EACCES on split create "$T/outside/new"
	t_ok "split: ... and none was created" test ! -e "$T/outside/new"
	is "split: cannot write into read_path" "create EACCES" on split write-in "$T/read"
	is "split: cannot write into state/ (it keeps none)" "create EACCES" on split write-in "$D/state"
	is "split: cannot list the data_dir's parent" EACCES on split ls "$T"
	ln -s "$T/outside/secret" "$D/mta/sneaky"
	is "split: a symlink in its directory leads nowhere outside" EACCES on split open "$D/mta/sneaky"
	rm -f "$D/mta/sneaky"
else
	for k in 1 2 3 4 5 6 7 8 9 10; do t_skip "$NOLL"; done
fi
if secc; then
	for d in tmp/split mta audit bad; do
		is "split: can create, write, fsync, unlink in $d" ok on split write-in "$D/$d"
	done
	is "split: rename+link tmp/split -> mta (REFER)" ok on split rename-between "$D/tmp/split" "$D/mta"
	is "split: rename+link raw -> bad" ok on split rename-between "$D/raw" "$D/bad"
	is "split: rename+link mta -> audit" ok on split rename-between "$D/mta" "$D/audit"
	is "split: spool_publish tmp/split -> mta" ok on split publish "$D/tmp/split" "$D/mta" out.log
	t_is "split: ... the published file is there" "$(cat "$D/mta/out.log" 2>&1)" "one record"
	echo payload > "$D/raw/in.json"
	is "split: spool_transfer raw -> bad (quarantine)" ok on split transfer "$D/raw" "$D/bad" in.json
	is "split: spool_remove in bad" ok on split remove "$D/bad" in.json
	is "split: can make a FIFO in lock/" ok on split mkfifo "$D/lock" split2.trigger
	ln -s "$T/outside/secret" "$D/raw/link.log"
	is "split: quarantines a symlink dropped into raw/ (MAKE_SYM)" ok on split transfer "$D/raw" "$D/bad" link.log
	t_is "split: ... moved as a link" "$(readlink "$D/bad/link.log")" "$T/outside/secret"
else
	for k in 1 2 3 4 5 6 7 8 9 10 11 12 13 14; do t_skip "$NOSECC"; done
fi

# ---- the mover ------------------------------------------------------------
MV="-w $T/read -w $T/archive -w $T/readstage -w $T/archstage -r $T/lrstate"
if secc; then
	is "move, off: connects to 127.0.0.1:$P1 (control)" ok off move $MV connect "$P1"
	is "move: cannot reach the network" "socket EPERM" on move $MV connect "$P1"
	echo a > "$D/mta/a.log"
	is "move: spool_transfer mta -> read_path" ok on move $MV transfer "$D/mta" "$T/read" a.log
	is "move: spool_transfer read_path -> archive_dir" ok on move $MV transfer "$T/read" "$T/archive" a.log
	t_is "move: ... the file reached archive_dir" "$(cat "$T/archive/a.log" 2>&1)" a
	is "move: reads the reader's state" ok on move $MV open "$T/lrstate/a.pos"
else
	for k in 1 2 3 4 5 6; do t_skip "$NOSECC"; done
fi
if lland; then
	is "move: cannot write the reader's state" EACCES on move $MV create "$T/lrstate/b.pos"
	is "move: cannot write into raw/ (not its directory)" "create EACCES" on move $MV write-in "$D/raw"
else
	t_skip "$NOLL"
	t_skip "$NOLL"
fi
mkdir -p "$T/fs2"
if mount -t tmpfs -o size=1m mcspool-sbtest "$T/fs2" 2>"$T/mount.err"; then
	t_at_exit "umount '$T/fs2' 2>/dev/null"
	mkdir -p "$T/fs2/read" "$T/fs2/stage"
	echo b > "$D/mta/b.log"
	if secc; then
		is "move: spool_copy mta -> a read_path on another filesystem" ok \
			on move -w "$T/fs2/read" -w "$T/fs2/stage" copy "$D/mta" "$T/fs2/stage" "$T/fs2/read" b.log
		t_is "move: ... copied, and the source removed" "$(cat "$T/fs2/read/b.log" 2>&1) $(test -e "$D/mta/b.log" && echo kept)" "b "
	else
		t_skip "$NOSECC"
		t_skip "$NOSECC"
	fi
	umount "$T/fs2" 2>/dev/null
else
	t_skip "cannot mount a tmpfs here: $(head -c 100 "$T/mount.err")"
	t_skip "cannot mount a tmpfs here"
fi

# ---- the reaper -----------------------------------------------------------
RP="-w $T/archive"
if secc; then
	is "reap: cannot open a socket" EPERM on reap $RP socket
	echo z > "$T/archive/old.log"
	is "reap: removes from archive_dir" ok on reap $RP remove "$T/archive" old.log
	echo z > "$D/tmp/split/stale"
	is "reap: removes a stale temporary" ok on reap $RP remove "$D/tmp/split" stale
else
	for k in 1 2 3; do t_skip "$NOSECC"; done
fi
if lland; then
	echo z > "$D/mta/keep.log"
	is "reap: cannot remove from mta/ (not its directory)" "remove EACCES" on reap $RP remove "$D/mta" keep.log
else
	t_skip "$NOLL"
fi

# ---- the fetcher ----------------------------------------------------------
FP="-u http://127.0.0.1:$P1/"
if lnet; then
	is "fetch: connects to base_url's port $P1" ok on fetch $FP connect "$P1"
	is "fetch, off: connects to port $P2 (control)" ok off fetch $FP connect "$P2"
	is "fetch: cannot connect to another port ($P2)" "connect EACCES" on fetch $FP connect "$P2"
else
	for k in 1 2 3; do t_skip "landlock ABI $ABI has no TCP rules (needs ABI >= 4)"; done
fi
if secc; then
	sb off fetch $FP exec /bin/true
	t_is "fetch, off: execve works (control)" "$rc" 0
	rc=$( ("$SB" on fetch "$D" $FP exec /bin/true >/dev/null 2>&1); echo $?) 2>/dev/null
	t_is "fetch: execve kills it (SIGSYS)" "$rc" 159
	is "fetch: cannot fork" EPERM on fetch $FP fork
	is "fetch: can start a thread (the resolver)" ok on fetch $FP thread
	is "fetch: cannot open an AF_UNIX socket" EPERM on fetch $FP socket unix
	is "fetch: cannot open a netlink socket" EPERM on fetch $FP socket netlink
	is "fetch: can make a socketpair (libcurl)" ok on fetch $FP socketpair
	is "fetch: cannot signal another process" EPERM on fetch $FP kill "$PY"
	is "fetch: no_new_privs is set" 1 on fetch $FP nnp
else
	for k in 1 2 3 4 5 6 7 8 9; do t_skip "$NOSECC"; done
fi
if lland; then
	is "fetch: cannot open /etc/passwd" EACCES on fetch $FP open /etc/passwd
	is "fetch: reads /etc/hosts (resolver)" ok on fetch $FP open /etc/hosts
	is "fetch: writes raw/" ok on fetch $FP write-in "$D/raw"
	is "fetch: cannot write mta/" "create EACCES" on fetch $FP write-in "$D/mta"
else
	for k in 1 2 3 4; do t_skip "$NOLL"; done
fi

# libcurl itself inside the fetch profile: HTTPS with the CA read at
# handshake time, by address and by a name from /etc/hosts (the threaded
# resolver: a thread, NSS, the resolver files).
TLS=$T/tls
mkdir -p "$TLS/www"
echo hello > "$TLS/www/f"
HN=$(hostname 2>/dev/null)
if lland && secc && command -v openssl >/dev/null 2>&1 &&
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
		-keyout "$TLS/k.pem" -out "$TLS/c.pem" -subj "/CN=${HN:-localhost}" \
		-addext "subjectAltName=DNS:${HN:-localhost},IP:127.0.0.1" >/dev/null 2>&1; then
	python3 -c '
import http.server, os, ssl, sys
os.chdir(sys.argv[1])
h = http.server.HTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
c.load_cert_chain(sys.argv[2], sys.argv[3])
h.socket = c.wrap_socket(h.socket, server_side=True)
print(h.server_address[1], flush=True)
h.serve_forever()
' "$TLS/www" "$TLS/c.pem" "$TLS/k.pem" >"$TLS/port" 2>/dev/null </dev/null &
	HS=$!
	t_at_exit "kill $HS 2>/dev/null"
	i=0
	while [ ! -s "$TLS/port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	PS=$(cat "$TLS/port")
	is "fetch: a libcurl HTTPS GET works inside the sandbox" "ok 6" \
		on fetch -u "https://127.0.0.1:$PS/" -r "$TLS/c.pem" https "https://127.0.0.1:$PS/f" "$TLS/c.pem"
	if [ -n "$HN" ] && [ "$HN" != localhost ] && getent hosts "$HN" | grep -q '^127\.'; then
		is "fetch: ... by host name ($HN: the threaded resolver, /etc/hosts)" "ok 6" \
			on fetch -u "https://$HN:$PS/" -r "$TLS/c.pem" https "https://$HN:$PS/f" "$TLS/c.pem"
	else
		t_skip "the host name '$HN' does not resolve to 127.x through /etc/hosts"
	fi
	sb on fetch -u "https://127.0.0.1:$PS/" https "https://127.0.0.1:$PS/f" "$TLS/c.pem"
	t_like "fetch: ... a CA file outside the sandbox cannot be read at handshake" "$out" '^curl .*CA cert'
	if lnet; then
		is "fetch: ... nor a server on a port outside the list" "curl Couldn't connect to server" \
			on fetch -u "https://127.0.0.1:$P1/" -r "$TLS/c.pem" https "https://127.0.0.1:$PS/f" "$TLS/c.pem"
	else
		t_skip "landlock ABI $ABI has no TCP rules (needs ABI >= 4)"
	fi
else
	for k in 1 2 3 4; do t_skip "no Landlock, no seccomp, or no openssl to make a certificate"; done
fi

# ---- sandbox = off ----------------------------------------------------------
is "off: no_new_privs not set" 0 off split nnp
is "off: /etc/passwd readable" ok off split open /etc/passwd
sb off split exec /bin/true
t_is "off: execve allowed" "$rc" 0
is "off: threads allowed" ok off split thread

# ---- no Landlock (forced) ---------------------------------------------------
if secc; then
	out=$(MCSPOOL_SANDBOX_FAKE_ABI=0 "$SB" on split "$D" open /etc/passwd 2>"$T/err")
	t_is "no landlock, on: goes on (a file outside is readable)" "$out" ok
	t_like "no landlock, on: warns" "$(cat "$T/err")" \
		'warning: landlock unavailable: .*running without filesystem confinement'
	t_is "no landlock, on: warns once" "$(grep -c warning "$T/err")" 1
	out=$(MCSPOOL_SANDBOX_FAKE_ABI=0 "$SB" on split "$D" socket 2>/dev/null)
	t_is "no landlock, on: seccomp still applies" "$out" EPERM
else
	for k in 1 2 3 4; do t_skip "$NOSECC"; done
fi
MCSPOOL_SANDBOX_FAKE_ABI=0 "$SB" require split "$D" open /etc/passwd >"$T/out" 2>"$T/err"
t_is "no landlock, require: exit 100" "$?" 100
t_like "no landlock, require: says why" "$(cat "$T/err")" \
	'fatal: landlock unavailable: .*sandbox = require refuses to run'
t_is "no landlock, require: the action never ran" "$(cat "$T/out")" ""
MCSPOOL_SANDBOX_FAKE_ABI=1 "$SB" require split "$D" open /etc/passwd >/dev/null 2>"$T/err"
t_is "ABI 1 (no cross-directory renames), require: exit 100" "$?" 100
if lland && secc; then
	out=$(MCSPOOL_SANDBOX_FAKE_ABI=2 "$SB" on split "$D" rename-between "$D/tmp/split" "$D/mta" 2>"$T/err")
	t_is "ABI 2 (Debian 12's kernel): cross-directory rename still works" "$out" ok
	out=$(MCSPOOL_SANDBOX_FAKE_ABI=2 "$SB" require split "$D" open /etc/passwd 2>"$T/err")
	t_is "ABI 2, require, split: confined, runs" "$out" EACCES
	out=$(MCSPOOL_SANDBOX_FAKE_ABI=3 "$SB" on fetch "$D" -p "$P1" connect "$P2" 2>"$T/err")
	t_is "ABI 3, on, fetch: runs without TCP rules" "$out" ok
	t_like "ABI 3, on, fetch: warns" "$(cat "$T/err")" 'warning: landlock ABI 3 .*has no TCP rules'
	MCSPOOL_SANDBOX_FAKE_ABI=3 "$SB" require fetch "$D" -p "$P1" connect "$P1" >/dev/null 2>&1
	t_is "ABI 3, require, fetch: exit 100" "$?" 100
else
	for k in 1 2 3 4 5; do t_skip "${NOSECC:-$NOLL}"; done
fi

# ---- the real stages, sandbox = require -------------------------------------
# Their hooks build the specs above; here the programs themselves run
# confined: a daemon reports ready only after its sandbox is up, and the
# --once runs do a pass (a real zip through split, move, reap) inside it.
# (Without a usable Landlock, require refuses, as tested above: "on" then.)
RM=require
lland || RM=on
R=$T/r
mkdir -p "$R/data" "$R/read" "$R/archive" "$R/lrstate/7"
cat > "$R/mcspool.conf" <<EOC
data_dir = "$R/data"
read_path = "$R/read"
archive_dir = "$R/archive"
log_source_id = 7
sandbox = "$RM"
consumer { type = "logrhythm" state_dir = "$R/lrstate" }
EOC
ZIP=$MCSPOOL_SAMPLES/v1/zip/receipt_20241125140613246.zip
for s in split move reap; do
	if [ ! -x "$MCSPOOL_BIN/mcspool-$s" ]; then
		for k in 1 2 3; do t_skip "mcspool-$s not built"; done
		continue
	fi
	"$MCSPOOL_BIN/mcspool-$s" -c "$R/mcspool.conf" --notify-fd 3 3>"$R/ready.$s" 2>"$R/$s.err" &
	pid=$!
	i=0
	while [ ! -s "$R/ready.$s" ] && kill -0 $pid 2>/dev/null && [ $i -lt 200 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	st=$(awk '/^(NoNewPrivs|Seccomp):/ { printf "%s ", $2 }' /proc/$pid/status 2>/dev/null)
	kill -TERM $pid 2>/dev/null
	wait $pid
	rc=$?
	t_is "mcspool-$s, $RM: ready with no_new_privs and a seccomp filter" "$st" "1 2 "
	t_is "mcspool-$s, $RM: exits 0 on SIGTERM" "$rc" 0
	[ "$rc" = 0 ] || t_diag "$(cat "$R/$s.err")"
	if [ $s = split ] && [ -r "$ZIP" ]; then
		cp "$ZIP" "$R/data/raw/siem1.000000000001.receipt_1.zip"
	fi
	"$MCSPOOL_BIN/mcspool-$s" -c "$R/mcspool.conf" --once 2>"$R/$s.err"
	rc=$?
	t_is "mcspool-$s --once, $RM: a pass inside the sandbox exits 0" "$rc" 0
	[ "$rc" = 0 ] || t_diag "$(cat "$R/$s.err")"
done
if [ -r "$ZIP" ] && [ -x "$MCSPOOL_BIN/mcspool-move" ]; then
	t_is "split then move, sandboxed: raw/ and mta/ emptied" "$(find "$R/data/raw" "$R/data/mta" ! -type d | wc -l | tr -d ' ')" 0
	t_like "split then move, sandboxed: the records reached read_path" "$(ls "$R/read")" 'receipt'
else
	t_skip "no sample zip or no mcspool-move"
	t_skip "no sample zip or no mcspool-move"
fi

echo "1..$t_n"
t_done
