#!/usr/bin/env python3
# emu_selftest.t: the Mimecast emulator (tests/emu) against its specification
# (../shared/reference/mimecast-api.md section 7) and the samples.  TAP.
#
# Starts the emulator through tests/emu/emu.sh (TLS with a throwaway CA),
# talks to it with urllib/ssl and curl, and stops it with emu_stop.
import base64
import gzip
import hashlib
import hmac
import http.client
import io
import json
import os
import re
import shutil
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.environ.get("MCSPOOL_TOP") or os.path.dirname(os.path.dirname(HERE))
EMU_HOME = os.path.join(TOP, "tests", "emu")
SAMPLES = os.environ.get("MCSPOOL_SAMPLES") or os.path.normpath(os.path.join(TOP, "..", "shared", "samples"))
sys.dont_write_bytecode = True
sys.path.insert(0, EMU_HOME)
import mcemu  # noqa: E402

N = 0
FAILED = 0


def ok(cond, name, *diag):
    global N, FAILED
    N += 1
    print("%s %d - %s" % ("ok" if cond else "not ok", N, name))
    if not cond:
        FAILED += 1
        for d in diag:
            for line in str(d).splitlines() or [""]:
                print("# " + line)
    sys.stdout.flush()
    return cond


def sh(script, *args, env=None):
    e = dict(os.environ, EMU_HOME=EMU_HOME, MCSPOOL_SAMPLES=SAMPLES)
    e.update(env or {})
    return subprocess.run(["sh", "-c", script, "sh"] + list(args), capture_output=True, text=True, env=e,
                          timeout=30)


tmp = tempfile.mkdtemp(prefix="emu-selftest-")
accounts = json.load(open(os.path.join(EMU_HOME, "accounts.json")))
V1 = {a["name"]: a for a in accounts["v1"]}
V2 = {a["name"]: a for a in accounts["v2"]}
manifest = {}
with open(os.path.join(SAMPLES, "manifest.tsv")) as f:
    next(f)
    for line in f:
        p, size, sha, recs, note = (line.rstrip("\n").split("\t") + [""] * 5)[:5]
        manifest[p] = (int(size), sha, int(recs))

# ---- 1. signature vectors (reference section 1.3), independent of mcemu's own table
VEC_KEY = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+Pw=="
VEC = [("/api/audit/get-siem-logs", "TqAtXVcID2XzqJ/s97iVqRqxCuE="),
       ("/api/audit/get-audit-events", "4Ur3IOrCwFL0vNqlRAMzHX0I35o="),
       ("/api/account/get-account", "KEksevqi5GmTCfPD9IIyygExuo0=")]
for uri, sig in VEC:
    args = (VEC_KEY, "Tue, 24 Nov 2015 12:50:11 UTC", "8578FCFC-A305-4D9A-99CB-F4D5ECEFE297", uri,
            "11111111-2222-3333-4444-555555555555")
    good = mcemu.verify_v1(*args, sig) and mcemu.sign_v1(*args) == sig
    bad = mcemu.verify_v1(*args, sig[:-2] + ("A=" if sig[-2] != "A" else "B="))
    ok(good and not bad, "section 1.3 vector %s verifies (and a changed signature does not)" % uri)
r = subprocess.run([sys.executable, os.path.join(EMU_HOME, "mcemu.py"), "--selftest-vectors"],
                   capture_output=True, text=True)
ok(r.returncode == 0, "mcemu.py --selftest-vectors passes", r.stdout, r.stderr)

# ---- start through emu.sh; the same shell later runs emu_stop (it is the
# server's parent, so it can wait for it)
EMU_SH = subprocess.Popen(
    ["sh", "-c", '. "$EMU_HOME/emu.sh"; emu_start "$1" --rate-batch 1000/900 || exit 1; '
     'printf "%s\\n%s\\n%s\\n%s\\n" "$EMU_URL" "$EMU_PID" "$EMU_CA" "$EMU_DIR"; read x; emu_stop; echo stopped',
     "sh", tmp], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    env=dict(os.environ, EMU_HOME=EMU_HOME, MCSPOOL_SAMPLES=SAMPLES))
head = [EMU_SH.stdout.readline().rstrip("\n") for _ in range(4)]
if not ok(all(head), "emu_start brings the emulator up", head, EMU_SH.stderr.read() if not all(head) else ""):
    print("1..%d" % N)
    sys.exit(1)
URL, PID, CA, EDIR = head
PID = int(PID)
ok(URL.startswith("https://127.0.0.1:") and open(os.path.join(EDIR, "url")).read().strip() == URL,
   "url file holds the https base URL", URL)
