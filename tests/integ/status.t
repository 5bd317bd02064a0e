#!/usr/bin/env python3
"""status.t: mcspool-status against fabricated spool states.

The stages' status records (status/status.<stage>), the fetcher's cursors
and the spool directories are written by hand with known times and sizes;
the table, --json (parsed) and --prometheus (every line checked against the
text format) must report exactly them, and the exit code must say healthy
(0) or stale / failing / never ran / missing directory (1).
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

TOP = os.environ.get("MCSPOOL_TOP") or sys.exit("run the tests through make check")
BIN = os.environ.get("MCSPOOL_BIN", os.path.join(TOP, "bin"))
STATUS = os.path.join(BIN, "mcspool-status")

n = 0
failed = 0


def ok(cond, name, *diag):
    global n, failed
    n += 1
    print(("ok %d - %s" if cond else "not ok %d - %s") % (n, name))
    if not cond:
        failed += 1
        for d in diag:
            for line in str(d).splitlines():
                print("# " + line)
    return cond


T = tempfile.mkdtemp(prefix="mcspool-status.")
NOW = int(time.time())
D = os.path.join(T, "data")
S = os.path.join(D, "state")
ST = os.path.join(D, "status")


def conf(poll=300):
    with open(os.path.join(T, "mcspool.conf"), "w") as f:
        f.write('data_dir = "%s/data"\nread_path = "%s/read"\narchive_dir = "%s/archive"\n'
                'sandbox = "off"\nconsumer { type = "logrhythm" state_dir = "%s/lr" }\n'
                'mimecast {\n  api = 1\n  poll_seconds = %d\n'
                '  secret_key_file = "%s/no-such-secret"\n}\n' % (T, T, T, T, poll, T))


def put(path, data, age):
    """A file of data whose mtime is age seconds ago."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(data)
    os.utime(path, (NOW - age, NOW - age))


def status_file(stage, success_age, error_age=None, error="", counters=None):
    lines = ["mcspool-state status 1"]
    lines.append("last_success %d" % (NOW - success_age if success_age is not None else 0))
    if error_age is not None:
        lines.append("last_error_time %d" % (NOW - error_age))
        lines.append("last_error " + error)
    for k, v in (counters or {}).items():
        lines.append("c.%s %d" % (k, v))
    put(os.path.join(ST, "status." + stage), "\n".join(lines) + "\n", 0)


def healthy_state():
    shutil.rmtree(D, ignore_errors=True)
    for d in ("raw", "mta", "audit", "bad", "state", "lock", "status", "tmp"):
        os.makedirs(os.path.join(D, d), exist_ok=True)
    os.makedirs(os.path.join(T, "read"), exist_ok=True)
    os.makedirs(os.path.join(T, "archive"), exist_ok=True)
    status_file("fetch", 10, counters={"files": 31, "events": 15, "bytes": 49954})
    status_file("split", 20, counters={"files": 40, "events": 1234, "bytes": 99999, "bad": 2})
    status_file("move", 30, error_age=400, error="read_path: No space left on device",
                counters={"files": 12})
    status_file("reap", 3600, counters={"files": 5})
    put(os.path.join(D, "raw", "siem1.000000000030.receipt_1.zip"), "x" * 10, 100)
    put(os.path.join(D, "raw", "siem1.000000000031.receipt_2.zip"), "y" * 20, 50)
    put(os.path.join(D, "raw", ".tmp-ignored"), "z" * 1000, 5000)
    put(os.path.join(D, "mta", "receipt_1.log"), "a" * 7, 200)
    for i in range(3):
        put(os.path.join(T, "read", "f%d.log" % i), "b" * 100, 600 - i)
    put(os.path.join(S, "siem1"), "mcspool-state siem1 1\nseq 32\ntoken eNoABC\nstuck 0\n", 60)
    put(os.path.join(S, "audit"),
        "mcspool-state audit 1\nseq 2\ncheckpoint %d\ncheckpoint_utc x\n" % (NOW - 300), 5)
    put(os.path.join(S, "siem2.receipt"), "mcspool-state siem2 1\nseq 4\ncursor NDU1NA==\n", 90)


def run(*args):
    p = subprocess.run([STATUS, "-c", os.path.join(T, "mcspool.conf")] + list(args),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=30)
    return p.returncode, p.stdout, p.stderr


def js(*args):
    rc, out, err = run("--json", *args)
    try:
        return rc, json.loads(out), err
    except ValueError as e:
        return rc, {"_error": str(e), "_out": out}, err


def near(a, b, slack=5):
    return a is not None and abs(a - b) <= slack


