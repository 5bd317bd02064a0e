#!/usr/bin/env python3
"""bench/mkfiles.py DIR N AGE_SECONDS [PREFIX]: N small MTA files in DIR, named as
mcspool-split names its output (<type>_<seq12>.siem1.<hash>.000.000001.log), three
CR-free kv records each (from the sample shapes), modification times AGE_SECONDS and more
in the past, oldest first (file i is N-i seconds older than AGE)."""
import os
import sys
import time

d, n, age = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
os.makedirs(d, exist_ok=True)
now = int(time.time()) - age
rec = ("datetime=2024-11-25T13:41:%02d+0200|aCode=%s|acc=CXX00A000|IP=192.0.2.%d|Dir=Inbound|"
       "MsgId=<%d.JavaMail@example.net>|Subject=Quarterly report|headerFrom=user%d@example.com|"
       "Sender=user%d@example.com|Rcpt=user%d@example.com|Act=Acc|TlsVer=TLSv1.3|"
       "Cphr=TLS_AES_256_GCM_SHA384\n")
for i in range(n):
    name = "receipt_%012d.siem1.%08x.000.000001.log" % (i + 1, (i * 2654435761) & 0xffffffff)
    p = os.path.join(d, name)
    body = "".join(rec % (k * 7 % 60, "%022d" % (i * 3 + k), i % 254 + 1, i, k + 1, k + 2, k + 3)
                   for k in range(3))
    fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    os.write(fd, body.encode())
    os.close(fd)
    t = now - (n - i)
    os.utime(p, (t, t))
