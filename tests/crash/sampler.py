#!/usr/bin/env python3
"""sampler.py: watch directories a reader sees while the pipeline runs.

  sampler.py STOPFILE OUT DIR...

Every ~20 ms, list each DIR and read every file in it. A file a reader can
see must be complete from the first look: a whole number of LF-terminated
records, never empty, and the same size every time it is seen under that
name (in any of the DIRs: a file moved from read_path to archive_dir keeps
its bytes). Stops when STOPFILE exists; writes one line per violation to OUT,
then "seen N files, M looks" as its last line."""
import os
import sys
import time


def main(stop, out, dirs):
    sizes = {}
    looks = 0
    bad = []
    while not os.path.exists(stop):
        for d in dirs:
            try:
                names = os.listdir(d)
            except FileNotFoundError:
                continue
            for n in names:
                p = os.path.join(d, n)
                try:
                    with open(p, "rb") as f:
                        data = f.read()
                except (FileNotFoundError, IsADirectoryError):
                    continue
                looks += 1
                if not data or not data.endswith(b"\n"):
                    bad.append("%s: %d bytes, not a whole number of records" % (p, len(data)))
                first = sizes.setdefault(n, len(data))
                if first != len(data):
                    bad.append("%s: %d bytes, earlier %d" % (p, len(data), first))
        if len(bad) > 50:
            break
        time.sleep(0.02)
    with open(out, "w") as f:
        for b in bad:
            f.write(b + "\n")
        f.write("seen %d files, %d looks\n" % (len(sizes), looks))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3:])
