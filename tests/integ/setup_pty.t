#!/usr/bin/env python3
"""setup_pty.t: mcspool-setup driven through a pseudo-terminal, against the emulator.

The interactive flow of api_setup.py for API 1.0 (discovery printed, account
code fetched) and API 2.0 (token, SIEM and audit access), defaults taken with
Enter, bad answers explained and asked again, secrets not echoed; the files
written (modes, contents); the written config fetches with mcspool-fetch;
a second run takes the existing values as defaults; the non-interactive mode;
--check on a good config and on broken ones (the exact messages).
"""
import json
import os
import pty
import pwd
import re
import select
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time

TOP = os.environ.get("MCSPOOL_TOP") or sys.exit("run the tests through make check")
BIN = os.environ.get("MCSPOOL_BIN", os.path.join(TOP, "bin"))
SETUP = os.path.join(BIN, "mcspool-setup")
FETCH = os.path.join(BIN, "mcspool-fetch")
EMU_HOME = os.path.join(TOP, "tests", "emu")

n = 0
failed = 0


def ok(cond, name, *diag):
    global n, failed
    n += 1
    print(("ok %d - %s" if cond else "not ok %d - %s") % (n, name))
    if not cond:
        failed += 1
        for d in diag:
            for line in str(d).splitlines()[-40:]:
                print("# " + line)
    sys.stdout.flush()
    return cond


def skip(name, why):
    global n
    n += 1
    print("ok %d - %s # SKIP %s" % (n, name, why))


T = tempfile.mkdtemp(prefix="mcspool-setup.")
emu = None


def cleanup():
    if emu is not None and emu.poll() is None:
        emu.terminate()
        try:
            emu.wait(5)
        except subprocess.TimeoutExpired:
            emu.kill()
            emu.wait()
    shutil.rmtree(T, ignore_errors=True)