def snapshot():
    snap = {}
    for root, dirs, files in os.walk(T):
        for name in dirs + files:
            p = os.path.join(root, name)
            st = os.lstat(p)
            snap[p] = (st.st_mode, st.st_size, st.st_mtime_ns)
    return snap


conf()
healthy_state()
before = snapshot()

# -- healthy: the table ----------------------------------------------------
rc, out, err = run()
ok(rc == 0, "healthy state: exit 0", out, err)
ok(re.search(r"^fetch\s+ok\s", out, re.M), "table: fetch ok", out)
ok(re.search(r"^reap\s+ok\s", out, re.M), "table: reap is ok an hour after its pass (hourly)", out)
ok(re.search(r"^raw\s+2\s+30\s", out, re.M), "table: raw 2 files, 30 bytes (dotfile ignored)", out)
ok(re.search(r"^read_path\s+3\s+300\s", out, re.M), "table: read_path 3 files", out)
ok(re.search(r"^audit\s+checkpoint \S+, next seq 2\s+5m0\ds", out, re.M),
   "table: audit cursor and its lag", out)
ok("move: last error: read_path: No space left on device" in out,
   "table: an old error is shown, the stage still ok", out)
ok(err == "", "nothing on stderr", err)

# -- healthy: --json -------------------------------------------------------
rc, j, err = js()
ok(rc == 0 and j.get("healthy") is True, "json: healthy", j, err)
st = j.get("stages", {})
ok(st.get("fetch", {}).get("files") == 31 and st["fetch"].get("events") == 15 and
   st["fetch"].get("bytes") == 49954, "json: fetch counters", st.get("fetch"))
ok(st.get("split", {}).get("bad") == 2 and st["split"].get("events") == 1234,
   "json: split counters", st.get("split"))
ok(st.get("fetch", {}).get("last_success") == NOW - 10, "json: fetch last_success", st.get("fetch"))
ok(st.get("move", {}).get("last_error") == "read_path: No space left on device" and
   st["move"].get("last_error_time") == NOW - 400 and st["move"].get("state") == "ok",
   "json: move's last error and time", st.get("move"))
ok(st.get("fetch", {}).get("stale_seconds") == 900 and st.get("reap", {}).get("stale_seconds") == 10800,
   "json: default thresholds (3 x poll_seconds; reap 3 h)", st)
dirs = j.get("dirs", {})
ok(dirs.get("raw", {}).get("files") == 2 and dirs["raw"].get("bytes") == 30 and
   near(dirs["raw"].get("oldest_age_seconds"), 100) and dirs["raw"].get("oldest_mtime") == NOW - 100,
   "json: raw count, bytes, oldest age", dirs.get("raw"))
ok(dirs.get("mta", {}).get("files") == 1 and near(dirs["mta"].get("oldest_age_seconds"), 200),
   "json: mta", dirs.get("mta"))
ok(dirs.get("audit", {}).get("files") == 0 and dirs["audit"].get("oldest_age_seconds") is None,
   "json: empty audit/ has no oldest", dirs.get("audit"))
cur = j.get("cursors", {})
ok(cur.get("siem1", {}).get("seq") == 32 and cur["siem1"].get("token") is True and
   near(cur["siem1"].get("lag_seconds"), 60), "json: siem1 cursor (lag since it moved)", cur)
ok(cur.get("audit", {}).get("checkpoint") == NOW - 300 and near(cur["audit"].get("lag_seconds"), 300),
   "json: audit checkpoint and lag", cur)
ok(cur.get("siem2.receipt", {}).get("seq") == 4 and near(cur["siem2.receipt"].get("lag_seconds"), 90),
   "json: siem2.* cursors are listed", cur)

# -- healthy: --prometheus -------------------------------------------------
rc, out, err = run("--prometheus")
ok(rc == 0, "prometheus: exit 0", err)
lines = out.splitlines()
sample = re.compile(r'^([a-z_]+)(\{[a-z_]+="[^"\\\n]*"\})? (-?[0-9]+(\.[0-9]+)?)$')
bad = [l for l in lines if not l.startswith("# ") and not sample.match(l)]
ok(lines and not bad, "prometheus: every sample line is in the text format", *bad)
names = {sample.match(l).group(1) for l in lines if sample.match(l)}
typed = {l.split()[2] for l in lines if l.startswith("# TYPE ")}
helped = {l.split()[2] for l in lines if l.startswith("# HELP ")}
ok(names and names <= typed and names <= helped, "prometheus: HELP and TYPE for every metric",
   names - typed, names - helped)
ok('mcspool_files_waiting{dir="raw"} 2' in lines and 'mcspool_files_waiting{dir="read_path"} 3' in lines,
   "prometheus: files waiting", out)