CTX = ssl.create_default_context(cafile=CA)
ENV = {"EMU_URL": URL, "EMU_CA": CA, "EMU_DIR": EDIR, "EMU_PID": str(PID)}


class R:
    def __init__(self, status, headers, body, error=None):
        self.status, self.headers, self.body, self.error = status, headers, body, error

    def json(self):
        return json.loads(self.body)

    def h(self, name):
        return self.headers.get(name) if self.headers is not None else None


def call(method, path, body=None, headers=None, url=None, timeout=20):
    data = body if body is None or isinstance(body, bytes) else (
        body.encode() if isinstance(body, str) else json.dumps(body).encode())
    req = urllib.request.Request(url or URL + path, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, context=CTX, timeout=timeout) as resp:
            return R(resp.status, resp.headers, resp.read())
    except urllib.error.HTTPError as e:
        return R(e.code, e.headers, e.read())
    except Exception as e:          # resets, truncation: the test looks at .error
        return R(None, None, b"", e)


def ctl(method, path, body=None):
    r = call(method, path, body, {"Content-Type": "application/json"})
    assert r.status == 200, (path, r.status, r.body)
    return r.json()


def signed(path, body, acct="main", date=None, sig=None, app_id=None, drop=None):
    a = V1[acct]
    date = date or mcemu.fmt_mc_date(time.time())
    rid = str(uuid.uuid4())
    s = sig or mcemu.sign_v1(a["secret_key"], date, rid, path, a["app_key"])
    h = {"Authorization": "MC %s:%s" % (a["access_key"], s), "x-mc-date": date, "x-mc-req-id": rid,
         "x-mc-app-id": app_id or a["app_id"], "Content-Type": "application/json"}
    if drop:
        del h[drop]
    return call("POST", path, body, h)


def fail_code(r):
    try:
        j = r.json()
        f = j["fail"][0]
        return f["errors"][0]["code"] if "errors" in f else f["code"]
    except Exception:
        return None


def siem(token=None, fmt="key_value", compress=False):
    d = {"type": "MTA", "fileFormat": fmt, "compress": compress}
    if token:
        d["token"] = token
    return signed("/api/audit/get-siem-logs", {"data": [d]})


def disposition(r):
    m = re.search(r'filename="([^"]+)"', r.h("Content-Disposition") or "")
    return m.group(1) if m else None


# ---- 2. API 1.0 auth
r = call("POST", "/api/login/discover-authentication", {"data": [{"emailAddress": "admin@example.com"}]},
         {"x-mc-app-id": V1["main"]["app_id"], "x-mc-date": mcemu.fmt_mc_date(time.time()),
          "x-mc-req-id": str(uuid.uuid4()), "Content-Type": "application/json"})
ok(r.status == 200 and r.json()["data"][0]["region"]["api"] == URL,
   "discover-authentication (unsigned) returns the emulator's own base URL", r.status, r.body)
