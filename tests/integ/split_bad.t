#!/usr/bin/env python3
# mcspool-split and hostile or broken input: corrupt zip, gzip and JSON, zip
# members named with paths, decompression bombs, invalid UTF-8, records
# over 64 KiB, empty files, unknown names, stray line breaks. None of it
# crashes the splitter or makes it write outside its directories; the good
# part is delivered, the bad payload or record goes to bad/ with a note
# saying why, and the log counts it.
import gzip
import io
import os
import re
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


T = tempfile.mkdtemp(prefix="mcspool-split-bad-")
D = T + "/data"
os.makedirs(D + "/raw")
for d in ("read", "archive", "lr"):
    os.makedirs(T + "/" + d)
with open(T + "/mcspool.conf", "w") as f:
    # The secret file does not exist: a splitter that tried to read it would fail.
    f.write('data_dir = "%s"\nread_path = "%s/read"\narchive_dir = "%s/archive"\n'
            'sandbox = "off"\nconsumer { type = "logrhythm" state_dir = "%s/lr" }\n'
            'mimecast { api = 1 secret_key_file = "%s/no-such-secret" }\n' % (D, T, T, T, T))

REC = [b"datetime=2024-11-25T13:40:13+0200|aCode=a%02d|acc=CXX00A000|Subject=s%02d" % (i, i)
       for i in range(6)]
raw = {}


def put(name, data):
    raw[name] = data
    with open(D + "/raw/" + name, "wb") as f:
        f.write(data)


def zipof(members):
    b = io.BytesIO()
    z = zipfile.ZipFile(b, "w", zipfile.ZIP_DEFLATED)
    for name, data in members:
        z.writestr(name, data)
    z.close()
    return b.getvalue()


kvfile = b"\r".join(REC) + b"\r"
realzip = open(S + "/v1/zip/receipt_20241125140613246.zip", "rb").read()
realgz = open(S + "/v2/batch/journal-1.ndjson.gz", "rb").read()