ok("# TYPE mcspool_files_waiting gauge" in lines and "# TYPE mcspool_files_total counter" in lines,
   "prometheus: types", out)
ok('mcspool_last_success_timestamp_seconds{stage="split"} %d' % (NOW - 20) in lines,
   "prometheus: last success of split", out)
ok('mcspool_events_total{stage="split"} 1234' in lines and 'mcspool_stage_healthy{stage="move"} 1' in lines,
   "prometheus: counters and health", out)
ok(any(re.match(r'mcspool_cursor_lag_seconds\{stream="audit"\} 30\d$', l) for l in lines),
   "prometheus: audit lag", out)

ok(snapshot() == before, "mcspool-status wrote nothing (and needed no secret file)")

# -- stale -------------------------------------------------------------------
status_file("split", 1000, counters={"files": 40})
rc, j, err = js()
ok(rc == 1 and j["stages"]["split"]["state"] == "stale" and j["healthy"] is False,
   "split without success for 1000 s (> 900): stale, exit 1", j["stages"]["split"], rc)
rc, out, err = run()
ok(rc == 1 and "split: stale: no success for more than 900 s" in out and "UNHEALTHY" in out,
   "table says which stage is stale", out)
rc, j, err = js("--stale-seconds", "split=2000")
ok(rc == 0 and j["stages"]["split"]["state"] == "ok" and j["stages"]["split"]["stale_seconds"] == 2000
   and j["stages"]["fetch"]["stale_seconds"] == 900, "--stale-seconds split=2000: healthy again",
   j["stages"])
rc, j, err = js("--stale-seconds", "2000")
ok(rc == 1 and j["stages"]["reap"]["state"] == "stale" and j["stages"]["split"]["state"] == "ok",
   "--stale-seconds 2000 applies to every stage (reap, an hour old, is then stale)", j["stages"])

# -- the fetcher's threshold follows poll_seconds ---------------------------
healthy_state()
status_file("fetch", 250)
conf(poll=100)
rc, j, err = js()
ok(rc == 0 and j["stages"]["fetch"]["stale_seconds"] == 300, "poll 100: fetch 250 s ago is fine",
   j["stages"]["fetch"])
status_file("fetch", 400)
rc, j, err = js()
ok(rc == 1 and j["stages"]["fetch"]["state"] == "stale", "poll 100: fetch 400 s ago is stale",
   j["stages"]["fetch"])
conf()

# -- failing -----------------------------------------------------------------
healthy_state()
status_file("move", 30, error_age=5, error="unable to open read_path: Permission denied")
rc, out, err = run()
ok(rc == 1 and re.search(r"^move\s+failing\s", out, re.M) and
   "move: last error: unable to open read_path: Permission denied" in out,
   "an error newer than the last success: failing, exit 1", out)
rc, out, err = run("--prometheus")
ok(rc == 1 and 'mcspool_stage_healthy{stage="move"} 0' in out.splitlines() and
   "mcspool_healthy 0" in out.splitlines(), "prometheus: the failing stage is 0", out)

# -- never ran, missing directory ------------------------------------------
healthy_state()
os.unlink(os.path.join(ST, "status.reap"))
rc, j, err = js()
ok(rc == 1 and j["stages"]["reap"]["state"] == "never" and j["stages"]["reap"]["last_success"] is None,
   "no status record: never, exit 1", j["stages"]["reap"])
healthy_state()
shutil.rmtree(os.path.join(D, "mta"))
rc, j, err = js()
ok(rc == 1 and j["dirs"]["mta"]["missing"] is True, "a missing spool directory: exit 1", j["dirs"]["mta"])
shutil.rmtree(D)
rc, j, err = js()
ok(rc == 1 and j is not None and j["healthy"] is False and j["dirs"]["raw"]["missing"] is True,
   "no data_dir at all: still a report (exit 1, every directory missing), not an error", err)
os.makedirs(D)

# -- errors ------------------------------------------------------------------
with open(os.path.join(T, "bad.conf"), "w") as f:
    f.write('data_dir = "relative"\n')
p = subprocess.run([STATUS, "-c", os.path.join(T, "bad.conf")], stdout=subprocess.PIPE,
                   stderr=subprocess.PIPE, text=True)
ok(p.returncode == 100 and "must be an absolute path" in p.stderr, "a bad config: exit 100", p.stderr)
rc, out, err = run("--stale-seconds", "soon")
ok(rc == 100 and "--stale-seconds" in err, "a bad option: exit 100", err)

shutil.rmtree(T, ignore_errors=True)
print("1..%d" % n)  # the plan at the end: TAP allows it
sys.exit(1 if failed else 0)
