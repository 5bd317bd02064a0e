#!/usr/bin/env python3
"""The mover's crash matrix: SIGKILL (MCSPOOL_FAILPOINT=name:N) at every
named step of delivery and archiving, on one filesystem (renames) and
across two (copies through the staging directories, a tmpfs mount: skipped
if mount is refused), then restart until drained. Checked after every
run: no partial file visible in read_path or archive_dir; at the end:
every record read exactly once, every file archived once and intact,
nothing left in the staging directories."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.environ["MCSPOOL_TOP"], "tests", "fakes"))
from movetest import Spool, Tap, can_mount_tmpfs  # noqa: E402

# name:N = the Nth time the step is reached in one run.
SAME = """move-deliver-start:1 move-deliver-start:2 spool-after-rename:1 spool-after-rename:2
spool-after-dirsync:1 spool-after-dirsync:3 move-renamed:1 move-renamed:2 move-archive-start:1
move-archive-start:2 move-ledger-saved:1 state-before-rename:1 state-after-rename:1""".split()
CROSS = """move-deliver-start:2 spool-after-create:1 spool-after-create:2 spool-before-fsync:1
spool-before-fsync:2 spool-before-rename:1 spool-before-rename:3 spool-after-rename:1
spool-after-rename:2 spool-after-dirsync:1 spool-after-dirsync:2 spool-copy-written:1
spool-copy-written:2 move-copied:1 move-copied:3 move-source-removed:1 move-source-removed:2
move-archive-start:1 move-archive-start:3 move-ledger-saved:1""".split()

cross = can_mount_tmpfs()
t = Tap(2 * len(SAME) + (2 * len(CROSS) if cross else 1) + 2)


def scenario(fp, mode):
    # cross: read_path on a tmpfs, data_dir and archive_dir elsewhere, so
    # both delivery and archiving copy.
    mnt = None
    if mode == "cross":
        s0 = Spool()
        mnt = os.path.join(s0.T, "mnt")
        os.mkdir(mnt)
        if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", mnt]).returncode != 0:
            t.ok(False, "mount a tmpfs")
            return
        os.mkdir(os.path.join(mnt, "read"))
        s = Spool(extra="max_files = 3", read=os.path.join(mnt, "read"))
        s.T_outer = s0
    else:
        s = Spool(extra="max_files = 3")
    s.fill_mta(6)
    agent = s.agent()
    killed, bad = 0, ""
    try:
        for i in range(40):
            rc, err = s.run(failpoint=fp if i < 6 else None)
            if rc in (-9, 137):
                killed += 1
            elif rc != 0:
                bad = "mover exit %d: %s" % (rc, err)
                break
            p = s.partial()
            if p:
                bad = "partial file visible after run %d: %s" % (i, p)
                break
            if not os.listdir(s.mta) and not os.listdir(s.read):
                break
            agent.cycle()
        t.ok(killed > 0, "%s %s: killed %d time(s)" % (mode, fp, killed))
        stage = []
        for d in (os.path.join(s.T, ".mcspool-tmp"), os.path.join(mnt or s.T, ".mcspool-tmp")):
            if os.path.isdir(d):
                stage += os.listdir(d)
        check = s.check()
        t.ok(not bad and not check and not stage, "%s %s: nothing lost, doubled or partial" % (mode, fp),
             "\n".join(x for x in (bad, check, "staging: %s" % stage if stage else "") if x))
    finally:
        if mnt:
            subprocess.run(["umount", mnt])
            s.T_outer.cleanup()
        s.cleanup()


def random_kills():
    """SIGKILL from outside at random instants of --once runs (a few ms
    each), the agent reading in between, then drain."""
    import random
    import signal
    import time
    from movetest import BIN
    rnd = random.Random(5)
    s = Spool(extra="max_files = 4")
    s.fill_mta(12)
    agent = s.agent()
    env = dict(os.environ, MCSPOOL_CONF=s.conf)
    env.pop("MCSPOOL_FAILPOINT", None)
    killed, bad = 0, ""
    try:
        for i in range(400):
            p = subprocess.Popen([os.path.join(BIN, "mcspool-move"), "--once"], env=env,
                                 stderr=subprocess.DEVNULL)
            if i < 300:
                # A run takes a few ms (tens under the sanitizers).
                time.sleep(rnd.random() * (0.04 if os.environ.get("MCSPOOL_SAN") == "1" else 0.004))
                p.send_signal(signal.SIGKILL)
            rc = p.wait()
            if rc == -9:
                killed += 1
            elif rc != 0:
                bad = "mover exit %d" % rc
                break
            part = s.partial()
            if part:
                bad = "partial file visible: " + part
                break
            if i >= 300 and not os.listdir(s.mta) and not os.listdir(s.read):
                break
            agent.cycle()
        t.ok(killed > 50, "random SIGKILLs: %d runs killed" % killed)
        check = s.check()
        t.ok(not bad and not check, "random SIGKILLs: nothing lost, doubled or partial",
             "\n".join(x for x in (bad, check) if x))
    finally:
        s.cleanup()


random_kills()
for fp in SAME:
    scenario(fp, "same")
if cross:
    for fp in CROSS:
        scenario(fp, "cross")
else:
    t.skip("cannot mount a tmpfs: the cross-filesystem crashes are not tested")
t.done()