r = signed("/api/account/get-account", {"data": []})
ok(r.status == 200 and r.json()["data"][0]["accountCode"] == "CXX00A000"
   and all(r.h(x) is not None for x in ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")),
   "a correctly signed get-account succeeds, with X-RateLimit-* headers", r.status, r.body)
r = signed("/api/account/get-account", {"data": []}, sig="TqAtXVcID2XzqJ/s97iVqRqxCuE=")
ok(r.status == 401 and fail_code(r) == "err_xdk_invalid_signature" and r.h("X-RateLimit-Reset") is not None,
   "a badly signed request gets 401 err_xdk_invalid_signature", r.status, r.body)
r = signed("/api/account/get-account", {"data": []}, acct="expired")
ok(r.status == 418 and fail_code(r) == "err_xdk_binding_expired", "the expired binding gets 418", r.status, r.body)
r = signed("/api/account/get-account", {"data": []}, drop="x-mc-req-id")
ok(r.status == 401, "a missing x-mc-req-id gets 401", r.status, r.body)
r = signed("/api/account/get-account", {"data": []}, app_id=str(uuid.uuid4()))
ok(r.status == 401 and fail_code(r) == "err_developer_key", "an unknown app id gets 401 err_developer_key",
   r.status, r.body)
r = signed("/api/account/get-account", {"data": []}, date=mcemu.fmt_mc_date(time.time() - 3600))
ok(r.status == 401 and fail_code(r) == "err_xdk_invalid_date", "an x-mc-date 1 h off (skew 900 s) gets 401",
   r.status, r.body)
r = signed("/api/account/get-account", "{'data': []}")
ok(r.status == 400, "strict JSON: a Python-repr body gets 400", r.status, r.body)
ctl("POST", "/_emu/config", {"lenient": True})
r = signed("/api/audit/get-siem-logs", "{'data': [{'type': 'MTA', 'compress': False, 'fileFormat': 'key_value'}]}")
ok(r.status == 200 and r.h("Content-Type") == "application/octet-stream", "lenient: a Python-repr body is taken",
   r.status, r.body[:200])
ctl("POST", "/_emu/config", {"lenient": False})
r = call("GET", "/api/audit/get-siem-logs")
ok(r.status == 405 and r.h("X-RateLimit-Limit") is not None, "GET on /api/* gets 405", r.status)
r = call("POST", "/nope", b"{}")
ok(r.status == 404 and r.json()["meta"]["status"] == 404, "an unknown path gets a 404 JSON envelope", r.status)

# ---- 3. SIEM 1.0 paging
def stamp(name):
    return re.search(r"_(\d{17})\.", name).group(1)


def listdir(sub):
    return sorted(os.listdir(os.path.join(SAMPLES, sub)), key=lambda n: (stamp(n), n))


def sample_bytes(sub, name):
    return open(os.path.join(SAMPLES, sub, name), "rb").read()


def drain(fmt, compress, limit=200):
    out, token, last = [], None, None
    for _ in range(limit):
        r = siem(token, fmt, compress)
        if r.status != 200:
            return out, r, token
        if r.h("Content-Type").startswith("application/json"):
            return out, r, token
        out.append((disposition(r), r.body, r.h("mc-siem-token")))
        token = r.h("mc-siem-token")
    return out, None, token


got, end, last_token = drain("key_value", False)
kv = listdir("v1/kv")
ok([g[0] for g in got] == kv, "key_value: the whole queue is the v1/kv files, oldest first",
   [g[0] for g in got], kv)
ok(all(hashlib.sha256(b).hexdigest() == manifest["v1/kv/" + n][1] for n, b, _ in got),
   "key_value bodies are the sample bytes (manifest sha256)")
ok(end is not None and end.json() == {"meta": {"isLastToken": True, "status": 200}, "data": [], "fail": []}
   and end.h("mc-siem-token") == last_token, "end of data: isLastToken JSON, request token echoed",
   end and end.body, end and end.h("mc-siem-token"))
ok(len({t for _, _, t in got}) == len(got) and all(re.fullmatch(r"[A-Za-z0-9_-]+", t) for _, _, t in got),
   "each file comes with a new opaque base64url token")

got, end, _ = drain("key_value", True)
zips = [n for n in listdir("v1/zip") if not n.startswith("receipt_20241125143430669")]
want = [n[:-4] + ".zip" for n in sorted(kv + zips, key=lambda n: (stamp(n), n))]
want = sorted({n[:-4] + ".zip" for n in kv} | set(zips), key=lambda n: (stamp(n), n))
ok([g[0] for g in got] == want, "compress=true: kv files as one-member zips plus the kv sample zips, in order",
   [g[0] for g in got], want)
valid = True
for name, body, _ in got:
    try:
        z = zipfile.ZipFile(io.BytesIO(body))
        valid &= z.testzip() is None
        if name in zips:
            valid &= body == sample_bytes("v1/zip", name)
        else:
            member = name[:-4] + ".log"
            valid &= z.namelist() == [member] and z.read(member) == sample_bytes("v1/kv", member)
    except zipfile.BadZipFile:
        valid = False
ok(valid and len(got) == 30, "every compressed body is a valid zip holding the sample bytes", len(got))

got, _, _ = drain("JSON", False)
ok([g[0] for g in got] == listdir("v1/json") and all(json.loads(b)["type"] == "MTA" for _, b, _ in got),
   "fileFormat=JSON (any case): the v1/json files", [g[0] for g in got])
got, _, _ = drain("json", True)
ok(len(got) == 5 and got[-1][0] == "receipt_20241125143430669.zip", "json + compress: 4 wrapped + the json zip",
   [g[0] for g in got])

r = siem("eNo9jLEOgjAURf_lrXZoEVPCRog6QGI0mBI2KA_SRKhpCyLGfxcYvNNNzr3nAxblYFDVEML8KkTd3NJ2SncFq8apyrgwSRro")
ok(r.status == 400 and fail_code(r) == "err_audit_siem_invalid_token", "a forged token: err_audit_siem_invalid_token",
   r.status, r.body)
first = siem().h("mc-siem-token")
ctl("POST", "/_emu/clock", {"advance": 8 * 86400})
r = siem(first)
r2 = siem()
ctl("POST", "/_emu/clock", {"offset": 0})
ok(fail_code(r) == "err_audit_siem_invalid_token" and r2.h("Content-Type") == "application/json",
   "8 days later the token has expired and the queue is empty (7-day retention)", r.body, r2.body)

# ---- 4. audit
def all_sample_events():
    out = []
    for n in sorted(os.listdir(os.path.join(SAMPLES, "audit"))):
        out += json.load(open(os.path.join(SAMPLES, "audit", n)))["data"]
    return out


def audit_pages(body, acct="main", bearer=None):
    pages, events = 0, []
    while True:
        if bearer:
            r = call("POST", "/api/audit/get-audit-events", body,
                     {"Authorization": "Bearer " + bearer, "Content-Type": "application/json"})
        else:
            r = signed("/api/audit/get-audit-events", body, acct=acct)
        if r.status != 200:
            return events, pages, r
        j = r.json()
        events += j["data"]
        pages += 1
        nxt = j["meta"]["pagination"].get("next")
        if not nxt:
            return events, pages, r
        body = {"meta": {"pagination": {"pageSize": "5", "pageToken": nxt}}}     # token-only body


samples_ev = all_sample_events()
now = time.time()
window = {"startDateTime": mcemu.fmt_audit_time(now - 86400), "endDateTime": mcemu.fmt_audit_time(now)}
events, pages, r = audit_pages({"meta": {"pagination": {"pageSize": "5"}}, "data": [window]})
key = lambda e: (e["id"], e["auditType"], e["user"], e["eventInfo"], e["category"])
ok(r.status == 200 and sorted(map(key, events)) == sorted(map(key, samples_ev)) and pages == -(-len(samples_ev) // 5),
   "audit paging (pageSize \"5\", token-only follow-ups) covers every sample event once",
   len(events), len(samples_ev), pages)
times = [mcemu.parse_iso(e["eventTime"]) for e in events]
ok(times == sorted(times, reverse=True), "audit events come newest first")
sample_t = [mcemu.parse_iso(e["eventTime"]) for e in samples_ev]
shift = (times[0]) - max(sample_t)
ok(all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0000", e["eventTime"]) for e in events)
   and 150 <= now - times[0] <= 240 and sorted(times) == sorted(t + shift for t in sample_t),
   "rebased: newest event ~3 min before start, spacing kept", now - times[0])
first_window = {"startDateTime": mcemu.fmt_audit_time(now - 3600), "endDateTime": mcemu.fmt_audit_time(now - 120)}
ev1, _, _ = audit_pages({"meta": {"pagination": {"pageSize": 100}}, "data": [first_window]})
want = sum(1 for t in sample_t if now - 3600 <= t + shift <= now - 120)
ok(len(ev1) == want and want == len([t for t in sample_t if t >= max(sample_t) - 3420]),
   "a first window now-60min..now-2min sees the events of the newest 57 min", len(ev1), want)
forms = []
for f in (lambda t: mcemu.fmt_audit_time(t), lambda t: mcemu.fmt_audit_time(t)[:-5] + "+00:00",
          lambda t: mcemu.fmt_audit_time(t)[:-5] + "Z"):
    e, _, _ = audit_pages({"data": [{"startDateTime": f(now - 3600), "endDateTime": f(now - 120)}]})
    forms.append(len(e))
ok(forms == [want] * 3, "audit dates accept +hhmm, +hh:mm and Z", forms)
t_edge = times[2]
e, _, _ = audit_pages({"data": [{"startDateTime": mcemu.fmt_audit_time(t_edge),
                                 "endDateTime": mcemu.fmt_audit_time(t_edge)}]})
ok(len(e) == times.count(t_edge) and len(e) >= 1, "the window is inclusive at both ends", len(e))
r = signed("/api/audit/get-audit-events", {"meta": {"pagination": {"pageSize": 1000}}, "data": [window]})
ok(r.json()["meta"]["pagination"]["pageSize"] == 500, "pageSize is clamped to 500")

# ---- 5. API 2.0
def oauth(client="main", secret=None):
    c = V2[client]
    return call("POST", "/oauth/token", urllib.parse.urlencode(
        {"client_id": c["client_id"], "client_secret": secret or c["client_secret"],
         "grant_type": "client_credentials"}).encode(), {"Content-Type": "application/x-www-form-urlencoded"})


r = oauth(secret="wrong")
ok(r.status == 401 and r.json() == {"fail": [{"code": "InvalidClientIdentifier",
                                              "message": "Client credentials are invalid"}]},
   "oauth/token with a bad secret: 401 InvalidClientIdentifier", r.status, r.body)
r = oauth()
tok = r.json().get("access_token") if r.status == 200 else None
ok(tok and r.json()["token_type"] == "Bearer" and r.json()["expires_in"] == 1799, "oauth/token issues a Bearer token",
   r.body)
BEARER = {"Authorization": "Bearer %s" % tok, "Accept": "application/json"}


def batch(params, bearer=None):
    return call("GET", "/siem/v1/batch/events/cg?" + urllib.parse.urlencode(params),
                headers={"Authorization": "Bearer " + (bearer or tok)})


today = time.strftime("%Y-%m-%d", time.gmtime())
yday = time.strftime("%Y-%m-%d", time.gmtime(time.time() - 86400))
rng = {"dateRangeStartsAt": yday, "dateRangeEndsAt": today}
chain, cursor = [], None
for _ in range(3):
    p = dict(rng, type="receipt", pageSize="100", **({"nextPage": cursor} if cursor else {}))
    j = batch(p).json()
    chain.append(([v["url"].split("?")[0].rsplit("/", 1)[-1] for v in j["value"]], j["@nextPage"], j["isCaughtUp"]))
    cursor = j["@nextPage"]
ok(chain == [(["receipt-1.ndjson.gz"], "NDU1NA==", False), (["receipt-2.ndjson.gz"], "NDYwMQ==", False),
             ([], "NDYwMTpudWxs", True)], "receipt listing: the samples' 3-call chain", chain)
j = batch(dict(rng, type="delivery")).json()
ok(len(j["value"]) == 2 and j["isCaughtUp"] is True and "@nextPage" in j, "delivery: 2 URLs on one caught-up page", j)
u = j["value"][0]
r = call("GET", None, url=u["url"])
blob_ok = r.status == 200 and len(r.body) == u["size"] and r.body == sample_bytes("v2/batch", "delivery-1.ndjson.gz")
ok(blob_ok and gzip.decompress(r.body).count(b"\n") == manifest["v2/batch/delivery-1.ndjson.gz"][2],
   "blob download: the sample gzip NDJSON, size as listed", r.status, len(r.body))
ok(u["url"].startswith(URL + "/blob/CXX00A000/delivery/") and "X-Amz-Expires=3600" in u["url"]
   and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", u["expiry"]), "URL and expiry shapes", u)
r = call("GET", None, url=u["url"], headers={"Range": "bytes=10-"})
ok(r.status == 206 and r.body == sample_bytes("v2/batch", "delivery-1.ndjson.gz")[10:]
   and r.h("Content-Range") == "bytes 10-%d/%d" % (u["size"] - 1, u["size"]), "blob Range request: 206", r.status)
r = call("GET", None, url=u["url"], headers={"Authorization": "Bearer " + tok})
ok(r.status == 400 and b"<Code>InvalidArgument</Code>" in r.body, "blob with Authorization: 400", r.status, r.body)
ctl("POST", "/_emu/clock", {"advance": 3601})
r = call("GET", None, url=u["url"])
ok(r.status == 403 and b"<Error><Code>AccessDenied</Code><Message>Request has expired</Message>" in r.body,
   "expired blob URL: 403 S3-style AccessDenied", r.status, r.body)
ctl("POST", "/_emu/clock", {"advance": 1800 - 3601 + 1})     # now start+1800 s: past expires_in
r = batch(dict(rng, type="delivery"))
ctl("POST", "/_emu/clock", {"offset": 0})
ok(r.status == 401 and fail_code(r) == "token_expired", "an expired access token gets 401 token_expired", r.body)
tok = oauth().json()["access_token"]
nosiem = oauth("nosiem").json()["access_token"]
r = batch(dict(rng, type="av"), bearer=nosiem)
ok(r.status == 403 and fail_code(r) == "app_forbidden", "a client without SIEM scope gets 403 app_forbidden", r.body)
r = call("POST", "/api/audit/get-audit-events", {"data": [window]},
         {"Authorization": "Bearer " + nosiem, "Content-Type": "application/json"})
ok(r.status == 200 and len(r.json()["data"]) == 22 and r.h("X-RateLimit-Limit") is not None,
   "2.0 get-audit-events with Bearer (audit scope)", r.status, r.body[:200])
bad = [batch(dict(rng, type="receipts")).status, batch(dict(rng, type="receipt", pageSize="101")).status,
       batch(dict(rng, type="receipt", pageSize="0")).status,
       batch({"type": "receipt", "dateRangeStartsAt": time.strftime("%Y-%m-%d", time.gmtime(time.time() - 8 * 86400))}).status,
       batch(dict(rng, type="receipt", nextPage="bm9wZQ==")).status]
ok(bad == [400] * 5, "batch: bad type, pageSize 101 and 0, a date 8 days old, a bad cursor: 400", bad)
total = 0
for t in mcemu.V2_TYPES:
    cur, n = None, 0
    while True:
        j = batch(dict(rng, type=t, **({"nextPage": cur} if cur else {}))).json()
        n += len(j["value"])
        cur = j["@nextPage"]
        if j["isCaughtUp"]:
            break
    total += n
ok(total == len(os.listdir(os.path.join(SAMPLES, "v2/batch"))), "the 10 types list all 13 batch files", total)

# ---- 6. rate limits
ctl("POST", "/_emu/config", {"rate_endpoints": {"/api/account/get-account": [3, 60]}})
st = [signed("/api/account/get-account", {"data": []}) for _ in range(4)]
ok([s.status for s in st] == [200, 200, 200, 429] and st[3].h("X-RateLimit-Remaining") == "0"
   and int(st[3].h("X-RateLimit-Reset")) > 0 and fail_code(st[3]) == "err_rate_limit_exceeded",
   "API 1.0: 429 after the configured limit, with X-RateLimit-Reset in ms", [s.status for s in st],
   st[3].headers)
ctl("POST", "/_emu/config", {"rate_endpoints": {}, "rate_batch": [2, 900], "retry_after": True})
st = [batch(dict(rng, type="av")) for _ in range(3)]
ok([s.status for s in st] == [200, 200, 429] and st[2].h("Retry-After") is not None
   and st[0].h("X-RateLimit-Limit") == "2", "batch: 429 after the configured calls per window, Retry-After",
   [s.status for s in st])
ctl("POST", "/_emu/config", {"rate_batch": [1000, 900], "retry_after": False})

# ---- 7. faults, each kind at least once
def fault(**spec):
    return ctl("POST", "/_emu/fault", spec)


SIEM_EP = "/api/audit/get-siem-logs"
fault(endpoint=SIEM_EP, kind="429", reset_ms=45000, retry_after=45)
r = siem()
ok(r.status == 429 and r.h("X-RateLimit-Reset") == "45000" and r.h("Retry-After") == "45", "fault 429",
   r.status, r.headers)
for k, code in (("401", "err_xdk_invalid_signature"), ("403", None), ("418", "err_xdk_binding_expired"),
                ("500", None)):
    fault(endpoint="/api/account/get-account", kind=k)
    r = signed("/api/account/get-account", {"data": []})
    ok(r.status == int(k) and (code is None or fail_code(r) == code) and r.json()["meta"]["status"] == int(k),
       "fault %s (1.0 envelope)" % k, r.status, r.body)
fault(endpoint="/siem/v1/batch/events/cg", kind="500")
r = batch(dict(rng, type="av"))
ok(r.status == 500 and fail_code(r) == "internal-error", "fault 500 (2.0 body)", r.body)
fault(endpoint="/api/audit/get-audit-events", kind="fail200", code="err_placeholder")
r = signed("/api/audit/get-audit-events", {"data": [window]})
ok(r.status == 200 and fail_code(r) == "err_placeholder" and r.json()["data"] == [], "fault fail200", r.body)
fault(endpoint=SIEM_EP, kind="truncate", bytes=100)
r = siem()
ok(r.error is not None and isinstance(r.error, http.client.IncompleteRead), "fault truncate (transport)", r.error)
fault(endpoint=SIEM_EP, kind="truncate", mode="content", bytes=100)
r = siem()
ok(r.status == 200 and len(r.body) == 100 and r.h("mc-siem-token"), "fault truncate (content)", len(r.body))
fault(endpoint=SIEM_EP, kind="empty200")
r = siem()
ok(r.status == 200 and r.body == b"" and r.h("Content-Length") == "0", "fault empty200", r.headers)
fault(endpoint=SIEM_EP, kind="wrongtype")
r = siem()
ok(r.status == 200 and r.h("Content-Type").startswith("text/html") and len(r.body) > 0, "fault wrongtype",
   r.h("Content-Type"))
fault(endpoint=SIEM_EP, kind="notoken")
r = siem()
ok(r.status == 200 and disposition(r) and r.h("mc-siem-token") is None, "fault notoken", r.headers)
t1 = siem().h("mc-siem-token")
fault(endpoint=SIEM_EP, kind="sametoken")
r = siem(t1)
ok(r.h("mc-siem-token") == t1 and disposition(r) == kv[1], "fault sametoken", disposition(r))
fault(endpoint="/api/account/get-account", kind="slow", delay=1)
t0 = time.time()
r = signed("/api/account/get-account", {"data": []})
ok(r.status == 200 and time.time() - t0 >= 1.0, "fault slow", time.time() - t0)
fault(endpoint=SIEM_EP, kind="slow", stall=1, stall_after=100)
t0 = time.time()
r = siem(fmt="key_value", compress=True)
ok(r.status == 200 and time.time() - t0 >= 1.0 and zipfile.ZipFile(io.BytesIO(r.body)).testzip() is None,
   "fault slow with a mid-body stall: the whole body after the pause", time.time() - t0)
fault(endpoint=SIEM_EP, kind="reset")
r = siem()
ok(r.status is None and r.error is not None, "fault reset", r.error)
fault(endpoint="/siem/v1/batch/events/cg", kind="expired-url")
j = batch(dict(rng, type="av")).json()
r = call("GET", None, url=j["value"][0]["url"])
ok(r.status == 403 and b"Request has expired" in r.body and
   mcemu.parse_iso(j["value"][0]["expiry"]) < time.time(), "fault expired-url", r.status, j)
fault(endpoint="/siem/v1/batch/events/cg", kind="missing-nextpage")
j = batch(dict(rng, type="av")).json()
ok("@nextPage" not in j and len(j["value"]) == 1, "fault missing-nextpage", j)
fault(endpoint="/siem/v1/batch/events/cg", kind="partial-page", n=1)
j = batch(dict(rng, type="delivery")).json()
j2 = batch(dict(rng, type="delivery", nextPage=j["@nextPage"])).json()
ok(len(j["value"]) == 1 and j["isCaughtUp"] is False and len(j2["value"]) == 1 and j2["isCaughtUp"] is True,
   "fault partial-page (batch): the rest comes with @nextPage", j, j2)
fault(endpoint="/api/audit/get-audit-events", kind="partial-page", n=2)
j = signed("/api/audit/get-audit-events", {"meta": {"pagination": {"pageSize": 10}}, "data": [window]}).json()
j2 = signed("/api/audit/get-audit-events", {"meta": {"pagination": {"pageToken": j["meta"]["pagination"]["next"],
                                                                     "pageSize": 10}}}).json()
ok(len(j["data"]) == 2 and len(j2["data"]) == 10 and j2["data"][0] == events[2], "fault partial-page (audit)")
fault(endpoint="/siem/v1/batch/events/cg", kind="token-expire")
r1, r2 = batch(dict(rng, type="av")), batch(dict(rng, type="av"))
ok(r1.status == 401 and r2.status == 401 and fail_code(r2) == "token_expired", "fault token-expire (bearer revoked)",
   r1.body, r2.body)
tok = oauth().json()["access_token"]
fault(endpoint=SIEM_EP, kind="token-expire")
r = siem(t1)
ok(fail_code(r) == "err_audit_siem_invalid_token", "fault token-expire (mc-siem-token)", r.body)
fault(endpoint="/api/account/get-account", kind="wrong-region")
r = signed("/api/account/get-account", {"data": []})
ok(fail_code(r) == "err_audit_log_incorrect_region", "fault wrong-region", r.body)
fault(endpoint=SIEM_EP, kind="500", count=2, skip=1)
st = [siem().status for _ in range(4)]
ok(st == [200, 500, 500, 200], "fault count and skip", st)

# ---- 8. generators and appends
out = ctl("POST", "/_emu/siem/append", {"count": 2, "size": 20000, "type": "receipt", "seed": 7})
out2 = ctl("POST", "/_emu/siem/append", {"kind": "zip", "count": 1, "members": 3, "records": 50, "type": "mixed"})
got, _, _ = drain("key_value", False, limit=100)
gen = got[len(kv):]
ok(len(gen) == 2 and all(len(b) == 20000 and b.endswith(b"\r") and b"\n" not in b for _, b, _ in gen)
   and [g[0] for g in gen] == [f["name"] for f in out["files"]], "generated kv files: exact size, CR records", gen and
   [(g[0], len(g[1])) for g in gen])
recs = [x for x in gen[0][1].split(b"\r") if x]
ok(all(x.startswith(b"datetime=") and b"|acc=CXX00A000|" in x for x in recs) and
   len({re.search(rb"aCode=([^|]+)", x).group(1) for x in recs if b"aCode=" in x}) == len(
       [x for x in recs if b"aCode=" in x]), "generated records keep the sample shape, fresh aCodes", len(recs))
again = ctl("GET", "/_emu/siem/queue?fileFormat=key_value&compress=false&sha256=1")["files"][-1]
ok(again["sha256"] == hashlib.sha256(gen[-1][1]).hexdigest(), "generated content is deterministic across reads")
got, _, _ = drain("key_value", True, limit=100)
z = zipfile.ZipFile(io.BytesIO(got[-1][1]))
ok(got[-1][0] == out2["files"][0]["name"] and len(z.namelist()) == 3 and z.testzip() is None and
   sum(z.read(n).count(b"\r") for n in z.namelist()) == 150, "generated zip: 3 members of 50 records", z.namelist())
ctl("POST", "/_emu/v2/append", {"type": "receipt", "count": 2, "size": "300k", "mode": "stored", "per_page": 1})
ctl("POST", "/_emu/v2/append", {"type": "receipt", "count": 1, "records": 40, "mode": "disk"})
j = batch(dict(rng, type="receipt", nextPage="NDYwMTpudWxs")).json()
j2 = batch(dict(rng, type="receipt", nextPage=j["@nextPage"])).json()
j3 = batch(dict(rng, type="receipt", nextPage=j2["@nextPage"])).json()
bodies = [call("GET", None, url=v["url"]).body for v in j["value"] + j2["value"] + j3["value"]]
lines = [l for b in bodies for l in gzip.decompress(b).split(b"\n") if l]
ok(len(bodies) == 3 and j3["isCaughtUp"] and not j["isCaughtUp"] and all(json.loads(l)["type"] == "receipt" for l in lines)
   and [len(b) for b in bodies] == [v["size"] for v in j["value"] + j2["value"] + j3["value"]]
   and len(gzip.decompress(bodies[0])) >= 300 * 1024, "generated 2.0 batch files (stored and disk gzip) list and "
   "download after the sample chain", [len(b) for b in bodies])
n0 = len(signed("/api/audit/get-audit-events", {"meta": {"pagination": {"pageSize": 500}},
                                                "data": [window]}).json()["data"])
ctl("POST", "/_emu/audit/append", {"count": 30, "seed": 3, "span": 1200})
ctl("POST", "/_emu/audit/append", {"events": [{"auditType": "Late Event", "eventTime": "-300", "user": "late@example.com",
                                               "eventInfo": "appeared late", "category": "account_logs"}]})
j = signed("/api/audit/get-audit-events", {"meta": {"pagination": {"pageSize": 500}}, "data": [window]}).json()
ok(len(j["data"]) == n0 + 31 and j["meta"]["pagination"]["totalCount"] == n0 + 31, "audit append: generated and late events",
   len(j["data"]))

# ---- 9. keep-alive, curl, stats, stop
conn = http.client.HTTPSConnection(URL.split("//")[1].split(":")[0], int(URL.rsplit(":", 1)[1]), context=CTX)
socks = set()
for _ in range(3):
    conn.request("GET", "/_emu/health")
    resp = conn.getresponse()
    resp.read()
    socks.add(id(conn.sock))
ok(len(socks) == 1 and resp.getheader("Connection") == "keep-alive", "HTTP/1.1 keep-alive on one connection")
conn.close()
r = sh('. "$EMU_HOME/emu.sh"; emu_ctl POST /_emu/fault \'{"endpoint":"/oauth/token","kind":"500"}\' >/dev/null && '
       'curl -sS --cacert "$EMU_CA" -o /dev/null -w "%{http_code}" -d x=1 '
       '-H "Content-Type: application/x-www-form-urlencoded" "$EMU_URL/oauth/token"', env=ENV)
ok(r.stdout.strip() == "500", "emu_ctl and curl --cacert work", r.stdout, r.stderr)
r = sh('. "$EMU_HOME/emu.sh"; emu_stats', env=ENV)
stats = json.loads(r.stdout) if r.returncode == 0 else {}
ok(stats.get("siem_served") and all("token" in s and "name" in s for s in stats["siem_served"])
   and stats["audit_events_served"] > 0 and stats["rate_limited"]["total"] >= 3 and stats["tokens_issued"]["oauth"] >= 3
   and stats["requests"].get(SIEM_EP, 0) > 50, "emu_stats: files with tokens, audit counts, 429s, tokens issued",
   r.stdout[:500], r.stderr)
log = open(os.path.join(EDIR, "emu.log")).read()
ok(log.count("\n") > 100 and V1["main"]["secret_key"] not in log and V1["main"]["access_key"] not in log
   and V2["main"]["client_secret"] not in log, "emu.log: one line per request, no secrets")
t0 = time.time()
EMU_SH.stdin.write("\n")
EMU_SH.stdin.flush()
try:
    rest = EMU_SH.communicate(timeout=10)[0]
except subprocess.TimeoutExpired:
    EMU_SH.kill()
    rest = ""
gone = True
try:
    os.kill(PID, 0)
    gone = False
except ProcessLookupError:
    pass
ok(gone and "stopped" in rest and time.time() - t0 < 3 and not os.path.exists(os.path.join(EDIR, "url")),
   "emu_stop: SIGTERM stops it promptly", time.time() - t0, rest)

print("1..%d" % N)
if FAILED == 0:
    shutil.rmtree(tmp, ignore_errors=True)
else:
    print("# state kept in %s" % tmp)
sys.exit(1 if FAILED else 0)
