#!/usr/bin/env python3
# mcspool-split over every sample family: each payload dropped into raw/
# under the fetcher's name comes out with its record count (manifest.tsv)
# and every record's bytes (1.0 kv records byte-identical, 1.0 json and
# 2.0 events rendered as documented in doc/output-format.md and
# doc/v2-to-v1-mapping.md), and nothing is left in raw/ or bad/.
import datetime
import gzip
import io
import json
import os
import re
import subprocess
import sys
import tempfile
import unicodedata
import shutil
import zipfile

TOP = os.environ.get("MCSPOOL_TOP")
if not TOP:
    print("1..0 # SKIP run through make check")
    sys.exit(0)
BIN = os.environ.get("MCSPOOL_BIN", TOP + "/bin")
S = os.environ.get("MCSPOOL_SAMPLES", TOP + "/../shared/samples")
if not os.path.isdir(S):
    print("1..0 # SKIP no samples at " + S)
    sys.exit(0)

sys.path.insert(0, os.path.join(TOP, "tests"))
from tap import done, ok  # noqa: E402


def is_(got, want, name):
    return ok(got == want, name, "got:  %r\nwant: %r" % (got, want))


manifest = {}
with open(S + "/manifest.tsv") as f:
    next(f)
    for line in f:
        p = line.rstrip("\n").split("\t")
        manifest[p[0]] = int(p[3])

TMP = tempfile.mkdtemp(prefix="mcspool-split-")


def setup(name, extra="", sandbox="off"):
    t = os.path.join(TMP, name)
    os.makedirs(t + "/data/raw")
    for d in ("read", "archive", "lr"):
        os.makedirs(t + "/" + d)
    with open(t + "/mcspool.conf", "w") as f:
        f.write('data_dir = "%s/data"\nread_path = "%s/read"\narchive_dir = "%s/archive"\n'
                'sandbox = "%s"\nconsumer { type = "logrhythm" state_dir = "%s/lr" }\n%s\n'
                % (t, t, t, sandbox, t, extra))
    return t


def run(t, sandboxed=False):
    env = dict(os.environ)
    env.pop("MCSPOOL_FAILPOINT", None)
    if sandboxed and env.get("MCSPOOL_SAN") == "1":
        # LeakSanitizer needs ptrace at exit, which the sandbox forbids.
        env["ASAN_OPTIONS"] = (env.get("ASAN_OPTIONS", "") + ":detect_leaks=0").lstrip(":")
    p = subprocess.run([BIN + "/mcspool-split", "-c", t + "/mcspool.conf", "--once"],
                       stderr=subprocess.PIPE, env=env, timeout=120)
    return p.returncode, p.stderr.decode("utf-8", "replace")


NAME = re.compile(r"^([a-z0-9_]+)_(\d{12})\.([a-z0-9]+)\.([0-9a-f]{8})\.(\d{3})\.(\d{6})\.(log|json)$")
ANAME = re.compile(r"^(audit)_(\d{12})\.([0-9a-f]{8})\.(\d{6})\.(log|json)$")


def outputs(t, seq, sub="mta"):
    """{(member, logtype): [part contents in part order]} of one input."""
    res = {}
    d = t + "/data/" + sub
    for name in sorted(os.listdir(d)):
        m = NAME.match(name) if sub == "mta" else ANAME.match(name)
        if not m or m.group(2) != "%012d" % seq:
            continue
        key = (int(m.group(5)), m.group(1)) if sub == "mta" else (0, "audit")
        part = int(m.group(6)) if sub == "mta" else int(m.group(4))
        with open(os.path.join(d, name), "rb") as f:
            res.setdefault(key, []).append((part, f.read()))
    return {k: [c for _, c in sorted(v)] for k, v in res.items()}


def lines(parts, eol=b"\n"):
    out = []
    for p in parts:
        assert p.endswith(eol), "part does not end with the line ending"
        out.extend(p[: -len(eol)].split(eol))
    return out


def cr_records(b):
    r = b.split(b"\r")
    if r and r[-1] == b"":
        r.pop()
    return r


def esc_value(s):
    o = []
    for ch in s:
        c = ord(ch)
        if ch == "\r":
            o.append("\\r")
        elif ch == "\n":
            o.append("\\n")
        elif ch == "\t":
            o.append("\\t")
        elif c < 0x20 or c == 0x7F or ch == "|":
            o.append("\\x%02x" % c)
        else:
            o.append(ch)
    return "".join(o)


