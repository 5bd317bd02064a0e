#!/usr/bin/env python3
"""bench/gen.py: seeded generator of large, realistic mcspool input payloads.

    python3 bench/gen.py --kind kv|zip|v2|audit --size 100M --seed 1 --out DIR
                         [--file-size 4M] [--files N] [--samples DIR]

Writes raw/-style named files into DIR (the names mcspool-split expects in
data_dir/raw/, see doc/mcspool-split.8) and DIR/manifest.json (files, bytes on
disk, uncompressed bytes, records).

The records are the real sample records of ../shared/samples used as
templates: each output record is a sample record (chosen by the seeded RNG)
whose identifying values are replaced deterministically (1.0 kv: datetime,
aCode, the userN addresses, the last octet of IPs; 2.0: timestamp,
aggregateId, processingId, _offset, userN; audit: id, user, eventTime). Key
order, terminators (bare CR for kv), value styles and odd bytes stay as the
samples have them. The same arguments always give the same bytes.

--size is the total uncompressed payload (records), reached or passed by one
record per file. --file-size is the uncompressed size per file (kv, v2) or per
zip member (zip); --files N instead splits --size over N files (--files 1 for
one big file, as the peak-RSS benchmarks use).
"""
import argparse
import glob
import gzip
import json
import os
import random
import re
import sys
import zipfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
URLSAFE = ALNUM + "-_"
USER_RE = re.compile(r"user([0-9]+)@example\.com")
IP_RE = re.compile(r"\b(192\.0\.2|198\.51\.100|203\.0\.113)\.([0-9]+)\b")
BASE_EPOCH = 1732540000  # 2024-11-25 13:06:40 UTC, the samples' day


def parse_size(s):
    m = re.fullmatch(r"([0-9]+)([kKmMgG]?)", s)
    if not m:
        raise argparse.ArgumentTypeError("bad size %r (e.g. 100M, 1G, 512k)" % s)
    return int(m.group(1)) * {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}[m.group(2).lower()]


def rand_str(rng, n, alphabet=ALNUM):
    return "".join(rng.choice(alphabet) for _ in range(n))


def variants(rng, text, n):
    """n copies of a template with the userN and IP host parts re-drawn."""
    out = []
    for _ in range(n):
        t = USER_RE.sub(lambda m: "user%d@example.com" % rng.randint(1, 30), text)
        t = IP_RE.sub(lambda m: "%s.%d" % (m.group(1), rng.randint(1, 254)), t)
        out.append(t)
    return out


# ---------------------------------------------------------------- API 1.0 kv

def kv_templates(samples):
    """{type: [(prefix, suffix)]}: each sample record cut around datetime and
    aCode, so a record is prefix-free string assembly at generation time."""
    by_type = {}
    rng = random.Random(0)
    for path in sorted(glob.glob(os.path.join(samples, "v1", "kv", "*.log"))):
        name = os.path.basename(path)
        typ = re.match(r"(ttp_[a-z]+|[a-z]+)_[0-9]+\.log$", name).group(1)
        data = open(path, "rb").read().decode("utf-8", "surrogateescape")
        for rec in data.split("\r"):
            if not rec.startswith("datetime="):
                continue
            m = re.match(r"datetime=[^|]*\|(?:aCode=[^|]*\|)?", rec)
            has_acode = "|aCode=" in m.group(0)
            rest = rec[m.end():]
            for v in variants(rng, rest, 4):
                by_type.setdefault(typ, []).append((has_acode, v))
    return by_type


def kv_stamp(t):
    # local time UTC+02:00 with a numeric offset and no colon, as the samples
    import time as _t
    return _t.strftime("%Y-%m-%dT%H:%M:%S+0200", _t.gmtime(t + 7200))


def kv_records(rng, tmpl, target, clock):
    """Yield CR-terminated records (str) of one type until target bytes."""
    done = 0
    stamps = {}
    while done < target:
        has_acode, rest = rng.choice(tmpl)
        clock[0] += rng.random() * 0.05
        sec = int(clock[0])
        st = stamps.get(sec)
        if st is None:
            stamps.clear()
            st = stamps[sec] = kv_stamp(sec)
        if has_acode:
            rec = "datetime=%s|aCode=%s|%s\r" % (st, rand_str(rng, 22), rest)
        else:
            rec = "datetime=%s|%s\r" % (st, rest)
        done += len(rec.encode("utf-8", "surrogateescape"))
        yield rec


