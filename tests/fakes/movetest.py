"""Helpers for the mover's and reaper's python tests (TAP, a spool tree,
the test files and the checks). See movelib.sh for the shell twin."""
import collections
import os
import shutil
import subprocess
import sys
import tempfile

TOP = os.environ["MCSPOOL_TOP"]
BIN = os.environ.get("MCSPOOL_BIN", os.path.join(TOP, "bin"))
sys.path.insert(0, os.path.join(TOP, "tests", "fakes"))
import lr_agent  # noqa: E402


class Tap:
    def __init__(self, plan):
        self.n = 0
        self.failed = 0
        print("1..%d" % plan)
        sys.stdout.flush()

    def ok(self, cond, name, diag=None):
        self.n += 1
        print("%sok %d - %s" % ("" if cond else "not ", self.n, name))
        if not cond:
            self.failed += 1
            if diag:
                print("# " + str(diag).replace("\n", "\n# "))
        sys.stdout.flush()
        return cond

    def skip(self, name):
        self.n += 1
        print("ok %d # SKIP %s" % (self.n, name))

    def done(self):
        sys.exit(1 if self.failed else 0)


def gen(name):
    return "".join("datetime=2024-01-15T06:58:4%d+0000|aCode=%s|acc=C0A0|Sender=%s@example.com|n=%d\n"
                   % (4 + k, name, "abc"[k], k + 1) for k in range(3))


class Spool:
    """A fresh tree: data/, read/, archive/, lrstate/ and mcspool.conf."""

    def __init__(self, extra="", consumer=None, tmp=None, read=None):
        self.T = tempfile.mkdtemp(prefix="mcspool-test.", dir=tmp)
        self.data = os.path.join(self.T, "data")
        self.mta = os.path.join(self.data, "mta")
        self.read = read or os.path.join(self.T, "read")
        self.archive = os.path.join(self.T, "archive")
        self.lrstate = os.path.join(self.T, "lrstate")
        for d in (self.mta, self.read, self.archive, self.lrstate):
            os.makedirs(d, exist_ok=True)
        self.conf = os.path.join(self.T, "mcspool.conf")
        consumer = consumer or 'consumer { type = "logrhythm" state_dir = "%s" }' % self.lrstate
        with open(self.conf, "w") as f:
            f.write('data_dir = "%s"\nread_path = "%s"\narchive_dir = "%s"\nsandbox = "off"\n'
                    'log_source_id = 7\n%s\n%s\n' % (self.data, self.read, self.archive, consumer, extra))
        self.siem = os.path.join(self.T, "siem")
        self.names = []

    def fill_mta(self, n, prefix="receipt", base=1700000000):
        for i in range(n):
            name = "%s_%06d.log" % (prefix, i)
            p = os.path.join(self.mta, name)
            with open(p, "w") as f:
                f.write(gen(name))
            os.utime(p, (base + i, base + i))
            self.names.append(name)

    def agent(self, **kw):
        return lr_agent.Agent(self.read, self.lrstate, 7, out=self.siem, **kw)

    def run(self, prog="mcspool-move", failpoint=None):
        env = dict(os.environ, MCSPOOL_CONF=self.conf)
        env.pop("MCSPOOL_FAILPOINT", None)
        if failpoint:
            env["MCSPOOL_FAILPOINT"] = failpoint
        r = subprocess.run([os.path.join(BIN, prog), "--once"], env=env,
                           stderr=subprocess.PIPE, text=True)
        return r.returncode, r.stderr

    def partial(self):
        """A visible file that is not whole, or None."""
        for d in (self.read, self.archive):
            for x in os.listdir(d):
                with open(os.path.join(d, x)) as f:
                    if f.read() != gen(x):
                        return os.path.join(d, x)
        return None

    def check(self):
        """What is wrong: lost, doubled, damaged or left over."""
        bad = []
        seen = collections.Counter()
        if os.path.exists(self.siem):
            with open(self.siem) as f:
                seen.update(f)
        for name in self.names:
            for rec in gen(name).splitlines():
                c = seen[name + "\t" + rec + "\n"]
                if c != 1:
                    bad.append("%s: a record read %d times" % (name, c))
                    break
        arch = set(os.listdir(self.archive))
        for name in self.names:
            if name not in arch:
                bad.append("%s: not archived" % name)
        for x in arch - set(self.names):
            bad.append("unexpected in archive: " + x)
        p = self.partial()
        if p:
            bad.append("partial: " + p)
        for d in (self.read, self.mta):
            if os.listdir(d):
                bad.append("%s not empty: %s" % (d, " ".join(sorted(os.listdir(d))[:5])))
        return "\n".join(bad[:20])

    def cleanup(self):
        shutil.rmtree(self.T, ignore_errors=True)


def can_mount_tmpfs():
    d = tempfile.mkdtemp(prefix="mcspool-probe.")
    try:
        if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", d],
                          stderr=subprocess.DEVNULL).returncode != 0:
            return False
        subprocess.run(["umount", d])
        return True
    finally:
        os.rmdir(d)


def fast_tmp():
    """A tmpfs for tests whose subject is not durability (fsync is free there)."""
    return "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
