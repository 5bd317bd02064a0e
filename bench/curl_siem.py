#!/usr/bin/env python3
"""bench/curl_siem.py: the curl command-line baseline for the fetcher benchmark.

    python3 bench/curl_siem.py BASE_URL CA_FILE ACCOUNTS_JSON OUTDIR [--compress] [--fsync]

Downloads the whole API 1.0 SIEM queue the way a shell script would: one
`curl` process per file (POST /api/audit/get-siem-logs, signed as section 1.3
of the API reference says), each body written to OUTDIR, the mc-siem-token of
each reply sent with the next request, until the end-of-data JSON reply.
Prints "files bytes" on stdout. The signing is done here, outside curl.
With --fsync each body is fsynced once curl has written it (and OUTDIR at
the end), as the fetcher fsyncs each file before it hands it on.
"""
import base64
import hashlib
import hmac
import json
import os
import subprocess
import sys
import time
import uuid

DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
MONS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
PATH = "/api/audit/get-siem-logs"


def mc_date():
    t = time.gmtime()
    return "%s, %02d %s %04d %02d:%02d:%02d UTC" % (
        DAYS[t.tm_wday], t.tm_mday, MONS[t.tm_mon - 1], t.tm_year, t.tm_hour, t.tm_min, t.tm_sec)


def main():
    base, ca, accounts, out = sys.argv[1:5]
    compress = "--compress" in sys.argv[5:]
    sync = "--fsync" in sys.argv[5:]
    acc = next(a for a in json.load(open(accounts))["v1"] if a["name"] == "main")
    os.makedirs(out, exist_ok=True)
    token, files, total = None, 0, 0
    while True:
        d = {"type": "MTA", "fileFormat": "key_value", "compress": compress}
        if token:
            d["token"] = token
        date, req = mc_date(), str(uuid.uuid4())
        sig = base64.b64encode(hmac.new(base64.b64decode(acc["secret_key"]),
                                        ":".join((date, req, PATH, acc["app_key"])).encode(),
                                        hashlib.sha1).digest()).decode()
        body = os.path.join(out, "%06d.body" % files)
        hdr = os.path.join(out, "headers")
        cmd = ["curl", "-sS", "--fail", "-X", "POST", "-o", body, "-D", hdr,
               "-H", "Authorization: MC %s:%s" % (acc["access_key"], sig),
               "-H", "x-mc-date: " + date, "-H", "x-mc-req-id: " + req,
               "-H", "x-mc-app-id: " + acc["app_id"], "-H", "Content-Type: application/json",
               "--data-binary", json.dumps({"data": [d]}), base + PATH]
        if ca:
            cmd[1:1] = ["--cacert", ca]
        subprocess.run(cmd, check=True)
        heads = {}
        for line in open(hdr, encoding="latin-1"):
            k, sep, v = line.partition(":")
            if sep:
                heads[k.strip().lower()] = v.strip()
        if heads.get("content-type", "").startswith("application/json"):
            os.unlink(body)
            break
        files += 1
        total += os.path.getsize(body)
        if sync:
            fd = os.open(body, os.O_RDONLY)
            os.fsync(fd)
            os.close(fd)
        token = heads.get("mc-siem-token")
        if not token:
            sys.exit("curl_siem.py: a data reply without mc-siem-token")
    if sync:
        fd = os.open(out, os.O_RDONLY)
        os.fsync(fd)
        os.close(fd)
    print(files, total)


if __name__ == "__main__":
    main()