def start_emulator():
    global emu
    d = os.path.join(T, "emu")
    os.makedirs(d)
    subprocess.run(["sh", os.path.join(EMU_HOME, "mkca.sh"), os.path.join(d, "tls")], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    args = ["python3", os.path.join(EMU_HOME, "mcemu.py"), "--dir", d, "--port", "0",
            "--tls-cert", os.path.join(d, "tls", "server.pem"),
            "--tls-key", os.path.join(d, "tls", "server.key")]
    if os.environ.get("MCSPOOL_SAMPLES"):
        args += ["--samples", os.environ["MCSPOOL_SAMPLES"]]
    emu = subprocess.Popen(args, stdout=open(os.path.join(d, "stdout"), "w"),
                           stderr=open(os.path.join(d, "stderr"), "w"))
    for _ in range(200):
        if os.path.exists(os.path.join(d, "url")) and os.path.getsize(os.path.join(d, "url")) > 0:
            return open(os.path.join(d, "url")).read().strip(), os.path.join(d, "tls", "ca.pem")
        if emu.poll() is not None:
            break
        time.sleep(0.05)
    print("1..0 # SKIP the emulator did not start: " + open(os.path.join(d, "stderr")).read()[-300:])
    cleanup()
    sys.exit(0)


class Pty:
    """A program on a pseudo-terminal: expect() a pattern, send() a line."""

    def __init__(self, args, env=None):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            try:
                os.execve(args[0], args, env or os.environ)
            finally:
                os._exit(127)
        self.out = b""
        self.pos = 0
        self.status = None

    def _read(self, timeout):
        r, _, _ = select.select([self.fd], [], [], timeout)
        if not r:
            return False
        try:
            data = os.read(self.fd, 4096)
        except OSError:
            data = b""
        if not data:
            return None
        self.out += data
        return True

    def expect(self, pattern, timeout=20):
        """Wait for pattern (regex, str) after the last match; True if seen."""
        rx = re.compile(pattern.encode())
        end = time.time() + timeout
        while True:
            m = rx.search(self.out, self.pos)
            if m:
                self.pos = m.end()
                return True
            left = end - time.time()
            if left <= 0 or self._read(left) is None:
                m = rx.search(self.out, self.pos)
                if m:
                    self.pos = m.end()
                    return True
                return False

    def send(self, line):
        os.write(self.fd, line.encode() + b"\n")

    def wait(self, timeout=30):
        end = time.time() + timeout
        while time.time() < end:
            if self._read(0.2) is None:
                break
        pid, st = os.waitpid(self.pid, 0)
        os.close(self.fd)
        self.status = os.waitstatus_to_exitcode(st)
        return self.status

    def kill(self):
        os.kill(self.pid, signal.SIGKILL)
        return self.wait(5)

    def text(self):
        return self.out.decode(errors="replace")


def mode(p):
    return stat.S_IMODE(os.stat(p).st_mode)


# The stages refuse root unless told; the tests run as whoever runs them.
ENV = dict(os.environ, MCSPOOL_ALLOW_ROOT="1")


def run(args, stdin=""):
    p = subprocess.run(args, input=stdin, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=120)
    return p.returncode, p.stdout, p.stderr


URL, CA = start_emulator()
ACC = json.load(open(os.path.join(EMU_HOME, "accounts.json")))
V1 = {a["name"]: a for a in ACC["v1"]}
V2 = {a["name"]: a for a in ACC["v2"]}
m1 = V1["main"]

try:
    # ---- API 1.0, interactive ------------------------------------------------
    A = os.path.join(T, "a")
    conf = os.path.join(A, "etc", "mcspool.conf")
    p = Pty([SETUP, "-c", conf, "--discovery-url", URL, "--ca-file", CA, "--sandbox", "off"])
    ok(p.expect(r"Mimecast data directory \[/var/spool/mcspool\]: "),
       "1.0: first question, the data directory, with its default", p.text())
    p.send("spool/relative")
    ok(p.expect(r"'spool/relative': data_dir must be an absolute path \(starting with /\); please try again\.")
       and p.expect(r"Mimecast data directory \[/var/spool/mcspool\]: "),
       "1.0: a relative path is refused with the reason and asked again", p.text())
    p.send(A + "/data")
    ok(p.expect(r"System Monitor read path \[/var/log/mcspool/read\]: "), "1.0: read path next", p.text())
    p.send(A + "/read")
    ok(p.expect(r"Log archive directory \[/var/log/mcspool/archive\]: "), "1.0: archive next", p.text())
    p.send(A + "/read")
    ok(p.expect(r"archive_dir must differ from read_path \(%s/read\)" % re.escape(A)) and
       p.expect(r"Log archive directory \[/var/log/mcspool/archive\]: "),
       "1.0: the archive may not be the read path", p.text())
    p.send(A + "/archive")
    ok(p.expect(r"Log Source Id \(of the Mimecast MTA log source\) \[0\]: "), "1.0: Log Source Id", p.text())
    p.send("twelve")
    ok(p.expect(r"log_source_id must be a whole number from 0 to 2147483647; please try again") and
       p.expect(r"Log Source Id \(of the Mimecast MTA log source\) \[0\]: "),
       "1.0: a word for the Log Source Id is refused", p.text())
    p.send("")
    ok(p.expect(r"Max files in the System Monitor read path \[20\]: "), "1.0: Enter took the default id",
       p.text())
    p.send("")
    ok(p.expect(r"Number of days to keep logs \[7\]: "), "1.0: retention days", p.text())
    p.send("0")
    ok(p.expect(r"0 is out of range \(1 to 3650\)") and p.expect(r"Number of days to keep logs \[7\]: "),
       "1.0: 0 days is out of range", p.text())
    p.send("14")
    ok(p.expect(r"Mimecast API version \(1 or 2\) \[2\]: "), "1.0: API version, default 2", p.text())
    p.send("1")
    ok(p.expect(r"Application Id: "), "1.0: credentials: Application Id", p.text())
    p.send(m1["app_id"])
    ok(p.expect(r"Application Key: "), "1.0: Application Key", p.text())
    p.send(m1["app_key"])
    ok(p.expect(r"Access Key: "), "1.0: Access Key", p.text())
    p.send(m1["access_key"])
    ok(p.expect(r"Secret Key: "), "1.0: Secret Key", p.text())
    p.send("not*base64")
    ok(p.expect(r"secret_key is not standard base64") and p.expect(r"Secret Key: "),
       "1.0: a secret that is not base64 is refused", p.text())
    p.send(m1["secret_key"])
    ok(p.expect(r"Email address of the Mimecast administrator the keys belong to: "), "1.0: admin email",
       p.text())
    p.send("nobody@unknown.invalid")
    ok(p.expect(r"Setting base url for nobody@unknown.invalid") and
       p.expect(r"Mimecast knows no account for nobody@unknown.invalid") and
       p.expect(r"Email address of the Mimecast administrator the keys belong to: "),
       "1.0: an address discovery does not know is asked again", p.text())
    p.send(m1["email"])
    ok(p.expect(r"Setting base url for svc-siem@example.com\r?\n") and
       p.expect(r"Base URL discovered: %s\r?\n" % re.escape(URL)),
       "1.0: the base URL is discovered and printed", p.text())
    ok(p.expect(r"Retrieving customer account code to finalise config\.\.\.\r?\n") and
       p.expect(r"Account code: CXX00A000"), "1.0: the account code is fetched", p.text())
    ok(p.expect(r"Config saved successfully\.") and p.wait() == 0, "1.0: config saved, exit 0", p.text())
    ok(m1["secret_key"] not in p.text(), "1.0: the secret key was not echoed")

    text = open(conf).read()
    secret = os.path.join(A, "etc", "secret_key")
    ok(mode(conf) == 0o640 and mode(secret) == 0o600, "1.0: config 0640, secret_key 0600",
       oct(mode(conf)), oct(mode(secret)))
    ok(open(secret).read().strip() == m1["secret_key"] and m1["secret_key"] not in text,
       "1.0: the secret is in its own file only")
    want = ['base_url = "%s"' % URL, 'account_code = "CXX00A000"', "retention_days = 14",
            "log_source_id = 0", "max_files = 20", "api = 1", 'secret_key_file = "%s"' % secret,
            'app_id = "%s"' % m1["app_id"], 'email = "svc-siem@example.com"', 'ca_file = "%s"' % CA]
    missing = [w for w in want if w not in text]
    ok(not missing, "1.0: the config holds the answers", *missing)
    keys = ["data_dir", "read_path", "archive_dir", "log_source_id", "audit_log_source_id", "max_files",
            "retention_days", "output_format", "line_ending", "max_file_bytes", "sandbox", "consumer",
            "state_dir", "quiet_minutes", "api", "app_id", "app_key", "access_key", "email",
            "account_code", "client_id", "secret_key_file", "client_secret_file", "ca_file", "proxy",
            "compress", "siem", "audit", "siem_types", "poll_seconds", "audit_lag_seconds"]
    absent = [k for k in keys if not re.search(r"^\s*%s\s*[={]" % k, text, re.M)]
    ok(not absent and re.search(r"#", text), "1.0: every key of the design, with comments", *absent)
    tree = [os.path.join(A, "data", d) for d in ("raw", "mta", "audit", "bad", "state", "lock", "status", "tmp/fetch")]
    tree += [os.path.join(A, "read"), os.path.join(A, "archive")]
    ok(all(os.path.isdir(d) and mode(d) == 0o2770 for d in tree), "1.0: the tree, mode 2770",
       *[d + " " + (oct(mode(d)) if os.path.isdir(d) else "missing") for d in tree])
    ok(re.search(r"Note: .* the files and directories are owned by \S+ \(uid \d+\)", p.text()) or
       re.search(r"created %s/data/raw \(mode 2770, owner mcfetch:mcspool\)" % re.escape(A), p.text()),
       "1.0: says who owns the tree", p.text())

    rc, out, err = run([FETCH, "--once", "-c", conf])
    raw = os.listdir(os.path.join(A, "data", "raw"))
    ok(rc == 0 and any(f.startswith("siem1.") for f in raw) and any(f.startswith("audit.") for f in raw),
       "1.0: mcspool-fetch --once fetches with the written config", rc, err, raw)
    rc, out, err = run([os.path.join(BIN, "mcspool-status"), "--json", "-c", conf])
    try:
        js = json.loads(out)
    except ValueError:
        js = {}
    ok(rc == 1 and js.get("stages", {}).get("fetch", {}).get("state") == "ok" and
       js["stages"]["split"]["state"] == "never" and js["dirs"]["raw"]["files"] == len(raw),
       "1.0: mcspool-status on the written config: fetch ok, split never ran (exit 1)", rc, out, err)

    rc, out, err = run([SETUP, "-c", conf, "--check"])
    ok(rc == 0 and "get-account at %s: ok, account code CXX00A000" % URL in out and "Config OK." in out,
       "1.0: --check on the good config", out, err)
    ok("consumer.state_dir /opt/logrhythm/scsm/state" in err and "mcspool-move will not start" in err,
       "1.0: --check warns that the LogRhythm agent's state_dir does not exist", err)

    # ---- a second run: the existing values are the defaults ----------------
    p = Pty([SETUP, "-c", conf, "--discovery-url", URL])
    ok(p.expect(r"Updating %s" % re.escape(conf)) and
       p.expect(r"Mimecast data directory \[%s\]: " % re.escape(A + "/data")),
       "rerun: the existing data_dir is the default", p.text())
    p.send("")
    for q in ("System Monitor read path", "Log archive directory", "Log Source Id",
              "Max files", "Number of days to keep logs \\[14\\]", "Mimecast API version \\(1 or 2\\) \\[1\\]",
              "Application Id \\[", "Application Key \\[", "Access Key \\["):
        if not p.expect(q):
            break
        p.send("")
    ok(p.expect(r"Secret Key \[unchanged\]: "), "rerun: Enter through to the secret (kept, not shown)",
       p.text())
    p.send("")
    ok(p.expect(r"\[svc-siem@example.com\]: "), "rerun: the email default", p.text())
    p.send("")
    ok(p.expect(r"Config saved successfully\.") and p.wait() == 0 and
       "retention_days = 14" in open(conf).read() and 'ca_file = "%s"' % CA in open(conf).read(),
       "rerun: saved, earlier answers and options kept", p.text())

    # ---- --check on broken configs -------------------------------------------
    B = os.path.join(T, "broken")
    shutil.copytree(os.path.join(A, "etc"), B)
    bconf = os.path.join(B, "mcspool.conf")
    with open(bconf, "w") as f:
        f.write(text.replace(secret, os.path.join(B, "secret_key")))
    with open(os.path.join(B, "secret_key"), "w") as f:
        f.write(V1["second-app"]["secret_key"] + "\n")
    rc, out, err = run([SETUP, "-c", bconf, "--check"])
    ok(rc == 100 and re.search(r"^mcspool-setup: error: get-account: authentication refused \(HTTP 401, "
                               r"err_xdk_invalid_signature: [^)]*\) for request id [0-9a-f-]{36}: check that "
                               r"this host's clock is right \(NTP\) and that app_id, app_key, access_key "
                               r"and secret_key belong to one API 1.0 application$", err, re.M)
       and "Config NOT OK: 1 problem." in out, "--check: a wrong secret key, the exact message, exit 100",
       rc, out, err)
    os.chmod(os.path.join(B, "secret_key"), 0o644)
    rc, out, err = run([SETUP, "-c", bconf, "--check"])
    ok(rc == 100 and "secret_key_file: %s/secret_key is readable by group or others (mode 0644): run "
       "chmod 600 %s/secret_key" % (B, B) in err, "--check: a secret file others may read", err)
    os.chmod(os.path.join(B, "secret_key"), 0o600)
    os.rmdir(os.path.join(A, "data", "bad"))
    with open(bconf, "w") as f:
        f.write(text.replace(secret, os.path.join(B, "secret_key")).replace(URL, URL + "/nothing"))
    rc, out, err = run([SETUP, "-c", bconf, "--check"])
    ok(rc == 100 and "data_dir/bad %s/data/bad: No such file or directory (run mcspool-setup to create "
       "the tree)" % A in err and re.search(r"get-account: not found \(HTTP 404", err) and
       "Config NOT OK: 2 problems." in out, "--check: a missing directory and a wrong base_url, both said",
       out, err)
    with open(bconf, "w") as f:
        f.write(text + "max_filez = 3\n")
    rc, out, err = run([SETUP, "-c", bconf, "--check"])
    ok(rc == 100 and re.search(r"%s:\d+: unknown option 'max_filez'" % re.escape(bconf), err),
       "--check: an unknown key, with file and line", err)

    # ---- API 2.0, interactive ------------------------------------------------
    C = os.path.join(T, "c")
    conf2 = os.path.join(C, "mcspool.conf")
    m2 = V2["main"]
    p = Pty([SETUP, "-c", conf2, "--ca-file", CA, "--sandbox", "off"])
    for q, a in (("Mimecast data directory", C + "/data"), ("System Monitor read path", C + "/read"),
                 ("Log archive directory", C + "/read/archive"), ):
        p.expect(q)
        p.send(a)
    ok(p.expect(r"archive_dir must not lie inside read_path") and p.expect("Log archive directory"),
       "2.0: the archive inside the read path is refused", p.text())
    p.send(C + "/archive")
    for q, a in (("Log Source Id", "7"), ("Max files", ""), ("Number of days", "")):
        p.expect(q)
        p.send(a)
    ok(p.expect(r"Mimecast API version \(1 or 2\) \[2\]: "), "2.0: API version", p.text())
    p.send("")
    ok(p.expect(r"API 2.0 base URL \[https://api.services.mimecast.com\]: "), "2.0: Enter took API 2; base URL",
       p.text())
    p.send("ftp://example.com")
    ok(p.expect(r"only https URLs are allowed") and p.expect(r"API 2.0 base URL"), "2.0: an ftp URL is refused",
       p.text())
    p.send(URL)
    p.expect("Client Id: ")
    p.send(m2["client_id"])
    p.expect("Client Secret: ")
    p.send(m2["client_secret"])
    ok(p.expect(r"Access token obtained\.") and p.expect(r"SIEM access: ok") and p.expect(r"Audit access: ok")
       and p.expect(r"Config saved successfully\.") and p.wait() == 0,
       "2.0: token, SIEM and audit access checked, saved", p.text())
    ok(m2["client_secret"] not in p.text(), "2.0: the client secret was not echoed")
    cs = os.path.join(C, "client_secret")
    text2 = open(conf2).read()
    ok(mode(cs) == 0o600 and mode(conf2) == 0o640 and open(cs).read().strip() == m2["client_secret"] and
       'client_secret_file = "%s"' % cs in text2 and "api = 2" in text2 and "log_source_id = 7" in text2 and
       m2["client_secret"] not in text2, "2.0: client_secret 0600 and referenced; config 0640", text2)
    rc, out, err = run([FETCH, "--once", "-c", conf2])
    if "not supported" in err:
        skip("2.0: mcspool-fetch --once fetches with the written config", "no API 2.0 in mcspool-fetch yet")
    else:
        raw = os.listdir(os.path.join(C, "data", "raw"))
        ok(rc == 0 and raw, "2.0: mcspool-fetch --once fetches with the written config", rc, err, raw)
    rc, out, err = run([SETUP, "-c", conf2, "--check"])
    ok(rc == 0 and "SIEM access: ok" in out and "audit access: ok" in out and "Config OK." in out,
       "2.0: --check on the good config", out, err)

    # ---- non-interactive --------------------------------------------------------
    D = os.path.join(T, "d")
    base = [SETUP, "-c", os.path.join(D, "mcspool.conf"), "--non-interactive", "--ca-file", CA,
            "--discovery-url", URL, "--data-dir", D + "/data", "--read-path", D + "/read"]
    stdin = "archive_dir=%s/archive\napi=1\napp_id=%s\napp_key=%s\naccess_key=%s\nemail=%s\n" % (
        D, m1["app_id"], m1["app_key"], m1["access_key"], m1["email"])
    rc, out, err = run(base + ["--retention-days", "30"], stdin + "secret_key=%s\n" % m1["secret_key"])
    ok(rc == 0 and "Base URL discovered: %s" % URL in out and "Config saved successfully." in out,
       "non-interactive: options and key=value lines, saved", out, err)
    ok(re.search(r"data_dir\s+%s/data \(option\)" % re.escape(D), out) and
       re.search(r"archive_dir\s+%s/archive \(standard input\)" % re.escape(D), out) and
       re.search(r"max_files\s+20 \(default\)", out) and re.search(r"secret_key\s+\[hidden\] \(standard input\)", out)
       and m1["secret_key"] not in out, "non-interactive: says which value came from where", out)
    ok("retention_days = 30" in open(os.path.join(D, "mcspool.conf")).read(), "non-interactive: --retention-days")
    # The runs below must not find this config's secret as a default.
    os.rename(os.path.join(D, "mcspool.conf"), os.path.join(D, "saved.conf"))
    rc, out, err = run(base, stdin)
    ok(rc == 100 and "no value for secret_key: give secret_key=... on standard input" in err,
       "non-interactive: a missing secret, exit 100", err)
    rc, out, err = run(base + ["--max-files", "0"], stdin + "secret_key=%s\n" % m1["secret_key"])
    ok(rc == 100 and "max_files = '0' (from option): max_files 0 is out of range (1 to 100000)" in err,
       "non-interactive: a bad value, exit 100 with the reason", err)
    rc, out, err = run(base, stdin + "colour=blue\n")
    ok(rc == 100 and "standard input line 7: unknown key 'colour'" in err, "non-interactive: an unknown key", err)
    x = V1["expired"]
    rc, out, err = run(base, stdin.replace(m1["access_key"], x["access_key"]) + "secret_key=%s\n" % x["secret_key"])
    ok(rc == 100 and "get-account: access key binding expired (HTTP 418" in err,
       "non-interactive: an expired binding (418), the message, exit 100", err)
    ns = V2["nosiem"]
    rc, out, err = run([SETUP, "-c", os.path.join(D, "v2.conf"), "--non-interactive", "--ca-file", CA,
                        "--data-dir", D + "/data2", "--read-path", D + "/read2", "--archive-dir", D + "/arch2",
                        "--api", "2", "--base-url", URL, "--client-id", ns["client_id"]],
                       "client_secret=%s\n" % ns["client_secret"])
    ok(rc == 100 and re.search(r"SIEM batch listing: permission denied \(HTTP 403.*grant it", err) and
       not os.path.exists(os.path.join(D, "v2.conf")), "non-interactive 2.0: no SIEM permission, nothing written",
       err)
    try:
        have_users = all(pwd.getpwnam(u) for u in ("mcfetch", "mcsplit", "mcmove", "mcreap"))
    except KeyError:
        have_users = False
    if have_users:
        skip("--owner-users without the stage users", "the stage users exist here")
    else:
        rc, out, err = run(base + ["--owner-users"], stdin + "secret_key=%s\n" % m1["secret_key"])
        ok(rc == 100 and "--owner-users: these do not exist: mcfetch" in err,
           "--owner-users without the stage users: exit 100", err)
    rc, out, err = run([SETUP, "--bogus"])
    ok(rc == 100 and "usage:" in err, "a bad option: usage, exit 100", err)
finally:
    cleanup()
print("1..%d" % n)  # the plan at the end: TAP allows it
sys.exit(1 if failed else 0)
