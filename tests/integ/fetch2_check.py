#!/usr/bin/env python3
"""fetch2_check.py: check raw/ against the emulator's 2.0 batch files (exactly once).

  fetch2_check.py RAWDIR FILES.json "type1,type2,..." [--no-gunzip]
      FILES.json is GET /_emu/v2/files. For each listed type: every retained file
      the emulator holds (created, not older than 7 days) is in RAWDIR exactly once,
      as siem2.<type with spaces as _>.<12 digits>.<its name>, with the emulator's
      size (and, unless --no-gunzip, a complete gzip stream); the sequence numbers
      of the type are 1..N without gaps or repeats; no other siem2.* file is there.
"""
import gzip
import json
import os
import re
import sys
import time

RETENTION = 7 * 86400


def main():
    raw, files, types = sys.argv[1], sys.argv[2], sys.argv[3].split(",")
    gunzip = "--no-gunzip" not in sys.argv[4:]
    now = float(os.environ.get("F2_EMU_NOW", time.time()))
    data = json.load(open(files))["types"]
    names = [n for n in os.listdir(raw) if n.startswith("siem2.")]
    errs = []
    nwant = 0
    for t in types:
        tn = t.replace(" ", "_")
        want = {}
        for seg in data[t]:
            for f in seg["files"]:
                if f["created_at"] <= now and f["created_at"] >= now - RETENTION:
                    want[f["name"]] = f["bytes"]
        nwant += len(want)
        mine = [n for n in names if n.startswith("siem2.%s." % tn)]
        seqs = []
        got = {}
        for n in mine:
            m = re.fullmatch(r"siem2\.%s\.(\d{12})\.(.+)" % re.escape(tn), n)
            if not m:
                errs.append("bad name %s" % n)
                continue
            seqs.append(int(m.group(1)))
            got.setdefault(m.group(2), []).append(n)
        for name, size in want.items():
            c = got.pop(name, [])
            if len(c) != 1:
                errs.append("%s/%s: in raw/ %d times (want 1)" % (t, name, len(c)))
                continue
            p = os.path.join(raw, c[0])
            if os.path.getsize(p) != size:
                errs.append("%s: %d bytes, want %d" % (c[0], os.path.getsize(p), size))
            elif gunzip:
                try:
                    with gzip.open(p) as g:
                        while g.read(1 << 20):
                            pass
                except Exception as e:
                    errs.append("%s: not a whole gzip stream: %s" % (c[0], e))
        for name, ns in got.items():
            errs.append("unexpected raw/ file(s) %s" % ns)
        if sorted(seqs) != list(range(1, len(seqs) + 1)):
            errs.append("%s: sequence numbers are not 1..%d: %s" % (t, len(seqs), sorted(seqs)))
        names = [n for n in names if n not in mine]
    for n in names:
        errs.append("raw/%s: a type not asked for" % n)
    print("siem2: %d files expected" % nwant)
    for e in errs:
        print(e)
    sys.exit(1 if errs else 0)


if __name__ == "__main__":
    main()
