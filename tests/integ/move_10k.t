#!/usr/bin/env python3
"""10,000 files in mta/, max_files 20, the fake LogRhythm agent reading
between mover passes: every record read exactly once, every file archived
once and intact, never more than 20 files in read_path, oldest first, in
two passes per batch: the mover lists each directory once per pass and sorts
once, and does not even list mta/ while read_path is full (the time it takes
is measured in bench/move_reap.sh, not judged here). (On a tmpfs when there is one:
the subject here is the algorithm, not fsync.)"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.environ["MCSPOOL_TOP"], "tests", "fakes"))
from movetest import Spool, Tap, fast_tmp, gen  # noqa: E402

N, MAX = 10000, 20
t = Tap(6)
s = Spool(extra="max_files = %d" % MAX, tmp=fast_tmp())
try:
    s.fill_mta(N)
    agent = s.agent(forget_gone=True)  # or 10,000 stale .pos files by the end
    most, passes, err = 0, 0, ""
    delivered, seen = [], set()
    start = time.monotonic()
    while passes < 3 * N // MAX + 50:
        rc, e = s.run()
        passes += 1
        if rc != 0:
            err = e
            break
        inread = sorted(os.listdir(s.read))
        most = max(most, len(inread))
        delivered += [x for x in inread if x not in seen]
        seen.update(inread)
        if not inread and not os.listdir(s.mta):
            break
        agent.cycle()
    secs = time.monotonic() - start
    t.ok(err == "", "the mover never failed", err)
    t.ok(most <= MAX, "never more than %d files in read_path (most: %d)" % (MAX, most))
    t.ok(delivered == sorted(delivered) and len(delivered) == N, "delivered oldest first",
         "first out of order: %s" % next((a for a, b in zip(delivered, sorted(delivered)) if a != b), None))
    arch = os.listdir(s.archive)
    t.ok(len(arch) == N and all(open(os.path.join(s.archive, a)).read() == gen(a) for a in arch),
         "all %d archived, intact (%d)" % (N, len(arch)))
    check = s.check()
    t.ok(check == "", "every record read exactly once, nothing left over", check)
    t.ok(passes <= 2 * N // MAX + 3, "two passes per batch of %d (%d passes)" % (MAX, passes))
    # Time is reported, not judged: bench/move_reap.sh measures it.
    print("# %d passes in %.1f s" % (passes, secs))
finally:
    s.cleanup()
t.done()
