#!/usr/bin/env python3
# mcspool-split under SIGKILL at every named step of its commit sequence
# (its own failpoints and the spool's), at several hit counts: a restart
# must end with exactly the output of an uninterrupted run (the same
# files, the same bytes: each record once), raw/ empty and no temporaries.
import gzip
import io
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile

TOP = os.environ.get("MCSPOOL_TOP")
if not TOP:
    print("1..0 # SKIP run through make check")
    sys.exit(0)
BIN = os.environ.get("MCSPOOL_BIN", TOP + "/bin")
S = os.environ.get("MCSPOOL_SAMPLES", TOP + "/../shared/samples")

sys.path.insert(0, os.path.join(TOP, "tests"))
from tap import done, ok  # noqa: E402


TMP = tempfile.mkdtemp(prefix="mcspool-split-crash-")

# Inputs that take every path: several parts per stream, zip members,
# 2.0 rendering, an audit page, bad records and a quarantined payload.
inputs = {}
inputs["siem1.000000000001.receipt_20241125135446879.log"] = open(
    S + "/v1/kv/receipt_20241125135446879.log", "rb").read()
inputs["siem1.000000000002.process_20241125140605349.zip"] = open(
    S + "/v1/zip/process_20241125140605349.zip", "rb").read()
inputs["siem2.delivery.000000000003.delivery-1.ndjson.gz"] = open(
    S + "/v2/batch/delivery-1.ndjson.gz", "rb").read()
inputs["audit.000000000004.json"] = open(S + "/audit/page-1.json", "rb").read()
kv = open(S + "/v1/kv/delivery_20241125134928265.log", "rb").read()
inputs["siem1.000000000005.delivery_20241125134928265.log"] = kv[:3000] + b"\xff\r" + kv[3000:]
inputs["siem1.000000000006.receipt_6.zip"] = b"PK\x03\x04 not really a zip"
b = io.BytesIO()
z = zipfile.ZipFile(b, "w", zipfile.ZIP_DEFLATED)
z.writestr("../x_1.log", b"datetime=x|a=b\r")
z.writestr("jrnl_1.log", open(S + "/v1/kv/jrnl_20241125135831976.log", "rb").read())
z.close()
inputs["siem1.000000000007.jrnl_7.zip"] = b.getvalue()


def tree(name, extra=""):
    t = os.path.join(TMP, name)
    os.makedirs(t + "/data/raw")
    for d in ("read", "archive", "lr"):
        os.makedirs(t + "/" + d)
    with open(t + "/mcspool.conf", "w") as f:
        f.write('data_dir = "%s/data"\nread_path = "%s/read"\narchive_dir = "%s/archive"\n'
                'sandbox = "off"\nconsumer { type = "logrhythm" state_dir = "%s/lr" }\n'
                'max_file_bytes = 2048\n%s' % (t, t, t, t, extra))
    for k, v in inputs.items():
        with open(t + "/data/raw/" + k, "wb") as f:
            f.write(v)
    return t


def run(t, fp=None):
    env = dict(os.environ)
    env.pop("MCSPOOL_FAILPOINT", None)
    if fp:
        env["MCSPOOL_FAILPOINT"] = fp
    p = subprocess.run([BIN + "/mcspool-split", "-c", t + "/mcspool.conf", "--once"],
                       stderr=subprocess.PIPE, env=env, timeout=60)
    # Killed by the failpoint: -9 from subprocess, 137 through a shell.
    return 137 if p.returncode in (-9, 137) else p.returncode


def snapshot(t):
    res = {}
    for d in ("mta", "audit", "bad"):
        for x in os.listdir(t + "/data/" + d):
            p = t + "/data/" + d + "/" + x
            res[d + "/" + x] = open(p, "rb").read()
    return res


ref_t = tree("ref")
ok(run(ref_t) == 0, "an uninterrupted run exits 0")
ref = snapshot(ref_t)
ok(len([k for k in ref if k.startswith("mta/")]) > 20 and any(k.endswith(".lines") for k in ref)
   and any(k == "bad/siem1.000000000006.receipt_6.zip" for k in ref),
   "the reference has many parts, bad records and a quarantined payload (%d files)" % len(ref))

points = ["split-part-published", "split-bad-published", "split-before-remove",
          "split-why-published", "split-input-removed", "spool-after-create",
          "spool-before-fsync", "spool-before-rename", "spool-after-rename", "spool-after-dirsync"]
# The failpoint names the splitter uses must all be documented.
doc = open(TOP + "/doc/failpoints.md").read()
ok(all("`%s`" % p in doc for p in points), "every failpoint used here is in doc/failpoints.md")

for fp in points:
    for hit in (1, 2, 5, 17):
        t = tree("%s-%d" % (fp, hit))
        rc = run(t, "%s:%d" % (fp, hit))
        if rc != 137:
            # Fewer hits than asked for: the run completed; it must still be right.
            ok(rc == 0 and snapshot(t) == ref, "%s:%d never reached; the run is complete" % (fp, hit))
            shutil.rmtree(t)
            continue
        rc2 = run(t)
        got = snapshot(t)
        left = os.listdir(t + "/data/raw")
        tmp = os.listdir(t + "/data/tmp/split")
        diff = sorted(set(got) ^ set(ref)) + sorted(k for k in got if k in ref and got[k] != ref[k])
        ok(rc2 == 0 and got == ref and left == [] and tmp == [],
           "killed at %s:%d, a restart gives exactly-once output" % (fp, hit),
           "rc %d, raw %r, tmp %r, differing %r" % (rc2, left, tmp, diff[:5]))
        shutil.rmtree(t)

# Two crashes in a row, then a restart.
t = tree("double")
r1 = run(t, "split-part-published:3")
r2 = run(t, "spool-before-rename:4")
r3 = run(t)
ok(r1 == 137 and r2 == 137 and r3 == 0 and snapshot(t) == ref,
   "two kills in a row, then a restart: exactly-once output")

shutil.rmtree(TMP)
done()