def file_stamp(t):
    import time as _t
    ms = int((t % 1) * 1000)
    return _t.strftime("%Y%m%d%H%M%S", _t.gmtime(t + 7200)) + "%03d" % ms


def write_kv_stream(f, rng, tmpl, target, clock):
    buf, n, nbytes, count = [], 0, 0, 0
    for rec in kv_records(rng, tmpl, target, clock):
        buf.append(rec)
        count += 1
        n += 1
        if n == 4096:
            b = "".join(buf).encode("utf-8", "surrogateescape")
            f.write(b)
            nbytes += len(b)
            buf, n = [], 0
    if buf:
        b = "".join(buf).encode("utf-8", "surrogateescape")
        f.write(b)
        nbytes += len(b)
    return nbytes, count


def plan(total, per_file, files):
    if files:
        base = total // files
        return [base + (1 if i < total % files else 0) for i in range(files)]
    sizes = []
    while total > 0:
        sizes.append(min(per_file, total))
        total -= per_file
    return sizes


def gen_kv(a, out, man):
    tmpl = kv_templates(a.samples)
    types = sorted(tmpl)
    rng = random.Random(a.seed)
    clock = [float(BASE_EPOCH)]
    for i, size in enumerate(plan(a.size, a.file_size, a.files)):
        typ = rng.choice(types)
        name = "siem1.%012d.%s_%s.log" % (i + 1, typ, file_stamp(clock[0] + 5))
        with open(os.path.join(out, name), "wb") as f:
            nbytes, count = write_kv_stream(f, rng, tmpl[typ], size, clock)
        man.append({"name": name, "bytes": nbytes, "raw_bytes": nbytes, "records": count})


def gen_zip(a, out, man):
    tmpl = kv_templates(a.samples)
    types = sorted(tmpl)
    rng = random.Random(a.seed)
    clock = [float(BASE_EPOCH)]
    members = a.members
    sizes = plan(a.size, a.file_size, a.files * members if a.files else 0)
    zi = 0
    for j in range(0, len(sizes), members):
        zi += 1
        name = "siem1.%012d.%s_%s.zip" % (zi, "receipt", file_stamp(clock[0] + 5))
        path = os.path.join(out, name)
        raw, count = 0, 0
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as z:
            for size in sizes[j:j + members]:
                typ = rng.choice(types)
                mname = "%s_%s.log" % (typ, file_stamp(clock[0] + 5))
                zinfo = zipfile.ZipInfo(mname, date_time=(2024, 11, 25, 12, 0, 0))
                zinfo.compress_type = zipfile.ZIP_DEFLATED
                with z.open(zinfo, "w", force_zip64=size > (1 << 31)) as f:
                    nb, c = write_kv_stream(f, rng, tmpl[typ], size, clock)
                raw += nb
                count += c
        man.append({"name": name, "bytes": os.path.getsize(path), "raw_bytes": raw, "records": count})


# ---------------------------------------------------------------- API 2.0

def v2_templates(samples):
    by_type = {}
    rng = random.Random(0)
    for path in sorted(glob.glob(os.path.join(samples, "v2", "batch", "*.ndjson.gz"))):
        typ = re.match(r"(.+)-[0-9]+\.ndjson\.gz$", os.path.basename(path)).group(1)
        for line in gzip.open(path, "rt", encoding="utf-8").read().split("\n"):
            if not line.strip():
                continue
            ev = json.loads(line)
            for v in variants(rng, json.dumps(ev, ensure_ascii=False, separators=(",", ":")), 4):
                by_type.setdefault(typ, []).append(json.loads(v))
    return by_type