def v1json_line(obj):
    parts = []
    for k, v in obj.items():
        if v is None:
            val = ""
        elif isinstance(v, bool):
            val = "true" if v else "false"
        elif isinstance(v, str):
            val = esc_value(v)
        elif isinstance(v, (int, float)):
            val = json.dumps(v)
        else:
            val = json.dumps(v, separators=(",", ":"), ensure_ascii=False).replace("|", "\\u007c")
        parts.append(esc_value(k).replace("=", "\\x3d") + "=" + val)
    return "|".join(parts).encode()


# ---- 1.0 key_value, zips, json, audit, 2.0: one run over everything ------
t = setup("all")
raw = t + "/data/raw/"
seq = 0
inputs = []  # (seq, family, sample path)
for fam, sub in (("kv", "v1/kv"), ("json", "v1/json"), ("zip", "v1/zip")):
    for f in sorted(os.listdir(S + "/" + sub)):
        seq += 1
        shutil.copy(S + "/" + sub + "/" + f, raw + "siem1.%012d.%s" % (seq, f))
        inputs.append((seq, fam, sub + "/" + f))
for f in sorted(os.listdir(S + "/audit")):
    seq += 1
    shutil.copy(S + "/audit/" + f, raw + "audit.%012d.json" % seq)
    inputs.append((seq, "audit", "audit/" + f))
for f in sorted(os.listdir(S + "/v2/batch")):
    seq += 1
    typ = f.split("-")[0]
    shutil.copy(S + "/v2/batch/" + f, raw + "siem2.%s.%012d.%s" % (typ, seq, f))
    inputs.append((seq, "v2", "v2/batch/" + f))
# A leading dot is a temporary of the fetcher: left alone.
open(raw + ".siem1.000000000999.tmp", "w").write("partial")

rc, err = run(t)
is_(rc, 0, "mcspool-split --once over %d sample payloads exits 0" % len(inputs))
is_(sorted(os.listdir(t + "/data/raw")), [".siem1.000000000999.tmp"],
    "raw/ holds only the fetcher's temporary afterwards")
is_(sorted(os.listdir(t + "/data/bad")), [], "nothing went to bad/")

V2PREFIX = {"receipt": "receipt", "process": "process", "delivery": "delivery", "journal": "jrnl",
            "av": "av", "spam": "spameventthread", "internal email protect": "iep",
            "impersonation protect": "impersonation", "url protect": "ttp_url",
            "attachment protect": "ttp_ap"}

