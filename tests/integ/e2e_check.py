#!/usr/bin/env python3
"""e2e_check.py: what reached the SIEM, against what Mimecast (the emulator) holds.

  e2e_check.py siem AGENT_OUT QUEUE_JSON SAMPLES
      Every record of every body the emulator's SIEM queue serves (kv files, and
      the members of the zips) was read by the fake agent exactly once, byte for
      byte (the record's CR terminator becomes the line end).
  e2e_check.py audit AUDIT_DIR EVENTS_JSON T0 LAG
      audit/ holds each event of the first window [T0-3600, now-LAG] exactly once
      (events within 5 s of a window edge are not judged), and nothing older.
Prints TAP-friendly diagnostics; exit 0 when all is well.
"""
import collections, io, json, os, re, sys, time, zipfile


def records_of(data):
    # Sample kv bodies end every record with a bare CR.
    return [r for r in data.split(b"\r") if r]


def siem(agent_out, queue_json, samples):
    queue = json.load(open(queue_json))
    files = queue["files"] if isinstance(queue, dict) and "files" in queue else queue
    want = collections.Counter()
    for f in files:
        name = f.get("served_name") or f.get("name")
        stem = name[:-4] if name.endswith(".zip") else name
        kvpath = os.path.join(samples, "v1", "kv", stem + ".log")
        zippath = os.path.join(samples, "v1", "zip", name)
        if os.path.exists(zippath):
            with zipfile.ZipFile(zippath) as z:
                for m in z.namelist():
                    want.update(records_of(z.read(m)))
        elif os.path.exists(kvpath):
            want.update(records_of(open(kvpath, "rb").read()))
        else:
            print("# no sample behind served body %s" % name)
            return 1
    got = collections.Counter()
    for line in open(agent_out, "rb"):
        name, _, rec = line.rstrip(b"\n").partition(b"\t")
        got[rec.rstrip(b"\r")] += 1
    missing = want - got
    extra = got - want
    doubled = [r for r, n in got.items() if n > 1 and want[r] < n]
    print("# %d records expected, %d read" % (sum(want.values()), sum(got.values())))
    for r in list(missing)[:3]:
        print("# missing: %r" % r[:120])
    for r in list(extra)[:3]:
        print("# unexpected: %r" % r[:120])
    for r in doubled[:3]:
        print("# doubled: %r" % r[:120])
    return 0 if not missing and not extra else 1


def audit(audit_dir, events_json, t0, lag):
    t0, lag = int(t0), int(lag)
    now = int(time.time())
    events = json.load(open(events_json))
    if isinstance(events, dict):
        events = events.get("events") or events.get("data") or []
    lines = []
    for n in sorted(os.listdir(audit_dir)):
        lines += open(os.path.join(audit_dir, n), "rb").read().splitlines()
    seen = collections.Counter()
    for l in lines:
        m = re.match(rb'date=([^|]*)\|mcType=auditLog\|user=([^|]*)\|auditType="([^"]*)"', l)
        if not m:
            print("# not an audit line: %r" % l[:100])
            return 1
        seen[(m.group(1).decode(), m.group(2).decode(), m.group(3).decode())] += 1
    bad = 0
    for k, n in seen.items():
        if n > 1:
            print("# delivered %d times: %s" % (n, k))
            bad = 1
    judged = 0
    for e in events:
        t = int(e["_t"])
        key = (e["eventTime"], e["user"], e["auditType"])
        if t0 - 3600 + 5 <= t <= now - lag - 5:
            judged += 1
            if seen[key] != 1:
                print("# event in the window delivered %d times: %s" % (seen[key], key))
                bad = 1
        elif t < t0 - 3600 - 5 and seen[key]:
            print("# event older than the first window was delivered: %s" % (key,))
            bad = 1
    print("# %d audit lines, %d events judged" % (len(lines), judged))
    return bad if judged > 0 else 1


if __name__ == "__main__":
    if sys.argv[1] == "siem":
        sys.exit(siem(*sys.argv[2:5]))
    sys.exit(audit(*sys.argv[2:6]))
