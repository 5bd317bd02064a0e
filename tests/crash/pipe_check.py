#!/usr/bin/env python3
"""pipe_check.py: exactly-once for the cross-stage tests, on top of
tests/integ/e2e_check.py.

  pipe_check.py E2E_CHECK AGENT_OUT QUEUE_JSON SAMPLES APPENDED

The emulator's queue holds the sample bodies (judged by e2e_check.py siem,
record by record against the samples) and the bodies a test appended
(pl_append in supervise_lib.sh: every record unique, listed one a line in
APPENDED). Each appended record must have been read exactly once; the rest
of the agent's output goes to e2e_check.py with the queue reduced to the
sample bodies. Exit 0 when both hold."""
import collections
import json
import os
import subprocess
import sys
import tempfile


def main(check, agent_out, queue_json, samples, appended):
    mine = [l.rstrip(b"\n") for l in open(appended, "rb") if l.strip()]
    want = set(mine)
    queue = json.load(open(queue_json))
    files = queue["files"] if isinstance(queue, dict) and "files" in queue else queue

    def sample_backed(f):
        name = f.get("served_name") or f.get("name")
        stem = name[:-4] if name.endswith(".zip") else name
        return (os.path.exists(os.path.join(samples, "v1", "zip", name)) or
                os.path.exists(os.path.join(samples, "v1", "kv", stem + ".log")))

    kept = [f for f in files if sample_backed(f)]
    extra_bodies = len(files) - len(kept)
    got = collections.Counter()
    rest = []
    for line in open(agent_out, "rb") if os.path.exists(agent_out) else []:
        rec = line.rstrip(b"\n").partition(b"\t")[2].rstrip(b"\r")
        if rec in want:
            got[rec] += 1
        else:
            rest.append(line)
    bad = 0
    for r in mine:
        if got[r] != 1:
            print("# appended record read %d times: %r" % (got[r], r[:100]))
            bad = 1
    print("# %d appended records in %d appended bodies" % (len(mine), extra_bodies))
    with tempfile.TemporaryDirectory() as d:
        q = os.path.join(d, "queue.json")
        a = os.path.join(d, "agent.out")
        json.dump(kept, open(q, "w"))
        with open(a, "wb") as f:
            f.writelines(rest)
        r = subprocess.run([sys.executable, check, "siem", a, q, samples])
    return 1 if bad or r.returncode != 0 else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:6]))