def v2_line(rng, ev, clock):
    ev = dict(ev)
    clock[0] += rng.random() * 0.05
    ms = int(clock[0] * 1000)
    s = ms // 1000
    ev["timestamp"] = ms
    ev["_offset"] = rng.randint(1, 10 ** 7)
    if "aggregateId" in ev:
        ev["aggregateId"] = "%s_%d" % (rand_str(rng, 22, URLSAFE), s)
    if "processingId" in ev:
        ev["processingId"] = "%s_%d" % (rand_str(rng, 43, URLSAFE), s)
    # keys sorted, compact, raw UTF-8, as the sample batch files
    return json.dumps(ev, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n"


def gen_v2(a, out, man):
    tmpl = v2_templates(a.samples)
    types = sorted(tmpl)
    rng = random.Random(a.seed)
    clock = [float(BASE_EPOCH)]
    for i, size in enumerate(plan(a.size, a.file_size, a.files)):
        typ = types[i % len(types)] if not a.type else a.type
        name = "siem2.%s.%012d.%s-%d.ndjson.gz" % (typ, i + 1, typ, i + 1)
        path = os.path.join(out, name)
        raw, count, buf = 0, 0, []
        with open(path, "wb") as fo:
            # one gzip member, mtime 0, as the sample batch files
            with gzip.GzipFile(fileobj=fo, mode="wb", compresslevel=6, mtime=0, filename="") as g:
                while raw < size:
                    line = v2_line(rng, rng.choice(tmpl[typ]), clock).encode("utf-8")
                    buf.append(line)
                    raw += len(line)
                    count += 1
                    if len(buf) == 2048:
                        g.write(b"".join(buf))
                        buf = []
                g.write(b"".join(buf))
        man.append({"name": name, "bytes": os.path.getsize(path), "raw_bytes": raw, "records": count})


# ---------------------------------------------------------------- audit

def gen_audit(a, out, man):
    events = []
    for path in sorted(glob.glob(os.path.join(a.samples, "audit", "page-*.json"))):
        events += json.load(open(path, encoding="utf-8"))["data"]
    rng = random.Random(a.seed)
    clock = [float(BASE_EPOCH)]
    import time as _t
    per_page = 500  # the API's largest page
    total, page = 0, 0
    while total < a.size:
        page += 1
        data = []
        for _ in range(per_page):
            ev = dict(rng.choice(events))
            clock[0] += rng.random() * 2
            ev["eventTime"] = _t.strftime("%Y-%m-%dT%H:%M:%S+0000", _t.gmtime(clock[0]))
            ev["id"] = "eNq" + rand_str(rng, 120, URLSAFE)
            if ev.get("user"):
                ev["user"] = "user%d@example.com" % rng.randint(1, 30)
            data.append(ev)
        data.reverse()  # newest first, as the API sends
        body = json.dumps({"meta": {"status": 200, "pagination": {"pageSize": per_page,
                                                                   "totalCount": per_page}},
                           "data": data, "fail": []}, ensure_ascii=False,
                          separators=(",", ":")).encode("utf-8")
        name = "audit.%012d.json" % page
        with open(os.path.join(out, name), "wb") as f:
            f.write(body)
        total += len(body)
        man.append({"name": name, "bytes": len(body), "raw_bytes": len(body), "records": len(data)})


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--kind", required=True, choices=["kv", "zip", "v2", "audit"])
    p.add_argument("--size", required=True, type=parse_size)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", required=True)
    p.add_argument("--file-size", type=parse_size, default=None)
    p.add_argument("--files", type=int, default=0)
    p.add_argument("--members", type=int, default=4, help="members per zip (zip)")
    p.add_argument("--type", default="", help="2.0 type (v2; default: cycle through all)")
    p.add_argument("--samples", default=os.environ.get("MCSPOOL_SAMPLES",
                                                       os.path.join(HERE, "..", "..", "shared", "samples")))
    a = p.parse_args()
    if a.file_size is None:
        a.file_size = {"kv": 4 << 20, "zip": 4 << 20, "v2": 8 << 20, "audit": 0}[a.kind]
    os.makedirs(a.out, exist_ok=True)
    man = []
    {"kv": gen_kv, "zip": gen_zip, "v2": gen_v2, "audit": gen_audit}[a.kind](a, a.out, man)
    summary = {"kind": a.kind, "seed": a.seed, "files": len(man),
               "bytes": sum(m["bytes"] for m in man),
               "raw_bytes": sum(m["raw_bytes"] for m in man),
               "records": sum(m["records"] for m in man), "list": man}
    with open(os.path.join(a.out, "manifest.json"), "w") as f:
        json.dump(summary, f, indent=0)
    print("gen.py: %s seed %d: %d files, %d bytes (%d uncompressed), %d records"
          % (a.kind, a.seed, summary["files"], summary["bytes"], summary["raw_bytes"],
             summary["records"]), file=sys.stderr)


if __name__ == "__main__":
    main()