put("siem1.000000000001.receipt_1.zip", os.urandom(3000))
put("siem1.000000000002.receipt_2.zip", realzip[: len(realzip) // 2])
put("siem1.000000000003.receipt_3.zip",
    zipof([("../evil_3.log", kvfile), ("/abs_3.log", kvfile), ("receipt_3.log", kvfile)]))
put("siem1.000000000004.receipt_4.zip", zipof([("receipt_4.log", b"datetime=x|a=b\r" * 2000000)]))
put("siem2.journal.000000000005.j.ndjson.gz", realgz[: len(realgz) * 2 // 3])
put("siem2.spam.000000000006.s.ndjson.gz", gzip.compress(
    b'{"type":"spam","timestamp":1732528152000,"aggregateId":"x"}\n' * 400000))
put("siem1.000000000007.receipt_7.json", b'{ "type" : "MTA", "data" : ')
put("siem1.000000000008.receipt_8.json",
    b'{"type":"MTA","data":[{"a":"1"},{"b":},{"c":"3"}]}')
put("audit.000000000009.json", b'{"meta":{"status":200},"data":[{"eventTime":"2024-11-25T11:58:41+0000"')
put("siem1.000000000010.receipt_10.log", REC[0] + b"\r" + REC[1] + b"\xff\xfe" + b"\r" + REC[2] + b"\r")
big = b"datetime=x|Subject=" + b"y" * 70000
put("siem1.000000000011.receipt_11.log", REC[0] + b"\r" + big + b"\r" + REC[1] + b"\r")
put("siem1.000000000012.receipt_12.log", b"")
put("strange-name.log", kvfile)
put("siem1.000000000014.receipt_14.log", REC[0] + b"\r" + REC[1][:20] + b"\n" + REC[1][20:] + b"\r")
put("siem1.000000000015.receipt_15.log", REC[0] + b"\r\n" + REC[1][:20] + b"\r" + REC[1][20:] + b"\r\n")
put("siem1.000000000016.receipt_16.log", REC[0] + b"\n" + REC[1][:20] + b"\r" + REC[1][20:] + b"\n")
put("siem2.receipt.000000000017.r.ndjson.gz", gzip.compress(
    b'{"type":"receipt","timestamp":1732528152000,"aggregateId":"g1"}\n'
    b'{"type":"receipt","timestamp":\n'
    b'{"type":"receipt","aggregateId":"no-time"}\n'
    b'{"type":"receipt","timestamp":1732528153000,"aggregateId":"g2","subject":"x\\r\\ny|z\\u0000"}\n'))
put("siem1.000000000018.mta.bin", b"\x1f\x8b\x08\x00garbage")
put("siem1.000000000019.receipt_19.zip", zipof([("receipt_19.log", kvfile),
                                                ("bad_19.json", b'{"type":"MTA","data":[{"a":'),
                                                ("good_19.json", b'{"type":"MTA","data":[{"a":"b"}]}')]))
os.symlink(T + "/mcspool.conf", D + "/raw/siem1.000000000020.receipt_20.log")
bigel = b'{"b":"' + b"z" * 200000 + b'"}'
put("siem2.receipt.000000000022.r.ndjson.gz", bytes(range(7, 250)) * 40)
put("siem1.000000000021.receipt_21.json", b'{"type":"MTA","data":[{"a":"1"},' + bigel + b',{"c":"3"}]}')

env = dict(os.environ)
env.pop("MCSPOOL_FAILPOINT", None)
p = subprocess.run([BIN + "/mcspool-split", "-c", T + "/mcspool.conf", "--once"],
                   stderr=subprocess.PIPE, env=env, timeout=120)
err = p.stderr.decode("utf-8", "replace")
ok(p.returncode == 0, "one run over 21 bad inputs exits 0 (no crash, no fatal error)", err)
ok(os.listdir(D + "/raw") == [], "raw/ is empty afterwards", os.listdir(D + "/raw"))
ok(os.listdir(D + "/tmp/split") == [], "no temporaries left")
ok(not os.path.exists(D + "/evil_3.log") and not os.path.exists("/abs_3.log")
   and not os.path.exists(D + "/raw/../evil_3.log"), "zip member paths were not used as paths")
ok(os.path.realpath(D + "/bad/siem1.000000000020.receipt_20.log") != T + "/mcspool.conf"
   or os.path.islink(D + "/bad/siem1.000000000020.receipt_20.log"),
   "a symlink in raw/ is moved, never followed")
ok(os.path.exists(T + "/mcspool.conf") and open(T + "/mcspool.conf").read().startswith("data_dir"),
   "the symlink's target is untouched")


def bad(name):
    w = D + "/bad/" + name + ".why"
    return open(w).read() if os.path.exists(w) else None


def badlines(name):
    p = D + "/bad/" + name + ".lines"
    w = p + ".why"
    if not os.path.exists(p):
        return None, None
    return open(p, "rb").read(), open(w).read()


def mta(seq):
    res = []
    for x in sorted(os.listdir(D + "/mta")):
        if re.match(r"^[a-z0-9_]+_%012d\." % seq, x):
            res.extend(open(D + "/mta/" + x, "rb").read().split(b"\n")[:-1])
    return res


def quarantined(name, pattern, what):
    why = bad(name)
    ok(why is not None and re.search(pattern, why) is not None
       and open(D + "/bad/" + name, "rb").read() == raw[name],
       "%s: the payload is in bad/ unchanged, the note says %r" % (what, pattern), why)


quarantined("siem1.000000000001.receipt_1.zip", r"zip: unable to open", "a corrupt zip")
quarantined("siem1.000000000002.receipt_2.zip", r"zip", "a truncated zip")
ok(mta(1) == [] and mta(2) == [], "corrupt zips deliver nothing")
quarantined("siem1.000000000003.receipt_3.zip", r"member '\.\./evil_3\.log' is named with a path",
            "a zip member named ../")
ok(re.search(r"member '/abs_3\.log' is named with a path", bad("siem1.000000000003.receipt_3.zip") or ""),
   "an absolute member name is refused too")
ok(mta(3) == REC, "the zip's good member is delivered")
quarantined("siem1.000000000004.receipt_4.zip", r"decompression bomb", "a zip bomb")
ok(mta(4) == [], "the zip bomb's member is not read at all (its declared ratio gives it away)")
quarantined("siem2.journal.000000000005.j.ndjson.gz", r"gzip: truncated", "a truncated gzip")
got = mta(5)
ok(0 < len(got) < 25 and all(l.startswith(b"datetime=") for l in got),
   "the events before the cut are delivered (%d of 25)" % len(got))
quarantined("siem2.spam.000000000006.s.ndjson.gz", r"gzip: decompression bomb", "a gzip bomb")
quarantined("siem1.000000000007.receipt_7.json", r"truncated JSON", "a truncated 1.0 json file")
lines8, why8 = badlines("siem1.000000000008.receipt_8.json")
ok(mta(8) == [b"a=1", b"c=3"] and lines8 == b'{"b":}\n' and re.search(r"record 2 at byte", why8 or ""),
   "a bad element of a 1.0 json file goes to bad/ alone; the others are delivered", (mta(8), lines8, why8))
quarantined("audit.000000000009.json", r"truncated JSON|invalid JSON", "a truncated audit page")
lines10, why10 = badlines("siem1.000000000010.receipt_10.log")
ok(mta(10) == [REC[0], REC[2]] and lines10 == REC[1] + b"\xff\xfe\n"
   and re.search(r"record 2 at byte %d: invalid UTF-8" % (len(REC[0]) + 1), why10 or ""),
   "an invalid UTF-8 record goes to bad/ with its offset; the others are delivered", why10)
lines11, why11 = badlines("siem1.000000000011.receipt_11.log")
ok(mta(11) == [REC[0], REC[1]] and lines11 == big + b"\n"
   and re.search(r"record 2 .*longer than 65536", why11 or ""),
   "a record over 64 KiB goes to bad/ whole; the others are delivered", why11)
quarantined("siem1.000000000012.receipt_12.log", r"empty file", "an empty file")
quarantined("strange-name.log", r"unknown input name", "an unknown name")
ok(mta(14) == [REC[0], REC[1][:20] + b"\\n" + REC[1][20:]],
   "CR records: a stray LF is data, written as \\n, the record stays whole")
ok(mta(15) == [REC[0], REC[1][:20] + b"\\r" + REC[1][20:]],
   "CRLF records: a stray CR is data, written as \\r")
ok(mta(16) == [REC[0], REC[1][:20] + b"\\r" + REC[1][20:]],
   "LF records: a stray CR is data, written as \\r")
lines17, why17 = badlines("siem2.receipt.000000000017.r.ndjson.gz")
got = mta(17)
ok(len(got) == 2 and got[1] == b"datetime=2024-11-25T09:49:13+0000|aCode=g2|Subject=x\\r\\ny\\x7cz\\x00|headerFrom=" and got[0].startswith(b"datetime=2024-11-25T09:49:12+0000|aCode=g1"),
   "2.0 events: values cannot inject a line or a field (\\r \\n \\x7c \\x00)", got)
ok(why17 is not None and "record 2" in why17 and "record 3" in why17 and "timestamp" in why17,
   "2.0 events: a broken line and one without a timestamp go to bad/, each with its reason", why17)
quarantined("siem1.000000000018.mta.bin", r"unrecognisable", "an unrecognisable nameless payload")
quarantined("siem1.000000000019.receipt_19.zip", r"member 2: truncated JSON", "a zip with one bad json member")
quarantined("siem2.receipt.000000000022.r.ndjson.gz", r"neither gzip .* nor NDJSON", "a .ndjson.gz that is neither gzip nor NDJSON")
ok(sorted(mta(19)) == sorted(REC + [b"a=b"]), "... its good members, before and after the bad one, are delivered")
lines21, why21 = badlines("siem1.000000000021.receipt_21.json")
ok(mta(21) == [b"a=1", b"c=3"] and lines21 == bigel + b"\n" and "record 2 at byte 32: record longer than 65536" in (why21 or ""),
   "a 1.0 json element over 64 KiB goes to bad/ whole; the others are delivered", why21)
ok(os.path.islink(D + "/bad/siem1.000000000020.receipt_20.log")
   and "symbolic link" in (bad("siem1.000000000020.receipt_20.log") or ""),
   "a symlink in raw/ goes to bad/ as a link, with the reason")
ok(len(re.findall(r"bad records", err)) >= 15 and "1 bad records" in err,
   "the log counts the bad records and payloads", err)
ok(len(re.findall(r"payload quarantined", err)) >= 12, "the log names each quarantined payload")
ok(all(re.match(r"^mcspool-split: (info|warning): ", l) for l in err.splitlines()),
   "every log line has the prog: level: form", err)
for d in ("mta", "audit", "bad"):
    names = os.listdir(D + "/" + d)
    ok(all(re.match(r"^[A-Za-z0-9._-]+$", x) and not x.startswith(".") for x in names),
       "%s/ names use [A-Za-z0-9._-] only" % d, names)
top = sorted(os.listdir(D))
ok(top == ["audit", "bad", "lock", "mta", "raw", "state", "status", "tmp"], "nothing written beside the spool dirs", top)

shutil.rmtree(T)
done()
