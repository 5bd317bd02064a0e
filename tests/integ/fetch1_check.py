#!/usr/bin/env python3
"""fetch1_check.py: check raw/ against the emulator's records (exactly once).

  fetch1_check.py siem RAWDIR QUEUE.json
      every produced, retained file of the emulator's queue is in RAWDIR exactly
      once, as siem1.<12 digits>.<its name>, byte for byte (SHA-256); nothing
      else is there; the sequence numbers are 1..N without gaps or repeats.
  fetch1_check.py audit RAWDIR EVENTS.json LO HI
      every visible event with LO <= time <= HI is in the raw/audit.*.json files
      exactly once, byte for byte as the emulator serves it; no event at all is
      there twice; each file is the get-audit-events envelope, oldest first.
"""
import hashlib
import json
import os
import re
import sys


def fail(msgs):
    for m in msgs:
        print(m)
    sys.exit(1 if msgs else 0)


def siem(raw, queue):
    q = json.load(open(queue))
    want = [f for f in q["files"] if f.get("produced", True) and f.get("retained", True)]
    names = sorted(n for n in os.listdir(raw) if n.startswith("siem1."))
    errs = []
    seqs = []
    got = {}
    for n in names:
        m = re.fullmatch(r"siem1\.(\d{12})\.(.+)", n)
        if not m:
            errs.append("bad name %s" % n)
            continue
        seqs.append(int(m.group(1)))
        h = hashlib.sha256(open(os.path.join(raw, n), "rb").read()).hexdigest()
        got.setdefault((m.group(2), h), []).append(n)
    for f in want:
        key = (f.get("served_name", f["name"]), f["sha256"])
        c = len(got.pop(key, []))
        if c != 1:
            errs.append("%s: in raw/ %d times (want 1)" % (key[0], c))
    for key, ns in got.items():
        errs.append("unexpected raw/ file(s) %s" % ns)
    if sorted(seqs) != list(range(1, len(seqs) + 1)):
        errs.append("sequence numbers are not 1..%d: %s" % (len(seqs), sorted(seqs)))
    print("siem: %d files expected, %d in raw/" % (len(want), len(names)))
    fail(errs)


def jdump(o):
    return json.dumps(o, separators=(",", ":"), ensure_ascii=False)


def audit(raw, events, lo, hi):
    evs = json.load(open(events))["events"]
    errs = []
    text = []
    for n in sorted(os.listdir(raw)):
        if not n.startswith("audit."):
            continue
        if not re.fullmatch(r"audit\.\d{12}\.json", n):
            errs.append("bad name %s" % n)
        b = open(os.path.join(raw, n), "rb").read().decode("utf-8")
        d = json.loads(b)
        if d.get("meta") != {"status": 200} or d.get("fail") != [] or not d.get("data"):
            errs.append("%s: not the envelope shape (or empty)" % n)
        times = [e["eventTime"] for e in d["data"]]
        if times != sorted(times):
            errs.append("%s: not oldest first" % n)
        text.append(b)
    alltext = "\n".join(text)
    nwant = 0
    for e in evs:
        t = e.pop("_t")
        e.pop("_seq", None)
        vis = e.pop("_visible", True)
        c = alltext.count(jdump(e))
        if c > 1:
            errs.append("event at %s (%s) delivered %d times" % (e["eventTime"], e["auditType"], c))
        if vis and lo <= t <= hi:
            nwant += 1
            if c != 1:
                errs.append("event at %s (%s) delivered %d times (want 1)" % (e["eventTime"], e["auditType"], c))
    print("audit: %d events expected in [%d, %d], %d files" % (nwant, lo, hi, len(text)))
    fail(errs)


if __name__ == "__main__":
    if sys.argv[1] == "siem":
        siem(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == "audit":
        audit(sys.argv[2], sys.argv[3], float(sys.argv[4]), float(sys.argv[5]))
    else:
        sys.exit("usage: see the docstring")
