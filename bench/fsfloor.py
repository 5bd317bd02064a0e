#!/usr/bin/env python3
"""bench/fsfloor.py DIR N: the filesystem's own cost for the mover's and the
reaper's core system calls, as a floor to read their figures against.

Makes N small files in DIR/a (bench/mkfiles.py's names and sizes), then times, with
getrusage, a loop of os.rename() of each into DIR/b, and a loop of
os.unlink() of each. Prints "rename USER SYS" and "unlink USER SYS" (CPU
seconds; the user part is Python's, the system part the kernel's)."""
import os
import resource
import sys


def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime, r.ru_stime


def main():
    d, n = sys.argv[1], int(sys.argv[2])
    a, b = os.path.join(d, "a"), os.path.join(d, "b")
    os.makedirs(a)
    os.makedirs(b)
    body = b"x" * 1000
    for i in range(n):
        name = "receipt_%012d.siem1.%08x.000.000001.log" % (i + 1, (i * 2654435761) & 0xffffffff)
        with open(os.path.join(a, name), "wb") as f:
            f.write(body)
    os.sync()
    names = os.listdir(a)
    u0, s0 = cpu()
    for x in names:
        os.rename(os.path.join(a, x), os.path.join(b, x))
    u1, s1 = cpu()
    print("rename %.2f %.2f" % (u1 - u0, s1 - s0))
    os.sync()
    u0, s0 = cpu()
    for x in names:
        os.unlink(os.path.join(b, x))
    u1, s1 = cpu()
    print("unlink %.2f %.2f" % (u1 - u0, s1 - s0))
    os.rmdir(a)
    os.rmdir(b)


main()