v2_lines = {}
for s, fam, path in inputs:
    want = manifest[path]
    base = os.path.basename(path)
    if fam == "kv":
        out = outputs(t, s)
        recs = cr_records(open(S + "/" + path, "rb").read())
        typ = re.match(r"^(ttp_[a-z]+|[a-z]+)_", base).group(1)
        got = lines(out.get((0, typ), []))
        ok(list(out) == [(0, typ)] and len(got) == want and got == recs,
           "%s: %d records, byte-identical, in %s_*.log" % (path, want, typ),
           "streams %r, got %d lines" % (list(out), len(got)))
    elif fam == "json":
        out = outputs(t, s)
        typ = re.match(r"^(ttp_[a-z]+|[a-z]+)_", base).group(1)
        doc = json.load(open(S + "/" + path, encoding="utf-8"))
        got = lines(out.get((0, typ), []))
        wantl = [v1json_line(o) for o in doc["data"]]
        ok(len(got) == want and got == wantl, "%s: %d records as key=value lines" % (path, want),
           "\n".join(repr(x) for x in got[:2] + wantl[:2]))
    elif fam == "zip":
        out = outputs(t, s)
        z = zipfile.ZipFile(S + "/" + path)
        total = 0
        good = True
        for i, info in enumerate(z.infolist(), 1):
            mname = info.filename
            typ = re.match(r"^(ttp_[a-z]+|[a-z]+)_", mname).group(1)
            data = z.read(info)
            got = lines(out.get((i, typ), []))
            if mname.endswith(".json"):
                wantl = [v1json_line(o) for o in json.loads(data)["data"]]
            else:
                wantl = cr_records(data)
            good = good and got == wantl
            total += len(got)
        ok(good and total == want and len(out) == len(z.infolist()),
           "%s: %d records from %d members, each member in its own type" % (path, want,
                                                                            len(z.infolist())))
    elif fam == "audit":
        out = outputs(t, s, "audit")
        page = json.load(open(S + "/" + path, encoding="utf-8"))
        evs = sorted(enumerate(page["data"]),
                     key=lambda ie: (datetime.datetime.strptime(ie[1]["eventTime"],
                                                                "%Y-%m-%dT%H:%M:%S%z"), ie[0]))
        wantl = [('date=%s|mcType=auditLog|user=%s|auditType="%s"|eventInfo="%s'
                  % (esc_value(e["eventTime"]), esc_value(e["user"]), esc_value(e["auditType"]),
                     esc_value(e["eventInfo"]))).encode() for _, e in evs]
        got = lines(out.get((0, "audit"), []))
        ok(got == wantl and len(got) == want,
           "%s: %d events, oldest first, in the audit line layout" % (path, want),
           "\n".join(repr(x) for x in got[:2] + wantl[:2]))
    else:
        out = outputs(t, s)
        evs = [json.loads(l) for l in gzip.open(S + "/" + path).read().split(b"\n") if l.strip()]
        prefix = V2PREFIX[evs[0]["type"]]
        got = lines(out.get((0, prefix), []))
        v2_lines[path] = (evs, got)
        good = len(got) == want and list(out) == [(0, prefix)]
        for e, l in zip(evs, got):
            fields = l.decode().split("|")
            kv = dict(f.split("=", 1) for f in fields)
            dt = datetime.datetime.fromtimestamp(e["timestamp"] // 1000, datetime.timezone.utc)
            good = good and fields[0] == "datetime=" + dt.strftime("%Y-%m-%dT%H:%M:%S+0000")
            good = good and kv.get("aCode") == e["aggregateId"] and kv.get("acc") == e["accountId"]
            good = good and "type" not in kv and b"\r" not in l and b"\t" not in l
        ok(good, "%s: %d events as 1.0 lines of %s (datetime, aCode, acc)" % (path, want, prefix))

# Every field of every 2.0 event is on its line: under its 1.0 name (the
# table in doc/v2-to-v1-mapping.md) or its own.
table = {}
with open(TOP + "/doc/v2-to-v1-mapping.md", encoding="utf-8") as f:
    sect = None
    for line in f:
        m = re.match(r"^### `([a-z ]+)` ", line)
        if m:
            sect = m.group(1)
        m = re.match(r"^\| `([A-Za-z_]+)` \| `([A-Za-z0-9_]+)` \|", line)
        if m and sect:
            table.setdefault(sect, {})[m.group(1)] = m.group(2)
allgood = True
missing = []
for path, (evs, got) in v2_lines.items():
    for e, l in zip(evs, got):
        kv = dict(f.split("=", 1) for f in l.decode().split("|"))
        typ = e["type"]
        for k, v in e.items():
            if k in ("type", "timestamp"):
                continue
            name = table.get(typ, {}).get(k) or table.get("all", {}).get(k) or k
            if v is None or v == "" or (k == "analysis" and v == "null"):
                continue
            if name not in kv and k not in kv:
                allgood = False
                missing.append("%s: %s (%s)" % (path, k, name))
ok(allgood and len(table) >= 10,
   "every non-empty field of every 2.0 sample event appears on its line, named per the doc table",
   "\n".join(missing[:10]) + "\ntable types: %r" % sorted(table))

# The worked examples of the reference (transport fields left out there).
ref = S + "/../reference/v2-to-v1-fields.md"
examples = []
if os.path.exists(ref):
    for line in open(ref, encoding="utf-8"):
        m = re.match(r"^[a-z_]+(?: \([A-Za-z]+\))?\s+(datetime=.*)$", line.rstrip("\n"))
        if m:
            examples.append(m.group(1))
mine = set()
for _, (evs, got) in v2_lines.items():
    for l in got:
        f = [x for x in l.decode().split("|")
             if x.split("=", 1)[0] not in ("_offset", "_partition", "subtype")]
        # The reference page is NFC; the samples keep a decomposed e + U+0301,
        # which we pass through byte for byte.
        mine.add(unicodedata.normalize("NFC", "|".join(f)))
if examples:
    ok(all(unicodedata.normalize("NFC", x) in mine for x in examples),
       "the %d worked examples of v2-to-v1-fields.md come out exactly" % len(examples),
       "\n".join(x for x in examples if x not in mine))
else:
    ok(True, "# SKIP no reference examples")

# ---- json mode: NDJSON, records byte-identical ---------------------------
# (In its sandbox this time: it needs nothing beyond its spool directories.)
t = setup("json", 'output_format = "json"', sandbox="on")
raw = t + "/data/raw/"
shutil.copy(S + "/v2/batch/url_protect-1.ndjson.gz", raw + "siem2.url_protect.000000000001.u.ndjson.gz")
shutil.copy(S + "/v2/batch/journal-1.ndjson.gz", raw + "siem2.journal.000000000002.j.ndjson.gz")
shutil.copy(S + "/v1/json/receipt_20241125142912185.json", raw + "siem1.000000000003.receipt_20241125142912185.json")
shutil.copy(S + "/v1/json/delivery_20241125142929967.json", raw + "siem1.000000000004.delivery_20241125142929967.json")
shutil.copy(S + "/audit/page-2.json", raw + "audit.000000000005.json")
rc, err = run(t, sandboxed=True)
is_(rc, 0, "json mode, sandbox on: exits 0")
for s, path, prefix in ((1, "v2/batch/url_protect-1.ndjson.gz", "ttp_url"),
                        (2, "v2/batch/journal-1.ndjson.gz", "jrnl")):
    src = [l for l in gzip.open(S + "/" + path).read().split(b"\n") if l]
    got = lines(outputs(t, s).get((0, prefix), []))
    ok(got == src and len(got) == manifest[path],
       "json mode: %s: %d events byte-identical, one per line, in %s_*.json" % (path, len(src), prefix))
for s, path, typ in ((3, "v1/json/receipt_20241125142912185.json", "receipt"),
                     (4, "v1/json/delivery_20241125142929967.json", "delivery")):
    doc = json.load(open(S + "/" + path, encoding="utf-8"))
    got = lines(outputs(t, s).get((0, typ), []))
    ok([json.loads(x) for x in got] == doc["data"] and all(b"\n" not in x for x in got),
       "json mode: %s: %d records as one compact object per line" % (path, len(doc["data"])))
names = [x for x in os.listdir(t + "/data/mta")]
ok(names and all(x.endswith(".json") for x in names), "json mode: MTA files are named .json")
page = json.load(open(S + "/audit/page-2.json", encoding="utf-8"))
got = lines(outputs(t, 5, "audit").get((0, "audit"), []))
ok(sorted(json.loads(x)["eventTime"] for x in got) == [json.loads(x)["eventTime"] for x in got]
   and len(got) == manifest["audit/page-2.json"], "json mode: audit events as NDJSON, oldest first")

# ---- the fetcher's window: many pages in one envelope, oldest first ------
t = setup("window")
page = json.load(open(S + "/audit/page-1.json", encoding="utf-8"))
evs = []
base = datetime.datetime(2024, 11, 25, tzinfo=datetime.timezone.utc)
for i in range(45000):
    e = dict(page["data"][i % len(page["data"])])
    e["eventTime"] = (base + datetime.timedelta(seconds=i // 3)).strftime("%Y-%m-%dT%H:%M:%S+0000")
    e["eventInfo"] = "%d %s" % (i, e["eventInfo"])
    evs.append(e)
with open(t + "/data/raw/audit.000000000001.json", "w", encoding="utf-8") as f:
    json.dump({"meta": {"status": 200}, "data": evs, "fail": []}, f, ensure_ascii=False,
              separators=(",", ":"))
size = os.path.getsize(t + "/data/raw/audit.000000000001.json")
rc, err = run(t)
got = lines(outputs(t, 1, "audit").get((0, "audit"), []))
nums = [int(l.split(b'eventInfo="', 1)[1].split(b" ", 1)[0]) for l in got]
ok(rc == 0 and nums == list(range(45000)) and "warning" not in err,
   "a %d MB audit window (45000 events) is streamed, every event once, in order" % (size >> 20),
   err)

# ---- CRLF line ending, small parts ---------------------------------------
t = setup("parts", 'line_ending = "crlf"\nmax_file_bytes = 1024')
path = "v1/kv/receipt_20241125135446879.log"
shutil.copy(S + "/" + path, t + "/data/raw/siem1.000000000001.receipt_20241125135446879.log")
rc, err = run(t)
parts = outputs(t, 1).get((0, "receipt"), [])
recs = cr_records(open(S + "/" + path, "rb").read())
is_(rc, 0, "crlf + max_file_bytes=1024: exits 0")
ok(len(parts) > 5 and all(len(p) <= 1024 or p.count(b"\r\n") == 1 for p in parts),
   "parts are at most max_file_bytes (a longer record has a part of its own): %d parts" % len(parts))
ok(lines(parts, b"\r\n") == recs, "the parts, in order, hold every record once, CRLF-terminated")
mt = [os.stat(t + "/data/mta/" + x).st_mtime_ns for x in sorted(os.listdir(t + "/data/mta"))]
ok(mt == sorted(mt), "parts sort in production order by name and by mtime")

shutil.rmtree(TMP)
done()
