#!/usr/bin/env python3
"""mcemu: a local Mimecast API emulator for mcspool's tests and demo.

Python 3 standard library only.  One threaded HTTP(S) server serves:

  API 1.0  POST /api/login/discover-authentication, /api/login/login,
           /api/account/get-account, /api/audit/get-audit-events,
           /api/audit/get-siem-logs (HMAC-SHA1 signed, section 1.3 of
           ../shared/reference/mimecast-api.md)
  API 2.0  POST /oauth/token, POST /api/audit/get-audit-events (Bearer),
           GET /siem/v1/batch/events/cg, and GET /blob/... (the "pre-signed
           S3" URLs the batch listing hands out)
  control  /_emu/... (faults, stats, clock, data generators, reset)

The behaviour follows mimecast-api.md section 7.  Wherever the reference
marks the real behaviour [uncertain] or [inferred], the choice made here is
marked "CHOICE" in a comment and listed in tests/emu/README.md.

The signer/verifier (sign_v1, verify_v1) and the section 1.3 test vectors
(SIGNATURE_VECTORS) can be imported: `import mcemu`.
"""

import argparse
import ast
import base64
import binascii
import calendar
import datetime as dt
import gzip
import hashlib
import hmac
import http.server
import io
import json
import os
import random
import re
import secrets
import signal
import socket
import ssl
import struct
import sys
import threading
import time
import urllib.parse
import zipfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))

# The samples' account lives in UTC+02:00 (samples/README.md); 1.0 file names
# carry that local time.
ACCOUNT_TZ = dt.timezone(dt.timedelta(hours=2))
RETENTION = 7 * 86400            # SIEM 1.0 files and 2.0 batch files: 7 days
AUDIT_LOOKBACK = 60 * 86400      # get-audit-events: about 60 days [doc]
V2_TYPES = ("receipt", "process", "delivery", "av", "spam", "internal email protect",
            "impersonation protect", "url protect", "attachment protect", "journal")
V1_TYPES = ("receipt", "process", "delivery", "jrnl", "av", "spameventthread", "iep",
            "impersonation", "ttp_url", "ttp_ap")
SIEM_ID_BASE = 40000001          # first siemlogid, as in the sample token
V2_SEG_BASE = 5000               # emulator-made 2.0 cursors decode to "<5000+segment>[.<file>]"
SMALL_BODY = 8 * 1024 * 1024     # zips of bodies up to this size are deflated in memory
CHUNK = 256 * 1024

FAULT_KINDS = ("429", "401", "403", "418", "500", "fail200", "truncate", "empty200",
               "wrongtype", "notoken", "sametoken", "slow", "reset", "expired-url",
               "missing-nextpage", "partial-page", "token-expire", "wrong-region")

# Section 1.3 test vectors: (secret_key, x-mc-date, x-mc-req-id, app_key, uri, signature).
_VEC_KEY = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+Pw=="
_VEC_DATE = "Tue, 24 Nov 2015 12:50:11 UTC"
_VEC_REQ = "8578FCFC-A305-4D9A-99CB-F4D5ECEFE297"
_VEC_APP = "11111111-2222-3333-4444-555555555555"
SIGNATURE_VECTORS = (
    (_VEC_KEY, _VEC_DATE, _VEC_REQ, _VEC_APP, "/api/audit/get-siem-logs", "TqAtXVcID2XzqJ/s97iVqRqxCuE="),
    (_VEC_KEY, _VEC_DATE, _VEC_REQ, _VEC_APP, "/api/audit/get-audit-events", "4Ur3IOrCwFL0vNqlRAMzHX0I35o="),
    (_VEC_KEY, _VEC_DATE, _VEC_REQ, _VEC_APP, "/api/account/get-account", "KEksevqi5GmTCfPD9IIyygExuo0="),
)


# --------------------------------------------------------------------------
# Small helpers: encodings and time formats
# --------------------------------------------------------------------------

def _b(s):
    return s if isinstance(s, bytes) else s.encode("utf-8")


def sign_v1(secret_key_b64, date, req_id, uri, app_key):
    """API 1.0 signature: base64(HMAC-SHA1(b64decode(secret), "date:reqid:uri:appkey"))."""
    key = base64.b64decode(_b(secret_key_b64), validate=True)
    data = b":".join((_b(date), _b(req_id), _b(uri), _b(app_key)))
    return base64.b64encode(hmac.new(key, data, hashlib.sha1).digest()).decode("ascii")


def verify_v1(secret_key_b64, date, req_id, uri, app_key, signature):
    """Constant-time check of an API 1.0 signature.  Returns True or False."""
    try:
        want = sign_v1(secret_key_b64, date, req_id, uri, app_key).encode("ascii")
    except (binascii.Error, ValueError):
        return False
    return hmac.compare_digest(want, _b(signature))


_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def fmt_mc_date(epoch):
    """x-mc-date format, locale-independent: 'Tue, 24 Nov 2015 12:50:11 UTC'."""
    t = time.gmtime(epoch)
    return "%s, %02d %s %04d %02d:%02d:%02d UTC" % (
        _DAYS[t.tm_wday], t.tm_mday, _MONS[t.tm_mon - 1], t.tm_year, t.tm_hour, t.tm_min, t.tm_sec)


def fmt_http_date(epoch):
    return fmt_mc_date(epoch)[:-3] + "GMT"


_MC_DATE_RE = re.compile(r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d{2}) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
                         r"(\d{4}) (\d{2}):(\d{2}):(\d{2}) (UTC|GMT)$")


def parse_mc_date(s):
    """Parse an x-mc-date; None if it is not in the documented form (GMT also taken)."""
    m = _MC_DATE_RE.match(s or "")
    if not m:
        return None
    try:
        return calendar.timegm((int(m.group(4)), _MONS.index(m.group(3)) + 1, int(m.group(2)),
                                int(m.group(5)), int(m.group(6)), int(m.group(7)), 0, 0, 0))
    except (ValueError, OverflowError):
        return None


_ISO_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})$")


def parse_iso(s):
    """Audit dates: yyyy-MM-ddTHH:mm:ss[.fff] with +hhmm, +hh:mm or Z.  Epoch float or None."""
    m = _ISO_RE.match(s.strip()) if isinstance(s, str) else None
    if not m:
        return None
    y, mo, d, h, mi, se = (int(m.group(i)) for i in range(1, 7))
    frac = float(m.group(7)) if m.group(7) else 0.0
    tz = m.group(8)
    off = 0
    if tz != "Z":
        sign = -1 if tz[0] == "-" else 1
        digits = tz[1:].replace(":", "")
        off = sign * (int(digits[:2]) * 3600 + int(digits[2:]) * 60)
    try:
        return calendar.timegm((y, mo, d, h, mi, se, 0, 0, 0)) + frac - off
    except (ValueError, OverflowError):
        return None


def fmt_audit_time(epoch):
    return time.strftime("%Y-%m-%dT%H:%M:%S+0000", time.gmtime(int(epoch)))


def fmt_expiry(epoch):
    ms = int(round(epoch * 1000))
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + ".%03dZ" % (ms % 1000)


def fmt_day(epoch):
    return time.strftime("%Y-%m-%d", time.gmtime(epoch))


def fmt_name_ts(epoch_ms):
    """yyyyMMddHHmmssSSS in the account's local time (the 1.0 file-name stamp)."""
    d = dt.datetime.fromtimestamp(epoch_ms // 1000, ACCOUNT_TZ)
    return d.strftime("%Y%m%d%H%M%S") + "%03d" % (epoch_ms % 1000)


def parse_name_ts(stamp):
    """Inverse of fmt_name_ts: epoch milliseconds."""
    d = dt.datetime.strptime(stamp[:14], "%Y%m%d%H%M%S").replace(tzinfo=ACCOUNT_TZ)
    return int(d.timestamp()) * 1000 + int(stamp[14:17])


def fmt_local_dt(epoch):
    """1.0 record datetime: 2024-11-25T13:40:13+0200 (local, no colon)."""
    return dt.datetime.fromtimestamp(int(epoch), ACCOUNT_TZ).strftime("%Y-%m-%dT%H:%M:%S%z")


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(s):
    s = s.strip()
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def parse_size(v):
    """'50M', '4k', '1G', 1234 -> bytes."""
    if isinstance(v, (int, float)):
        return int(v)
    m = re.fullmatch(r"\s*(\d+)\s*([kKmMgG]?)[bB]?\s*", str(v))
    if not m:
        raise ValueError("bad size %r" % (v,))
    return int(m.group(1)) * {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}[m.group(2).lower()]


def parse_when(v, clock):
    """Control-API times: epoch number, ISO string, or '+N'/'-N' seconds from the emulator's now."""
    if v is None:
        return None
    if isinstance(v, (int, float)):
        return float(v)
    s = str(v).strip()
    if re.fullmatch(r"[+-]\d+(\.\d+)?", s):
        return clock.now() + float(s)
    t = parse_iso(s)
    if t is None:
        raise ValueError("bad time %r" % (v,))
    return t


def jdump(obj):
    """Compact JSON with raw UTF-8, as in the samples."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


class ApiError(Exception):
    """A request the control API or a generator refuses (reported as HTTP 400)."""


# --------------------------------------------------------------------------
# Clock
# --------------------------------------------------------------------------

class Clock:
    """The emulator's notion of now: the real clock plus an adjustable offset.

    The offset moves everything the service decides by time (retention, URL
    and OAuth-token expiry, binding expiry, rate-limit windows, "today" for
    the 2.0 dates, the eventTime of appended events).  The x-mc-date skew
    check and the HTTP Date header use the real clock, because the client's
    clock cannot be moved the same way.
    """

    def __init__(self, offset=0.0):
        self.offset = float(offset)

    def now(self):
        return time.time() + self.offset


# --------------------------------------------------------------------------
# Bodies: Content objects know their length and stream their bytes in chunks
# --------------------------------------------------------------------------

class Content:
    length = 0

    def chunks(self):
        raise NotImplementedError

    def iter_range(self, start=0, stop=None):
        """Yield the bytes [start, stop) without holding the whole body."""
        stop = self.length if stop is None else min(stop, self.length)
        pos = 0
        for c in self.chunks():
            end = pos + len(c)
            if end > start and pos < stop:
                yield c[max(0, start - pos):min(len(c), stop - pos)]
            pos = end
            if pos >= stop:
                return

    def read_all(self):
        return b"".join(self.chunks())


class BytesContent(Content):
    def __init__(self, data):
        self.data = data
        self.length = len(data)

    def chunks(self):
        for i in range(0, len(self.data), CHUNK):
            yield self.data[i:i + CHUNK]

    def iter_range(self, start=0, stop=None):
        yield self.data[start:stop]


class FileContent(Content):
    def __init__(self, path):
        self.path = path
        self.length = os.path.getsize(path)

    def chunks(self):
        return self.iter_range()

    def iter_range(self, start=0, stop=None):
        stop = self.length if stop is None else min(stop, self.length)
        with open(self.path, "rb") as f:
            f.seek(start)
            left = stop - start
            while left > 0:
                c = f.read(min(CHUNK, left))
                if not c:
                    return
                left -= len(c)
                yield c


# ---- templates for generated records ---------------------------------------

class Template:
    """A record as literal byte pieces and fixed-width slots, so that the
    length of a generated record is known without building it.  Rendered
    with bytes %-formatting: fmt % values, values in `slots` order."""

    def __init__(self, pieces, widths):
        self.slots = tuple(p for p in pieces if isinstance(p, str))
        self.fmt = b"".join(p.replace(b"%", b"%%") if isinstance(p, bytes) else b"%b" for p in pieces)
        self.length = sum(len(p) if isinstance(p, bytes) else widths[p] for p in pieces)

    def render(self, values):
        return self.fmt % tuple(values[s] for s in self.slots) if self.slots else self.fmt.replace(b"%%", b"%")


KV_WIDTHS = {"DT": 24, "AC": 22}
V2_WIDTHS = {"TS": 13, "AG": 33, "PID": 54}
KV_BOTH = ("DT", "AC")
V2_ALL = ("AG", "PID", "TS")      # sorted keys: aggregateId < processingId < timestamp


def kv_template(record):
    """A CR-terminated 1.0 record -> Template with its datetime and aCode made slots."""
    pieces, pos = [], 0
    for key, slot in ((b"datetime=", "DT"), (b"|aCode=", "AC")):
        i = record.find(key, pos)
        if i < 0:
            continue
        j = i + len(key)
        k = record.find(b"|", j)
        if k < 0 or k - j != KV_WIDTHS[slot]:
            continue
        pieces += [record[pos:j], slot]
        pos = k
    pieces.append(record[pos:])
    return Template([p for p in pieces if p != b""], KV_WIDTHS)


def v2_template(obj):
    """A 2.0 event -> Template of its compact sorted-key JSON line, with
    timestamp, aggregateId and processingId made slots."""
    o = dict(obj)
    marks = {}
    for key, slot in (("timestamp", "TS"), ("aggregateId", "AG"), ("processingId", "PID")):
        if key in o:
            o[key] = "@@%s@@" % slot
            marks[slot] = ('"@@%s@@"' % slot).encode()
    line = json.dumps(o, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8") + b"\n"
    pieces = [line]
    for slot, mark in marks.items():
        out = []
        for p in pieces:
            if isinstance(p, bytes) and mark in p:
                a, b = p.split(mark, 1)
                # TS is a JSON number (no quotes); AG and PID are strings.
                out += [a, slot, b] if slot == "TS" else [a + b'"', slot, b'"' + b]
            else:
                out.append(p)
        pieces = out
    return Template([p for p in pieces if p != b""], V2_WIDTHS)


class RecordGen(Content):
    """Deterministic generated records (seeded): a 1.0 key_value file or the
    uncompressed NDJSON of a 2.0 batch file.  Built in chunks on every read;
    nothing but the parameters is kept.

    Record k is template choice k of a seeded PRNG (the same draws decide
    the length up front) with its slots filled: 1.0 datetime and aCode; 2.0
    timestamp, aggregateId and processingId.  Ids come from a SHAKE stream,
    so every record differs."""

    BATCH = 4096

    def __init__(self, kind, templates, seed, file_no, created_at, records=None, size=None, exact=False):
        if not templates:
            raise ApiError("no sample records to build from")
        self.kind, self.templates, self.seed, self.file_no = kind, templates, seed, file_no
        self.created_at = int(created_at)
        if records is None and size is None:
            records = 100
        lengths = [t.length for t in templates]
        nt = len(lengths)
        rnd = self._rng().random
        n, total, last = 0, 0, 0
        if records is not None:
            n = int(records)
            total = sum(lengths[int(rnd() * nt)] for _ in range(n))
        else:
            size = int(size)
            while True:
                ln = lengths[int(rnd() * nt)]
                if exact and total + ln > size:
                    break
                total += ln
                n += 1
                last = ln
                if not exact and total >= size:
                    break
        self.pad = 0
        if exact and size is not None:
            # Pad the last record with a "|Pad=xxx" field to hit the size exactly;
            # "|Pad=" needs 5 bytes, so give the last record back if less is left.
            left = size - total
            if 0 < left < 5 and n > 1:
                n, total, left = n - 1, total - last, left + last
            if left and (n == 0 or left < 5):
                raise ApiError("size %d is too small for the records of this type" % size)
            self.pad = left
            total += left
        self.records = n
        self.length = total

    def _rng(self):
        return random.Random("%s:%s:%s" % (self.kind, self.seed, self.file_no))

    def chunks(self):
        rnd = self._rng().random
        tpl, nt, n = self.templates, len(self.templates), self.records
        kv = self.kind == "kv"
        seen = {}
        out, size = [], 0
        for k0 in range(0, n, self.BATCH):
            m = min(self.BATCH, n - k0)
            ids = base64.urlsafe_b64encode(hashlib.shake_128(
                ("%s:%s:%s:%d" % (self.kind, self.seed, self.file_no, k0)).encode()).digest(66 * m))
            for j in range(m):
                k = k0 + j
                t = tpl[int(rnd() * nt)]
                if kv:
                    # records spread over the 30 minutes before the file was cut
                    sec = self.created_at - 1800 + (k * 1800) // n
                    d = seen.get(sec)
                    if d is None:
                        d = seen[sec] = fmt_local_dt(sec).encode()
                    if t.slots == KV_BOTH:
                        rec = t.fmt % (d, ids[88 * j:88 * j + 22])
                    else:
                        rec = t.render({"DT": d, "AC": ids[88 * j:88 * j + 22]})
                else:
                    # events spread over the 15 minutes before the batch was cut
                    ms = self.created_at * 1000 - 900000 + (k * 900000) // n
                    ep = b"_%d" % (ms // 1000)
                    vals = (ids[88 * j + 24:88 * j + 46] + ep, ids[88 * j + 44:88 * j + 87] + ep, b"%d" % ms)
                    if t.slots == V2_ALL:
                        rec = t.fmt % vals
                    else:
                        rec = t.render(dict(zip(V2_ALL, vals)))
                if k == n - 1 and self.pad:
                    # before the record terminator (CR for kv, LF for NDJSON)
                    rec = rec[:-1] + b"|Pad=" + b"x" * (self.pad - 5) + rec[-1:]
                out.append(rec)
                size += len(rec)
                if size >= CHUNK:
                    yield b"".join(out)
                    out, size = [], 0
        if out:
            yield b"".join(out)


class GzipStored(Content):
    """A gzip member of stored (uncompressed) deflate blocks around another
    Content, streamed: the CRC goes in the trailer, so nothing is buffered and
    the length is known in advance."""

    BLOCK = 65535

    def __init__(self, inner):
        self.inner = inner
        u = inner.length
        self.length = 10 + 5 * max(1, -(-u // self.BLOCK)) + u + 8

    def chunks(self):
        yield b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
        crc, left, buf = 0, self.inner.length, b""
        if left == 0:
            yield b"\x01\x00\x00\xff\xff"
        for c in self.inner.chunks():
            buf += c
            out = []
            while len(buf) >= self.BLOCK:
                blk, buf = buf[:self.BLOCK], buf[self.BLOCK:]
                left -= len(blk)
                out.append(self._block(blk, left == 0))
                crc = zlib.crc32(blk, crc)
            if out:
                yield b"".join(out)
        if buf:
            left -= len(buf)
            crc = zlib.crc32(buf, crc)
            yield self._block(buf, True)
        yield struct.pack("<II", crc & 0xFFFFFFFF, self.inner.length & 0xFFFFFFFF)

    @staticmethod
    def _block(data, final):
        n = len(data)
        return struct.pack("<BHH", 1 if final else 0, n, n ^ 0xFFFF) + data


class ZipStored(Content):
    """A one-member zip, method 'stored', streamed.  The CRC is computed by a
    first pass over the member (cached) so that the local header is complete
    and a streaming zip reader can use it."""

    def __init__(self, member, inner, date_time):
        if inner.length >= 0xFFFFFFFF:
            raise ApiError("zip members must be below 4 GiB")
        self.member, self.inner, self.date_time = member.encode(), inner, date_time
        self._crc = None
        self.length = 30 + len(self.member) + inner.length + 46 + len(self.member) + 22

    def crc(self):
        if self._crc is None:
            c = 0
            for chunk in self.inner.chunks():
                c = zlib.crc32(chunk, c)
            self._crc = c & 0xFFFFFFFF
        return self._crc

    def chunks(self):
        y, mo, d, h, mi, s = self.date_time
        dtime = (h << 11) | (mi << 5) | (s // 2)
        ddate = ((y - 1980) << 9) | (mo << 5) | d
        crc, n, name = self.crc(), self.inner.length, self.member
        yield struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 0, dtime, ddate, crc, n, n, len(name), 0) + name
        yield from self.inner.chunks()
        cd = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 0, dtime, ddate, crc, n, n,
                         len(name), 0, 0, 0, 0, 0, 0) + name
        yield cd + struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(cd), 30 + len(name) + n, 0)


def zip_deflate_bytes(member, data, date_time):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        zi = zipfile.ZipInfo(member, date_time)
        zi.compress_type = zipfile.ZIP_DEFLATED
        zi.create_system = 3
        z.writestr(zi, data)
    return buf.getvalue()


def zip_deflate_file(path, members, level=6):
    """Write a zip of (name, Content, date_time) members to path, streaming."""
    tmp = path + ".tmp%d" % threading.get_ident()
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as z:
        for name, content, date_time in members:
            zi = zipfile.ZipInfo(name, date_time)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.create_system = 3
            with z.open(zi, "w", force_zip64=content.length > 0x7FFFFFFF) as w:
                for c in content.chunks():
                    w.write(c)
    os.replace(tmp, path)


def gzip_file(path, content, level=6):
    tmp = path + ".tmp%d" % threading.get_ident()
    with open(tmp, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=level, mtime=0) as g:
            for c in content.chunks():
                g.write(c)
    os.replace(tmp, path)


# --------------------------------------------------------------------------
# Accounts
# --------------------------------------------------------------------------

class Accounts:
    """Test credentials (tests/emu/accounts.json or --accounts FILE)."""

    def __init__(self, path, start):
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
        self.path = path
        self.account = doc.get("account", {})
        self.account_code = self.account.get("account_code", "CXX00A000")
        self.v1, self.apps, self.v2 = {}, {}, {}
        for e in doc.get("v1", []):
            e = dict(e)
            e.setdefault("account_code", self.account_code)
            e["_binding_expires"] = self._when(e.get("binding_expires"), start)
            base64.b64decode(e["secret_key"], validate=True)       # refuse a bad file early
            self.v1[e["access_key"]] = e
            self.apps[e["app_id"]] = e["app_key"]
        for e in doc.get("v2", []):
            e = dict(e)
            e.setdefault("account_code", self.account_code)
            e.setdefault("scopes", [])
            self.v2[e["client_id"]] = e

    @staticmethod
    def _when(v, start):
        """null = never; '+N' = N seconds after emulator start; ISO-8601; epoch number."""
        if v is None:
            return None
        if isinstance(v, (int, float)):
            return float(v)
        if re.fullmatch(r"[+-]\d+", str(v).strip()):
            return start + int(v)
        t = parse_iso(v)
        if t is None:
            raise ValueError("bad binding_expires %r" % (v,))
        return t

    def by_email(self, email):
        email = (email or "").lower()
        for e in self.v1.values():
            if e.get("email", "").lower() == email:
                return e
        return None

    def domains(self):
        return {e.get("email", "").lower().rpartition("@")[2] for e in self.v1.values()} - {""}


# --------------------------------------------------------------------------
# Data: SIEM 1.0 queue, audit store, SIEM 2.0 batch store
# --------------------------------------------------------------------------

class SiemEntry:
    """One file in the 1.0 queue.

    kind: 'kv' (key_value file), 'json' (fileFormat=json file), 'zip-kv' or
    'zip-json' (a ready-made compress=true body, served only when compress is
    true).  kv and json entries are wrapped into a one-member zip when the
    request says compress=true.
    """

    def __init__(self, eid, kind, name, created_at, content, origin, zip_method="auto", cache_dir=None):
        self.id, self.kind, self.name, self.created_at = eid, kind, name, created_at
        self.content, self.origin, self.zip_method, self.cache_dir = content, origin, zip_method, cache_dir
        self.type = re.sub(r"_\d{17}\.\w+$", "", name)
        self._zip = None
        self._lock = threading.Lock()

    def member_date(self):
        m = re.search(r"_(\d{17})\.", self.name)
        d = dt.datetime.strptime(m.group(1)[:14], "%Y%m%d%H%M%S") if m else dt.datetime(2024, 11, 25, 12)
        return (d.year, d.month, d.day, d.hour, d.minute, d.second - d.second % 2)

    def body(self, compress):
        """(filename, Content) as served for this request."""
        if self.kind.startswith("zip-") or not compress:
            return self.name, self.content
        zname = self.name.rsplit(".", 1)[0] + ".zip"   # CHOICE: <type>_<stamp>.zip [uncertain]
        with self._lock:
            if self._zip is not None:
                return zname, self._zip
            method = self.zip_method
            if method == "auto":
                method = "deflate" if self.content.length <= SMALL_BODY else "stored"
            if method == "stored":
                z = ZipStored(self.name, self.content, self.member_date())
            elif self.content.length <= SMALL_BODY:
                z = BytesContent(zip_deflate_bytes(self.name, self.content.read_all(), self.member_date()))
            else:
                path = os.path.join(self.cache_dir, "siem-%d.zip" % self.id)
                if not os.path.exists(path):
                    zip_deflate_file(path, [(self.name, self.content, self.member_date())], level=1)
                z = FileContent(path)
            # Keep small in-memory zips of sample/appended files; streaming or
            # disk-backed ones cost nothing to keep.
            if not (isinstance(z, BytesContent) and self.origin == "generated"):
                self._zip = z
            return zname, z

    def describe(self, compress=None):
        d = {"id": self.id, "name": self.name, "kind": self.kind, "type": self.type, "origin": self.origin,
             "created_at": round(self.created_at, 3), "created": fmt_expiry(self.created_at),
             "bytes": self.content.length}
        if compress is not None:
            name, c = self.body(compress)
            d["served_name"], d["served_bytes"] = name, c.length
        return d


class SiemQueue:
    """The account's 1.0 MTA file queue, in production order (by id).

    created_at never decreases along the ids, so "the next file after the
    token's file" is simply the next id in the requested view.
    """

    VIEWS = {("key_value", False): {"kv"}, ("key_value", True): {"kv", "zip-kv"},
             ("json", False): {"json"}, ("json", True): {"json", "zip-json"}}

    def __init__(self, cache_dir):
        self.entries = []
        self.cache_dir = cache_dir
        self.names = set()
        self.gen_count = 0

    def add(self, kind, name, created_at, content, origin, zip_method="auto"):
        if self.entries and created_at < self.entries[-1].created_at:
            created_at = self.entries[-1].created_at
        e = SiemEntry(SIEM_ID_BASE + len(self.entries), kind, name, created_at, content, origin,
                      zip_method, self.cache_dir)
        self.entries.append(e)
        self.names.add(name)
        return e

    def unique_name(self, prefix, created_at, ext):
        """<type>_<yyyyMMddHHmmssSSS>.<ext>; the stamp moves on by 1 ms if taken."""
        ms = int(created_at * 1000)
        while True:
            name = "%s_%s.%s" % (prefix, fmt_name_ts(ms), ext)
            if name not in self.names:
                return name
            ms += 1

    def next_after(self, pos, fmt, compress, now):
        """First entry of the view with id > pos, within retention; None at the end.
        A file whose created_at lies in the future is not produced yet: stop there."""
        kinds = self.VIEWS[(fmt, compress)]
        for e in self.entries:
            if e.id <= pos or e.kind not in kinds:
                continue
            if e.created_at < now - RETENTION:
                continue
            if e.created_at > now:
                return None
            return e
        return None

    def view(self, fmt, compress):
        kinds = self.VIEWS[(fmt, compress)]
        return [e for e in self.entries if e.kind in kinds]


class AuditStore:
    """Audit events, newest first; equal times keep their insertion order."""

    def __init__(self):
        self._events = []         # (t, seq, obj)
        self._sorted = True
        self.seq = 0

    def add(self, t, obj):
        self.seq += 1
        self._events.append((int(t), self.seq, obj))
        self._sorted = False
        return self.seq

    @property
    def events(self):
        if not self._sorted:
            self._events.sort(key=lambda e: (-e[0], e[1]))
            self._sorted = True
        return self._events

    def select(self, start, end, now, asof, categories, query):
        out = []
        q = query.lower() if query else None
        for t, seq, obj in self.events:
            if seq > asof or t > now or t < start or t > end:
                continue
            if categories and obj.get("category") not in categories:
                continue
            if q and not any(q in str(obj.get(k, "")).lower() for k in ("auditType", "user", "eventInfo")):
                continue
            out.append(obj)
        return out


class V2File:
    def __init__(self, vtype, name, created_at, content, origin):
        self.type, self.name, self.created_at, self.content, self.origin = vtype, name, created_at, content, origin
        self.day = fmt_day(created_at)

    def path(self, account):
        return "/blob/%s/%s/%s/%s" % (account, urllib.parse.quote(self.type), self.day, self.name)


class V2Segment:
    """A group of batch files that one listing call returns together (the
    samples' listing pages).  token: the @nextPage value returned after it."""

    def __init__(self, files, token):
        self.files, self.token = files, token


class V2Store:
    """Per type, an ordered list of segments.  A cursor names a position
    (segment index, file offset) = the next file not yet listed.

    Cursors are standard base64 of short ASCII, like the samples' @nextPage:
    the samples' own tokens for the sample segments; "<5000+j>" for the
    position after an emulator segment j ("4999" = the very start); and
    "<5000+i>.<k>" for file k inside segment i (a page cut by pageSize).
    """

    def __init__(self):
        self.types = {t: [] for t in V2_TYPES}
        self.counters = {t: 0 for t in V2_TYPES}   # numbering of <type>-<n>.ndjson.gz

    @staticmethod
    def _enc(text):
        return base64.b64encode(text.encode()).decode()

    def add_segment(self, vtype, files, token=None):
        segs = self.types[vtype]
        if token is None:
            token = self._enc(str(V2_SEG_BASE + len(segs)))
        segs.append(V2Segment(files, token))
        return segs[-1]

    def last_created(self, vtype):
        for seg in reversed(self.types[vtype]):
            if seg.files:
                return seg.files[-1].created_at
        return None

    def token_for(self, vtype, i, off):
        segs = self.types[vtype]
        if off == 0:
            return segs[i - 1].token if i > 0 else self._enc(str(V2_SEG_BASE - 1))
        return self._enc("%d.%d" % (V2_SEG_BASE + i, off))

    def position(self, vtype, token):
        """Cursor -> (segment index, file offset); None if not a cursor of this type."""
        segs = self.types[vtype]
        for i, s in enumerate(segs):
            if s.token == token:
                return i + 1, 0
        try:
            text = base64.b64decode(token, validate=True).decode("ascii")
        except (binascii.Error, ValueError, UnicodeDecodeError):
            return None
        m = re.fullmatch(r"(\d+)(?:\.(\d+))?", text)
        if not m:
            return None
        n = int(m.group(1)) - V2_SEG_BASE
        if m.group(2) is None:
            return (n + 1, 0) if -1 <= n < len(segs) else None
        off = int(m.group(2))
        if 0 <= n < len(segs) and 0 < off < len(segs[n].files):
            return n, off
        return None

    def find(self, vtype, day, name):
        for seg in self.types.get(vtype, []):
            for f in seg.files:
                if f.name == name and f.day == day:
                    return f
        return None


# --------------------------------------------------------------------------
# Rate limiting
# --------------------------------------------------------------------------

class TokenBucket:
    """API 1.0 style: capacity `limit`, one request added back every window/limit seconds.
    X-RateLimit-Reset is the milliseconds until a request is added back (a duration)."""

    def __init__(self, limit, window, now):
        self.limit, self.window = limit, window
        self.tokens, self.t = float(limit), now

    def _refill(self, now):
        if now > self.t:
            self.tokens = min(self.limit, self.tokens + (now - self.t) * self.limit / self.window)
        self.t = now

    def take(self, now):
        self._refill(now)
        ok = self.tokens >= 1
        if ok:
            self.tokens -= 1
        return ok, self.headers()

    def peek(self, now):
        self._refill(now)
        return self.headers()

    def headers(self):
        if self.tokens >= self.limit:
            reset = 0
        else:
            reset = int((1 - (self.tokens % 1)) * self.window / self.limit * 1000) or 1
        return self.limit, int(self.tokens), reset


class FixedWindow:
    """API 2.0 batch endpoint: `limit` calls per fixed `window` per client [doc/code: 50 / 15 min]."""

    def __init__(self, limit, window, now):
        self.limit, self.window = limit, window
        self.start, self.count = now, 0

    def take(self, now):
        if now >= self.start + self.window or now < self.start:
            self.start, self.count = now, 0
        ok = self.count < self.limit
        if ok:
            self.count += 1
        return ok, (self.limit, self.limit - self.count, self.start + self.window - now)


# --------------------------------------------------------------------------
# Faults
# --------------------------------------------------------------------------

class Fault:
    def __init__(self, fid, spec):
        kind = str(spec.get("kind", ""))
        if kind not in FAULT_KINDS:
            raise ApiError("unknown fault kind %r (one of %s)" % (kind, ", ".join(FAULT_KINDS)))
        self.id, self.kind = fid, kind
        self.endpoint = spec.get("endpoint", "*")
        self.remaining = int(spec.get("count", 1))
        self.skip = int(spec.get("skip", 0))
        self.params = {k: v for k, v in spec.items() if k not in ("kind", "endpoint", "count", "skip")}
        self.applied = 0

    def matches(self, endpoint):
        e = self.endpoint
        if e in ("*", "", None):
            return True
        if e.endswith("*"):
            return endpoint.startswith(e[:-1])
        return endpoint == e

    def describe(self):
        return {"id": self.id, "kind": self.kind, "endpoint": self.endpoint, "remaining": self.remaining,
                "skip": self.skip, "applied": self.applied, "params": self.params}


# --------------------------------------------------------------------------
# The emulator state
# --------------------------------------------------------------------------

V2_NAME_RE = re.compile(r"^(.+)-(\d+)\.ndjson\.gz$")


class Emulator:
    def __init__(self, opts, log=None):
        self.opts = opts
        self.lock = threading.RLock()
        self._log = log or sys.stderr
        self._log_lock = threading.Lock()
        self.stopping = threading.Event()       # set on SIGTERM; interrupts 'slow' faults
        self.start = int(time.time())
        self.clock = Clock(opts.clock_offset)
        self.accounts = Accounts(opts.accounts, self.start)
        self.samples = opts.samples
        self.cache_dir = os.path.join(opts.dir, "cache")
        self.gen_dir = os.path.join(opts.dir, "gen")
        os.makedirs(self.cache_dir, exist_ok=True)
        os.makedirs(self.gen_dir, exist_ok=True)
        self.base_url = None
        self.secret = hashlib.sha256(("mcemu-token-secret:" + opts.token_secret).encode()).digest()
        self.config = {
            "rate_api": list(opts.rate_api), "rate_batch": list(opts.rate_batch),
            "rate_endpoints": {},            # path -> [limit, window] overrides for /api/*
            "skew": opts.skew, "lenient": opts.lenient, "siem_end_token": opts.siem_end_token,
            "oauth_expires_in": opts.oauth_expires_in, "blob_ttl": opts.blob_ttl,
            "v2_reset_format": opts.v2_reset_format, "retry_after": opts.retry_after,
        }
        self._templates = {}
        self.reset(data=True)

    # ---- (re)building state ------------------------------------------------

    def reset(self, data=True, clock=True):
        with self.lock:
            self.faults, self.fault_seq = [], 0
            self.buckets, self.windows = {}, {}
            self.oauth = {}                       # access token -> {client_id, expires}
            self.stats = self._empty_stats()
            if clock:
                self.clock.offset = self.opts.clock_offset
            if data:
                self.siem = SiemQueue(self.cache_dir)
                self.audit = AuditStore()
                self._shapes = None
                self.v2 = V2Store()
                self._load_samples()
                for spec in self.opts.gen_kv:
                    self.gen_siem(dict(spec, kind="kv"), startup=True)
                for spec in self.opts.gen_zip:
                    self.gen_siem(dict(spec, kind="zip"), startup=True)
                for spec in self.opts.gen_v2:
                    self.gen_v2(spec, startup=True)
                for spec in self.opts.gen_audit:
                    self.gen_audit(spec, startup=True)

    @staticmethod
    def _empty_stats():
        return {"requests": {}, "responses": {}, "siem_served": [], "siem_end_of_data": 0,
                "audit_pages": [], "audit_events_served": 0, "batch_pages": [], "blobs_served": [],
                "rate_limited": {"total": 0, "injected": 0, "by_endpoint": {}},
                "tokens_issued": {"oauth": 0, "siem": 0, "audit": 0, "batch": 0},
                "auth_failures": {}, "faults_applied": []}

    def _anchor(self, newest, anchor):
        """Whole-second shift so that `newest` lands `anchor` seconds before start."""
        if self.opts.no_rebase:
            return 0
        return int(round(self.start - anchor - newest))

    def _load_samples(self):
        s = self.samples
        # -- SIEM 1.0 --------------------------------------------------------
        items = []
        for sub, kind_of in (("v1/kv", lambda n: "kv"), ("v1/json", lambda n: "json"), ("v1/zip", None)):
            d = os.path.join(s, sub)
            for name in sorted(os.listdir(d)) if os.path.isdir(d) else []:
                m = re.search(r"_(\d{17})\.(log|json|zip)$", name)
                if not m:
                    continue
                path = os.path.join(d, name)
                if kind_of is None:
                    with zipfile.ZipFile(path) as z:
                        members = z.namelist()
                    kind = "zip-json" if members and all(x.endswith(".json") for x in members) else "zip-kv"
                else:
                    kind = kind_of(name)
                items.append((parse_name_ts(m.group(1)) / 1000.0, name, kind, path))
        items.sort()
        if items:
            shift = self._anchor(max(i[0] for i in items), self.opts.siem_anchor)
            for t, name, kind, path in items:
                self.siem.add(kind, name, t + shift, BytesContent(read_bytes(path)), "sample")
        # -- audit (the union of all pages; distinct events may share an id) --
        d = os.path.join(s, "audit")
        events = []
        pages = sorted((int(re.search(r"(\d+)", n).group(1)), n) for n in os.listdir(d)
                       if re.fullmatch(r"page-\d+\.json", n)) if os.path.isdir(d) else []
        for _, n in pages:
            with open(os.path.join(d, n), encoding="utf-8") as f:
                for ev in json.load(f).get("data", []):
                    events.append((parse_iso(ev["eventTime"]), ev))
        if events:
            mode, secs = self.opts.audit_anchor
            ref = max(e[0] for e in events) if mode == "newest" else min(e[0] for e in events)
            shift = self._anchor(ref, secs)
            for t, ev in events:
                ev = dict(ev)
                ev["eventTime"] = fmt_audit_time(t + shift)
                self.audit.add(t + shift, ev)
        # -- SIEM 2.0 batch ----------------------------------------------------
        # The listing pages define the segments and their @nextPage tokens:
        # page k of a type is what a call with page k-1's @nextPage returns.
        # A listed file is taken as cut at its listing's X-Amz-Date (all the
        # samples share one day and one listing time); a file no page lists,
        # at its newest event.
        bdir, ldir = os.path.join(s, "v2/batch"), os.path.join(s, "v2/listing")
        chains, listed_at = {}, {}
        for name in sorted(os.listdir(ldir)) if os.path.isdir(ldir) else []:
            m = re.fullmatch(r"(.+)-(\d+)\.json", name)
            if not m:
                continue
            with open(os.path.join(ldir, name), encoding="utf-8") as f:
                page = json.load(f)
            files_here = []
            for v in page.get("value", []):
                u = urllib.parse.urlsplit(v["url"])
                base = u.path.rsplit("/", 1)[-1]
                files_here.append(base)
                amz = urllib.parse.parse_qs(u.query).get("X-Amz-Date", [""])[0]
                try:
                    listed_at[base] = calendar.timegm(time.strptime(amz, "%Y%m%dT%H%M%SZ"))
                except ValueError:
                    pass
            chains.setdefault(m.group(1).replace("_", " "), []).append((int(m.group(2)), files_here,
                                                                          page.get("@nextPage")))
        files = {}
        for name in sorted(os.listdir(bdir)) if os.path.isdir(bdir) else []:
            m = V2_NAME_RE.match(name)
            vtype = m.group(1).replace("_", " ") if m else None
            if vtype not in self.v2.types:
                continue
            path = os.path.join(bdir, name)
            created = listed_at.get(name)
            if created is None:
                ts = [json.loads(l)["timestamp"] for l in gzip.decompress(read_bytes(path)).split(b"\n") if l.strip()]
                created = max(ts) / 1000.0 if ts else 0.0
            files[name] = (vtype, created, path, int(m.group(2)))
        if not files:
            return
        shift = self._anchor(max(f[1] for f in files.values()), self.opts.v2_anchor)
        objs = {n: V2File(v, n, c + shift, FileContent(p), "sample") for n, (v, c, p, _) in files.items()}
        for n, (v, _, _, k) in files.items():
            self.v2.counters[v] = max(self.v2.counters[v], k)
        used = set()
        for vtype in V2_TYPES:
            for _, names, token in sorted(chains.get(vtype, []), key=lambda c: c[0]):
                seg_files = [objs[n] for n in names if n in objs and n not in used]
                used.update(f.name for f in seg_files)
                self.v2.add_segment(vtype, seg_files, token)       # in the page's order
            rest = sorted((f for n, f in objs.items() if f.type == vtype and n not in used),
                          key=lambda f: f.created_at)
            if rest:     # batch files no listing page mentions: one more segment
                self.v2.add_segment(vtype, rest)

    # ---- generators ------------------------------------------------------

    def templates(self, family, vtype):
        key = (family, vtype)
        if key in self._templates:
            return self._templates[key]
        out = []
        if family == "kv":
            d = os.path.join(self.samples, "v1/kv")
            for name in sorted(os.listdir(d)):
                if name.startswith(vtype + "_") and re.fullmatch(re.escape(vtype) + r"_\d{17}\.log", name):
                    data = read_bytes(os.path.join(d, name))
                    out += [kv_template(r + b"\r") for r in data.split(b"\r") if r]
        else:
            d = os.path.join(self.samples, "v2/batch")
            prefix = vtype.replace(" ", "_") + "-"
            for name in sorted(os.listdir(d)):
                if name.startswith(prefix) and V2_NAME_RE.match(name):
                    for l in gzip.decompress(read_bytes(os.path.join(d, name))).split(b"\n"):
                        if l.strip():
                            out.append(v2_template(json.loads(l)))
        self._templates[key] = out
        return out

    def _gen_time(self, spec, startup, last):
        """created_at for generated files: explicit, else start-1s (startup) or now;
        never before the last file of the queue."""
        if spec.get("created_at") is not None:
            t = parse_when(spec["created_at"], self.clock)
            if last is not None and t < last:
                raise ApiError("created_at lies before the last file of the queue")
            return t
        t = self.start - 1 + self.clock.offset if startup else self.clock.now()
        return max(t, last or t)

    def _gen_path(self, family, name, params):
        """Disk-backed generated files are named by their parameters, so a
        reset or a restart with the same options reuses them."""
        h = hashlib.sha1(json.dumps(params, default=str).encode()).hexdigest()[:12]
        return os.path.join(self.gen_dir, "%s-%s-%s" % (family, h, name))

    def gen_siem(self, spec, startup=False):
        """Generated 1.0 files.  kind 'kv': key_value files (wrapped in a one-member
        zip when a request says compress=true); kind 'zip': ready-made zips of
        `members` generated kv members (served only to compress=true)."""
        with self.lock:
            kind = spec.get("kind", "kv")
            count = int(spec.get("count", 1))
            seed = spec.get("seed", 1)
            size = parse_size(spec["size"]) if spec.get("size") is not None else None
            records = int(spec["records"]) if spec.get("records") is not None else None
            types = spec.get("type", "receipt")
            types = list(V1_TYPES) if types == "mixed" else [t.strip() for t in str(types).split(",")]
            for t in types:
                if t not in V1_TYPES:
                    raise ApiError("unknown 1.0 type %r" % t)
            zip_method = spec.get("zip_method", "auto")
            if zip_method not in ("auto", "deflate", "stored"):
                raise ApiError("zip_method must be auto, deflate or stored")
            last = self.siem.entries[-1].created_at if self.siem.entries else None
            t0 = self._gen_time(spec, startup, last)
            out = []
            for i in range(count):
                self.siem.gen_count += 1
                no = self.siem.gen_count
                vtype = types[i % len(types)]
                if kind == "kv":
                    c = RecordGen("kv", self.templates("kv", vtype), seed, no, t0, records, size, exact=True)
                    name = self.siem.unique_name(vtype, t0, "log")
                    out.append(self.siem.add("kv", name, t0, c, "generated", zip_method))
                elif kind == "zip":
                    members, nmem = [], int(spec.get("members", 1))
                    mtypes = [types[(i + j) % len(types)] for j in range(nmem)]
                    for j, mt in enumerate(mtypes):
                        c = RecordGen("kv", self.templates("kv", mt), seed, "%d.%d" % (no, j), t0,
                                      records, size, exact=True)
                        mname = "%s_%s.log" % (mt, fmt_name_ts(int(t0 * 1000) + j))
                        d = dt.datetime.fromtimestamp(int(t0), ACCOUNT_TZ)
                        members.append((mname, c, (d.year, d.month, d.day, d.hour, d.minute,
                                                   d.second - d.second % 2)))
                    name = self.siem.unique_name(mtypes[0], t0, "zip")
                    level = int(spec.get("level", 6))
                    path = self._gen_path("siem", name, [seed, no, records, size, level, mtypes, int(t0)])
                    if not os.path.exists(path):
                        zip_deflate_file(path, members, level=level)
                    out.append(self.siem.add("zip-kv", name, t0, FileContent(path), "generated"))
                else:
                    raise ApiError("kind must be kv or zip")
            return out

    def gen_v2(self, spec, startup=False):
        """Generated 2.0 batch files for one type, appended as one new segment
        per `per_page` files (default 100, the batch pageSize maximum).
        mode 'disk': gzip (level) written under DIR/gen; size = uncompressed NDJSON bytes.
        mode 'stored': streamed gzip of stored blocks; nothing on disk (for big benchmarks).
        mode 'auto' (default): disk up to 16 MiB uncompressed, else stored."""
        with self.lock:
            vtype = str(spec.get("type", "receipt")).replace("_", " ")
            if vtype not in self.v2.types:
                raise ApiError("unknown 2.0 type %r" % vtype)
            count = int(spec.get("count", 1))
            seed = spec.get("seed", 1)
            size = parse_size(spec["size"]) if spec.get("size") is not None else None
            records = int(spec["records"]) if spec.get("records") is not None else None
            mode = spec.get("mode", "auto")
            per_page = max(1, int(spec.get("per_page", 100)))
            t0 = self._gen_time(spec, startup, self.v2.last_created(vtype))
            files = []
            for i in range(count):
                self.v2.counters[vtype] += 1
                k = self.v2.counters[vtype]
                name = "%s-%d.ndjson.gz" % (vtype.replace(" ", "_"), k)
                inner = RecordGen("v2", self.templates("v2", vtype), seed, "%s-%d" % (vtype, k), t0,
                                  records, size)
                m = mode if mode != "auto" else ("disk" if inner.length <= 16 << 20 else "stored")
                if m == "stored":
                    content = GzipStored(inner)
                elif m == "disk":
                    level = int(spec.get("level", 6))
                    path = self._gen_path("v2", name, [seed, k, records, size, level, int(t0)])
                    if not os.path.exists(path):
                        gzip_file(path, inner, level=level)
                    content = FileContent(path)
                else:
                    raise ApiError("mode must be auto, disk or stored")
                files.append(V2File(vtype, name, t0, content, "generated"))
            for i in range(0, len(files), per_page):
                self.v2.add_segment(vtype, files[i:i + per_page])
            return files

    def _audit_shapes(self):
        """The sample events (in file order) that generated events copy."""
        if getattr(self, "_shapes", None) is None:
            self._shapes = [obj for _, _, obj in sorted(self.audit.events, key=lambda e: e[1])] or [
                {"auditType": "User Logged On", "user": "user1@example.com", "category": "authentication_logs",
                 "eventInfo": "Successful authentication for user1@example.com"}]
        return self._shapes

    def _audit_id(self, seed, n):
        payload = {"secureid": b64url(hashlib.sha256(("%s:%s" % (seed, n)).encode()).digest()[:18]),
                   "auditlogid": None, "customercode": self.accounts.account_code, "version": 1}
        return b64url(zlib.compress(jdump(payload), 9))

    def gen_audit(self, spec, startup=False):
        """M generated audit events, seeded: copies of the sample shapes with a new
        user, id and eventTime, spread evenly over [end-span, end]."""
        with self.lock:
            count = int(spec.get("count", 1))
            seed = spec.get("seed", 1)
            base = self.start + self.clock.offset if startup else self.clock.now()
            end = parse_when(spec["end"], self.clock) if spec.get("end") is not None else base - 120
            span = float(spec.get("span", 3000))
            rng = random.Random("audit:%s" % seed)
            shapes = self._audit_shapes()
            for i in range(count):
                # evenly spaced, the last one at `end`
                t = int(end - span + span * (i + 1) / count)
                shape = shapes[rng.randrange(len(shapes))]
                user = "user%d@example.com" % rng.randint(1, 30) if shape.get("user") else shape.get("user", "")
                ev = {"id": self._audit_id(seed, "%d" % i), "auditType": shape["auditType"], "user": user,
                      "eventTime": fmt_audit_time(t),
                      "eventInfo": "%s [generated %s/%d]" % (shape["eventInfo"], seed, i),
                      "category": shape.get("category", "")}
                self.audit.add(t, ev)
            return count

    def append_audit_events(self, events):
        with self.lock:
            n = 0
            for i, e in enumerate(events):
                t = parse_when(e.get("eventTime"), self.clock) if e.get("eventTime") else self.clock.now()
                ev = {"id": e.get("id") or self._audit_id("append", "%d:%d" % (self.audit.seq, i)),
                      "auditType": e.get("auditType", "User Logged On"), "user": e.get("user", ""),
                      "eventTime": fmt_audit_time(t), "eventInfo": e.get("eventInfo", ""),
                      "category": e.get("category", "authentication_logs")}
                self.audit.add(t, ev)
                n += 1
            return n

    def append_siem_files(self, files):
        """Control API: add given files (base64 or text bodies) to the 1.0 queue."""
        with self.lock:
            out = []
            for f in files:
                kind = f.get("kind", "kv")
                if kind not in ("kv", "json", "zip-kv", "zip-json"):
                    raise ApiError("kind must be kv, json, zip-kv or zip-json")
                if "data_b64" in f:
                    data = base64.b64decode(f["data_b64"])
                elif "text" in f:
                    data = f["text"].encode("utf-8")
                elif "sample" in f:
                    p = os.path.normpath(os.path.join(self.samples, f["sample"]))
                    if not p.startswith(os.path.normpath(self.samples) + os.sep):
                        raise ApiError("sample path must lie under the samples directory")
                    data = read_bytes(p)
                else:
                    raise ApiError("a file needs data_b64, text or sample")
                last = self.siem.entries[-1].created_at if self.siem.entries else None
                t = self._gen_time(f, False, last)
                ext = {"kv": "log", "json": "json"}.get(kind, "zip")
                vtype = f.get("type", "receipt")
                name = f.get("name") or self.siem.unique_name(vtype, t, ext)
                if not re.fullmatch(r"[A-Za-z0-9._-]+", name) or name in self.siem.names:
                    raise ApiError("bad or duplicate file name %r" % name)
                out.append(self.siem.add(kind, name, t, BytesContent(data), "appended"))
            return out

    # ---- tokens ------------------------------------------------------------

    def _mac(self, text):
        return b64url(hmac.new(self.secret, text.encode("utf-8"), hashlib.sha256).digest()[:18])

    def seal(self, payload):
        """Opaque token: URL-safe base64 of zlib JSON, like the real ones, with a MAC."""
        body = dict(payload)
        body["secureid"] = self._mac(json.dumps(payload, sort_keys=True))
        return b64url(zlib.compress(jdump(body), 9))

    def unseal(self, token):
        try:
            body = json.loads(zlib.decompress(b64url_decode(token)))
            mac = body.pop("secureid")
        except (ValueError, TypeError, KeyError, zlib.error, binascii.Error, AttributeError):
            return None
        if not isinstance(mac, str) or not hmac.compare_digest(mac, self._mac(json.dumps(body, sort_keys=True))):
            return None
        return body

    # ---- rate limits ------------------------------------------------------

    def api_rate(self, key, endpoint, consume=True):
        with self.lock:
            limit, window = self.config["rate_endpoints"].get(endpoint, self.config["rate_api"])
            b = self.buckets.get((key, endpoint))
            now = self.clock.now()
            if b is None or (b.limit, b.window) != (limit, window):
                b = self.buckets[(key, endpoint)] = TokenBucket(limit, window, now)
            if consume:
                return b.take(now)
            return True, b.peek(now)

    def batch_rate(self, key):
        with self.lock:
            limit, window = self.config["rate_batch"]
            w = self.windows.get(key)
            now = self.clock.now()
            if w is None or (w.limit, w.window) != (limit, window):
                w = self.windows[key] = FixedWindow(limit, window, now)
            return w.take(now)

    # ---- faults -------------------------------------------------------------

    def add_fault(self, spec):
        with self.lock:
            self.fault_seq += 1
            f = Fault(self.fault_seq, spec)
            self.faults.append(f)
            return f

    def take_fault(self, endpoint):
        with self.lock:
            for f in self.faults:
                if f.remaining > 0 and f.matches(endpoint):
                    if f.skip > 0:
                        f.skip -= 1
                        continue
                    f.remaining -= 1
                    f.applied += 1
                    self.stats["faults_applied"].append({"id": f.id, "kind": f.kind, "endpoint": endpoint})
                    if f.remaining <= 0:
                        self.faults.remove(f)
                    return f
            return None

    # ---- stats and log ----------------------------------------------------

    def log(self, line):
        with self._log_lock:
            self._log.write(line + "\n")
            self._log.flush()

    def log_request(self, handler, req, status, sent, t0, note):
        """One line per request.  Credentials are never logged whole; query
        strings (pre-signed URL signatures) not at all."""
        key = req.auth_key or "-"
        if len(key) > 14:
            key = key[:10] + "..."
        self.log("%s %s %s %s%s %d %d %.1fms key=%s %s" % (
            time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()), handler.client_address[0], req.method, req.path,
            "?..." if req.query else "", status, sent, (time.monotonic() - t0) * 1000, key, note or ""))


    def count(self, section, key, n=1):
        with self.lock:
            d = self.stats[section]
            d[key] = d.get(key, 0) + n

    def record(self, section, item):
        with self.lock:
            self.stats[section].append(item)


# --------------------------------------------------------------------------
# HTTP plumbing
# --------------------------------------------------------------------------

class Resp:
    def __init__(self, status, body=b"", ctype="application/json", headers=None, note=""):
        self.status = status
        self.body = body if isinstance(body, Content) else BytesContent(_b(body))
        self.ctype = ctype
        self.headers = list(headers or [])
        self.note = note


class Req:
    def __init__(self, handler, method):
        self.h = handler
        self.method = method
        u = urllib.parse.urlsplit(handler.path)
        self.path = u.path
        self.query = urllib.parse.parse_qs(u.query, keep_blank_values=True)
        self.headers = handler.headers
        self.body = b""
        self.fault = None
        self.flags = set()          # cooperative fault flags the handlers look at
        self.rl = None              # (limit, remaining, reset) for X-RateLimit-*
        self.auth_key = None
        self.v2 = False

    def q(self, name):
        v = self.query.get(name)
        return v[0] if v else None


STATUS_TEXT = {200: "OK", 206: "Partial Content", 400: "Bad Request", 401: "Unauthorized",
               403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed", 409: "Conflict",
               413: "Payload Too Large", 416: "Range Not Satisfiable", 418: "Binding Expired",
               429: "Too Many Requests", 500: "Internal Server Error", 503: "Service Unavailable"}


def envelope_error(status, code, message, key=None, retryable=False):
    """API 1.0 error envelope (section 1.5)."""
    item = {"errors": [{"code": code, "message": message, "retryable": retryable}]}
    if key is not None:
        item = {"key": key, **item}
    return Resp(status, jdump({"meta": {"status": status}, "data": [], "fail": [item]}), note=code)


def v2_error(status, code, message):
    """API 2.0 error body: {"fail":[{"code","message"}]} (section 4.2)."""
    return Resp(status, jdump({"fail": [{"code": code, "message": message}]}), note=code)


def s3_error(status, code, message):
    body = ('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>%s</Code><Message>%s</Message>'
            '<RequestId>%s</RequestId></Error>' % (code, message, secrets.token_hex(8).upper()))
    return Resp(status, body, ctype="application/xml", note=code)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "mcemu/1"
    sys_version = ""
    timeout = 120

    def setup(self):
        sock = self.request
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass
        if isinstance(sock, ssl.SSLSocket):
            # The handshake runs here, in the connection's own thread, so a
            # slow or broken client cannot stall the accept loop.
            sock.settimeout(10)
            sock.do_handshake()
        super().setup()

    def log_message(self, fmt, *args):     # http.server's own stderr log: off
        pass

    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def do_HEAD(self):
        self.dispatch("HEAD")

    def do_PUT(self):
        self.dispatch("PUT")

    def do_DELETE(self):
        self.dispatch("DELETE")

    def do_PATCH(self):
        self.dispatch("PATCH")

    def do_OPTIONS(self):
        self.dispatch("OPTIONS")

    # ---- request cycle ------------------------------------------------------

    def read_body(self):
        te = (self.headers.get("Transfer-Encoding") or "").lower()
        limit = 16 << 20
        if "chunked" in te:
            out = []
            total = 0
            while True:
                line = self.rfile.readline(1024)
                n = int(line.split(b";")[0].strip() or b"0", 16)
                if n == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                total += n
                if total > limit:
                    raise ValueError("body too large")
                out.append(self.rfile.read(n))
                self.rfile.readline(1024)
            return b"".join(out)
        n = int(self.headers.get("Content-Length") or 0)
        if n > limit:
            raise ValueError("body too large")
        return self.rfile.read(n) if n > 0 else b""

    def dispatch(self, method):
        emu = self.server.emu
        t0 = time.monotonic()
        req = Req(self, method)
        try:
            req.body = self.read_body()
        except (ValueError, OSError):
            self.close_connection = True
            self.send(req, envelope_error(413, "err_request_too_large", "Request body too large"), t0)
            return
        endpoint = classify(req.path)
        if not endpoint.startswith("/_emu"):
            emu.count("requests", endpoint)
            req.fault = emu.take_fault(endpoint)
        try:
            resp = route(emu, req, endpoint)
        except Exception as e:        # a bug here must not kill the connection thread silently
            emu.log("error: %s %s: %r" % (method, req.path, e))
            import traceback
            traceback.print_exc(file=sys.stderr)
            resp = envelope_error(500, "err_emulator", "emulator error: %s" % e)
        if resp is None:              # fault 'reset': the connection is gone
            emu.log_request(self, req, 0, 0, t0, "reset")
            return
        self.send(req, resp, t0)

    def send(self, req, resp, t0):
        emu = self.server.emu
        f = req.fault
        status, body, ctype = resp.status, resp.body, resp.ctype
        headers = [("Date", fmt_http_date(time.time())), ("Server", self.server_version)]
        truncate_at = None
        stall = None
        if f is not None:
            if f.kind == "empty200":
                status, body = 200, BytesContent(b"")
            elif f.kind == "wrongtype":
                ctype = f.params.get("content_type", "text/html; charset=utf-8")
            elif f.kind == "truncate":
                n = f.params.get("bytes")
                n = body.length // 2 if n is None else min(int(n), body.length)
                if f.params.get("mode", "transport") == "content":
                    # A short body with a matching Content-Length: a cut-off file
                    # delivered "successfully" (failure-modes.md 3).
                    body = BytesContent(b"".join(body.iter_range(0, n)))
                else:
                    truncate_at = n     # promise the full length, send n bytes, close
            elif f.kind == "slow" and f.params.get("stall") is not None:
                stall = (int(f.params.get("stall_after", 1024)), float(f.params["stall"]))
            resp.note = (resp.note + " " if resp.note else "") + "fault=" + f.kind
        if req.path.startswith("/api/"):
            rl = req.rl
            if rl is None:
                _, rl = emu.api_rate(req.auth_key or self.client_address[0], classify(req.path), consume=False)
            headers += [("X-RateLimit-Limit", str(rl[0])), ("X-RateLimit-Remaining", str(rl[1])),
                        ("X-RateLimit-Reset", str(rl[2]))]
        headers += resp.headers
        length = body.length
        start = 0
        rng = req.headers.get("Range")
        if rng and status == 200 and req.path.startswith("/blob/"):
            m = re.fullmatch(r"bytes=(\d*)-(\d*)", rng.strip())
            if m and (m.group(1) or m.group(2)):
                if m.group(1):
                    a = int(m.group(1))
                    b = int(m.group(2)) if m.group(2) else length - 1
                else:
                    a, b = max(0, length - int(m.group(2))), length - 1
                if a >= length or a > b:
                    status, body, ctype = 416, BytesContent(b""), "application/xml"
                    headers.append(("Content-Range", "bytes */%d" % length))
                    length = 0
                else:
                    b = min(b, length - 1)
                    headers.append(("Content-Range", "bytes %d-%d/%d" % (a, b, length)))
                    status, start, length = 206, a, b - a + 1
        if self.close_connection or (req.headers.get("Connection") or "").lower() == "close":
            self.close_connection = True
        headers += [("Content-Type", ctype), ("Content-Length", str(length)),
                    ("Connection", "close" if self.close_connection or truncate_at is not None else "keep-alive")]
        head = ("HTTP/1.1 %d %s\r\n" % (status, STATUS_TEXT.get(status, "Status"))).encode("latin-1")
        head += b"".join(("%s: %s\r\n" % (k, v)).encode("latin-1") for k, v in headers) + b"\r\n"
        sent = 0
        try:
            if req.method == "HEAD" or length == 0:
                self.wfile.write(head)
            elif length <= 65536 and truncate_at is None and stall is None:
                # Headers and a small body in one write (see section 7's
                # delayed-ACK trap; TCP_NODELAY is set as well).
                data = b"".join(body.iter_range(start, start + length))
                self.wfile.write(head + data)
                sent = len(data)
            else:
                self.wfile.write(head)
                limit = start + length if truncate_at is None else start + min(truncate_at, length)
                for c in body.iter_range(start, limit):
                    if stall is not None and sent + len(c) >= stall[0]:
                        cut = max(0, stall[0] - sent)
                        if cut:
                            self.wfile.write(c[:cut])
                            sent += cut
                            c = c[cut:]
                        emu.stopping.wait(stall[1])       # the 'slow' fault's mid-body pause
                        stall = None
                    if c:
                        self.wfile.write(c)
                        sent += len(c)
                if truncate_at is not None:
                    self.close_connection = True
                    self.wfile.flush()
                    try:
                        self.connection.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, socket.timeout, OSError):
            self.close_connection = True
        with emu.lock:
            if not req.path.startswith("/_emu"):
                emu.stats["responses"][str(status)] = emu.stats["responses"].get(str(status), 0) + 1
            if status == 429:
                rl = emu.stats["rate_limited"]
                rl["total"] += 1
                ep = classify(req.path)
                rl["by_endpoint"][ep] = rl["by_endpoint"].get(ep, 0) + 1
                if f is not None and f.kind == "429":
                    rl["injected"] += 1
        emu.log_request(self, req, status, sent, t0, resp.note)

    def abort(self):
        """Fault 'reset': close with RST (SO_LINGER 0) and send nothing."""
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        self.close_connection = True
        try:
            self.connection.close()     # no TLS close_notify: the peer sees a reset
        except OSError:
            pass


def classify(path):
    if path.startswith("/blob/"):
        return "/blob"
    if path.startswith("/_emu"):
        return "/_emu"
    return path


# --------------------------------------------------------------------------
# Routing and API handlers
# --------------------------------------------------------------------------

API_V1 = ("/api/login/discover-authentication", "/api/login/login", "/api/account/get-account",
          "/api/audit/get-audit-events", "/api/audit/get-siem-logs")


def route(emu, req, endpoint):
    path, m = req.path, req.method
    if endpoint == "/_emu":
        return control(emu, req)
    f = req.fault
    if f is not None:
        if f.kind == "reset":
            req.h.abort()
            return None
        r = preempt_fault(emu, req, f)
        if r is not None:
            return r
    if path.startswith("/api/"):
        if m != "POST":
            r = envelope_error(405, "err_method_not_allowed", "Only POST is supported on %s" % path)
            r.headers.append(("Allow", "POST"))
            return r
        if path == "/api/login/discover-authentication":
            return api_discover(emu, req)
        if path == "/api/login/login":
            return api_login(emu, req)
        if path == "/api/account/get-account":
            return api_get_account(emu, req)
        if path == "/api/audit/get-audit-events":
            return api_audit(emu, req)
        if path == "/api/audit/get-siem-logs":
            return api_siem(emu, req)
        return envelope_error(404, "err_resource_not_found", "No such endpoint: %s" % path)
    if path == "/oauth/token":
        if m != "POST":
            r = v2_error(405, "method_not_allowed", "Only POST is supported")
            r.headers.append(("Allow", "POST"))
            return r
        return oauth_token(emu, req)
    if path == "/siem/v1/batch/events/cg":
        if m != "GET":
            r = v2_error(405, "method_not_allowed", "Only GET is supported")
            r.headers.append(("Allow", "GET"))
            return r
        return siem_batch(emu, req)
    if path.startswith("/blob/"):
        if m not in ("GET", "HEAD"):
            return s3_error(405, "MethodNotAllowed", "The specified method is not allowed against this resource.")
        return blob_get(emu, req)
    return envelope_error(404, "err_resource_not_found", "No such endpoint: %s" % path)


def is_v2_request(req):
    auth = req.headers.get("Authorization") or ""
    return req.path in ("/oauth/token",) or req.path.startswith("/siem/") or auth[:7].lower() == "bearer "


def preempt_fault(emu, req, f):
    """Faults that replace the response.  Returns a Resp, or None to go on
    (cooperative kinds, which the handlers and the sender act on)."""
    p = f.params
    kind = f.kind
    blob = req.path.startswith("/blob/")
    v2 = is_v2_request(req)

    def body_override(default):
        if "body" in p:
            return Resp(int(p.get("status", default.status)), str(p["body"]),
                        ctype=p.get("content_type", default.ctype), note=default.note)
        default.status = int(p.get("status", default.status))
        return default

    if kind == "slow":
        # "delay": seconds before anything is sent (default 5, or 0 when a
        # "stall" is given: pause for that long mid-body, see Handler.send).
        emu.stopping.wait(float(p.get("delay", 0 if p.get("stall") is not None else 5)))
        return None
    if kind == "429":
        reset = int(p.get("reset_ms", p.get("reset", 1000)))
        if blob:
            r = s3_error(429, "SlowDown", "Please reduce your request rate.")
        elif v2:
            r = v2_error(429, p.get("code", "rate_limit_exceeded"), p.get("message", "Rate limit exceeded"))
        else:
            r = envelope_error(429, p.get("code", "err_rate_limit_exceeded"), p.get("message", "Rate limit exceeded"))
        req.rl = (int(p.get("limit", emu.config["rate_api"][0])), 0, reset)
        if not req.path.startswith("/api/"):
            r.headers += [("X-RateLimit-Limit", str(p.get("limit", emu.config["rate_batch"][0]))),
                          ("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", str(reset))]
        if p.get("retry_after") is not None:
            r.headers.append(("Retry-After", str(p["retry_after"])))
        return body_override(r)
    if kind in ("401", "403", "418", "500"):
        status = int(kind)
        if blob:
            code = {401: "AccessDenied", 403: "AccessDenied", 418: "AccessDenied", 500: "InternalError"}[status]
            return body_override(s3_error(status, p.get("code", code), p.get("message", "Injected fault")))
        if v2 and status != 418:
            code = {401: "token_expired", 403: "app_forbidden", 500: "internal-error"}[status]
            msg = {401: "The access token has expired", 403: "The application is not allowed to use this API",
                   500: "Internal server error"}[status]
            return body_override(v2_error(status, p.get("code", code), p.get("message", msg)))
        code = {401: "err_xdk_invalid_signature", 403: "err_xdk_permission_denied",
                418: "err_xdk_binding_expired", 500: "err_xdk_internal_error"}[status]
        msg = {401: "0004 Invalid Signature", 403: "The user does not have the required permission",
               418: "Binding Expired", 500: "Internal Server Error"}[status]
        return body_override(envelope_error(status, p.get("code", code), p.get("message", msg),
                                            retryable=status == 500))
    if kind == "fail200":
        code = p.get("code", "err_placeholder")
        msg = p.get("message", "Injected failure")
        if v2 and not req.path.startswith("/api/"):
            return body_override(Resp(200, jdump({"fail": [{"code": code, "message": msg}]}), note=code))
        r = envelope_error(200, code, msg, retryable=bool(p.get("retryable", False)))
        return body_override(r)
    if kind == "wrong-region":
        r = envelope_error(int(p.get("status", 400)), "err_audit_log_incorrect_region",
                           p.get("message", "The account is not in this region. Use the correct regional API host."))
        return body_override(r)
    if kind == "token-expire":
        # A bearer token is revoked (the request and any retry with it get
        # 401 token_expired); otherwise the request's paging token (mc-siem-token,
        # audit pageToken, batch nextPage) is treated as expired.
        target = p.get("target", "bearer" if v2 and req.path != "/oauth/token" else "cursor")
        if target == "bearer":
            auth = req.headers.get("Authorization") or ""
            with emu.lock:
                tok = emu.oauth.get(auth[7:].strip())
                if tok:
                    tok["revoked"] = True
        else:
            req.flags.add("token-expire")
        return None
    if kind == "expired-url" and blob:
        return s3_error(403, "AccessDenied", "Request has expired")
    req.flags.add(kind)
    return None


def parse_body(emu, req):
    """JSON body -> (obj, None) or (None, Resp).  --lenient also takes
    Python-repr-like bodies (single quotes, True/False/None), as peers send."""
    if not req.body.strip():
        return {}, None
    try:
        text = req.body.decode("utf-8")
    except UnicodeDecodeError:
        return None, envelope_error(400, "err_validation_json", "Request body is not UTF-8")
    try:
        obj = json.loads(text)
    except ValueError as e:
        if not emu.config["lenient"]:
            return None, envelope_error(400, "err_validation_json", "Request body is not valid JSON: %s" % e)
        try:
            obj = ast.literal_eval(text)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            return None, envelope_error(400, "err_validation_json", "Request body could not be parsed")
    if not isinstance(obj, dict):
        return None, envelope_error(400, "err_validation_json", "Request body must be an object")
    return obj, None


def data0(obj):
    d = obj.get("data")
    if isinstance(d, list) and d and isinstance(d[0], dict):
        return d[0]
    return None


def auth_v1(emu, req):
    """Section 7 order: headers, app id, binding, signature, date skew.
    Returns (account entry, None) or (None, Resp)."""
    h = req.headers

    def fail(status, code, msg):
        emu.count("auth_failures", code)
        return None, envelope_error(status, code, msg)

    for name in ("Authorization", "x-mc-date", "x-mc-req-id", "x-mc-app-id"):
        if not h.get(name):
            # CHOICE: the code for a missing header is not documented.
            return fail(401, "err_xdk_missing_header", "Missing required header %s" % name)
    m = re.fullmatch(r"MC ([^:\s]+):(\S+)", h.get("Authorization"))
    if not m:
        return fail(401, "err_xdk_missing_header", "Authorization must be 'MC <accessKey>:<signature>'")
    access, sig = m.group(1), m.group(2)
    app_id = h.get("x-mc-app-id")
    app_key = emu.accounts.apps.get(app_id)
    if app_key is None:
        return fail(401, "err_developer_key", "The application id is not valid")   # CHOICE [uncertain code]
    entry = emu.accounts.v1.get(access)
    req.auth_key = access
    if entry is None:
        # CHOICE: an unknown access key cannot be verified: "invalid signature".
        return fail(401, "err_xdk_invalid_signature", "0004 Invalid Signature")
    exp = entry.get("_binding_expires")
    if exp is not None and emu.clock.now() >= exp:
        return fail(418, "err_xdk_binding_expired", "Binding Expired")
    # The signed string uses the header bytes exactly as received.
    raw = lambda n: h.get(n).encode("latin-1", "replace")
    if not verify_v1(entry["secret_key"], raw("x-mc-date"), raw("x-mc-req-id"), req.path.encode("latin-1", "replace"),
                     app_key, sig.encode("latin-1", "replace")):
        return fail(401, "err_xdk_invalid_signature", "0004 Invalid Signature")
    skew = emu.config["skew"]
    if skew and skew > 0:
        t = parse_mc_date(h.get("x-mc-date"))
        if t is None or abs(time.time() - t) > skew:
            # CHOICE: tolerance and code are undocumented [uncertain].
            return fail(401, "err_xdk_invalid_date", "x-mc-date is missing, malformed or outside the allowed window")
    return entry, None


def auth_v2(emu, req, scope):
    auth = req.headers.get("Authorization") or ""
    if auth[:7].lower() != "bearer " or not auth[7:].strip():
        emu.count("auth_failures", "unauthorized")
        return None, v2_error(401, "unauthorized", "Missing Bearer access token")  # CHOICE [uncertain code]
    with emu.lock:
        tok = emu.oauth.get(auth[7:].strip())
    if tok is None or tok.get("revoked") or emu.clock.now() >= tok["expires"]:
        emu.count("auth_failures", "token_expired")
        return None, v2_error(401, "token_expired", "The access token is invalid or has expired")
    client = emu.accounts.v2.get(tok["client_id"])
    req.auth_key = "v2:" + tok["client_id"]
    if client is None or scope not in client.get("scopes", []):
        emu.count("auth_failures", "app_forbidden")
        return None, v2_error(403, "app_forbidden", "The application does not have access to this API")
    return client, None


def rate_or_429(emu, req, key, endpoint):
    ok, rl = emu.api_rate(key, endpoint)
    req.rl = rl
    if ok:
        return None
    # CHOICE: the fail code that goes with 429 is undocumented [uncertain].
    return envelope_error(429, "err_rate_limit_exceeded", "Rate limit exceeded; retry after X-RateLimit-Reset ms")


def ok_envelope(data, meta=None):
    m = {"status": 200}
    if meta:
        m.update(meta)
    return Resp(200, jdump({"meta": m, "data": data, "fail": []}))


def api_discover(emu, req):
    """Unsigned.  data[0].region.api = the emulator's own base URL."""
    app_id = req.headers.get("x-mc-app-id")
    if not app_id:
        emu.count("auth_failures", "err_xdk_missing_header")
        return envelope_error(401, "err_xdk_missing_header", "Missing required header x-mc-app-id")
    if app_id not in emu.accounts.apps:
        emu.count("auth_failures", "err_developer_key")
        return envelope_error(401, "err_developer_key", "The application id is not valid")
    req.auth_key = "app:" + app_id
    r = rate_or_429(emu, req, req.auth_key, req.path)
    if r:
        return r
    obj, err = parse_body(emu, req)
    if err:
        return err
    d = data0(obj)
    email = d.get("emailAddress") if d else None
    if not email:
        return envelope_error(400, "err_validation_null", "emailAddress must not be null", key=d or {})
    out = {"emailAddress": email}
    if emu.accounts.by_email(email) or email.lower().rpartition("@")[2] in emu.accounts.domains():
        # CHOICE: only region.api is documented; the rest mirrors its likely shape.
        out["region"] = {"api": emu.base_url, "name": emu.accounts.account.get("region", "emu")}
        out["authenticate"] = ["cloud"]
    # An unknown address gets no region (XSOAR1 reads that as "bad email").
    return ok_envelope([out])


def api_login(emu, req):
    """Basic-Cloud/Basic-AD base64(email:password) -> the binding's keys."""
    app_id = req.headers.get("x-mc-app-id")
    if not app_id or app_id not in emu.accounts.apps:
        emu.count("auth_failures", "err_developer_key")
        return envelope_error(401, "err_developer_key", "The application id is not valid")
    req.auth_key = "app:" + app_id
    r = rate_or_429(emu, req, req.auth_key, req.path)
    if r:
        return r
    m = re.fullmatch(r"Basic-(Cloud|AD) (\S+)", req.headers.get("Authorization") or "")
    entry = None
    if m:
        try:
            email, _, password = base64.b64decode(m.group(2), validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            email, password = "", ""
        entry = emu.accounts.by_email(email)
        if entry is not None and not hmac.compare_digest(_b(entry.get("password", "")), _b(password)):
            entry = None
    if entry is None or not entry.get("password"):
        emu.count("auth_failures", "err_xdk_invalid_credentials")
        return envelope_error(401, "err_xdk_invalid_credentials", "Invalid user name or password")  # CHOICE
    exp = entry.get("_binding_expires")
    return ok_envelope([{"accessKey": entry["access_key"], "secretKey": entry["secret_key"],
                         "userName": entry["email"], "duration": 0 if exp is None else int(exp - emu.clock.now()),
                         "bindingType": "one_step"}])


def api_get_account(emu, req):
    entry, err = auth_v1(emu, req)
    if err:
        return err
    r = rate_or_429(emu, req, req.auth_key, req.path)
    if r:
        return r
    obj, err = parse_body(emu, req)
    if err:
        return err
    a = emu.accounts.account
    return ok_envelope([{
        "accountCode": entry.get("account_code", emu.accounts.account_code),
        "accountName": a.get("account_name", "Example"), "region": a.get("region", "emu"),
        "mimecastId": a.get("mimecast_id", "01-0000-00000"), "packages": a.get("packages", []),
        "adminSessionTimeout": 60, "timezone": a.get("timezone", "Europe/Berlin"),
        "maxRetention": 30, "type": "full"}])


def api_audit(emu, req):
    """get-audit-events, 1.0 (signed) or 2.0 (Bearer, scope 'audit')."""
    auth = req.headers.get("Authorization") or ""
    if auth[:7].lower() == "bearer ":
        req.v2 = True
        client, err = auth_v2(emu, req, "audit")
        if err:
            return err
        acct = client.get("account_code")
    else:
        entry, err = auth_v1(emu, req)
        if err:
            return err
        acct = entry.get("account_code")
    r = rate_or_429(emu, req, req.auth_key, req.path)
    if r:
        return r
    obj, err = parse_body(emu, req)
    if err:
        return err
    meta = obj.get("meta") if isinstance(obj.get("meta"), dict) else {}
    pag = meta.get("pagination") if isinstance(meta.get("pagination"), dict) else {}
    d = data0(obj) or {}
    size = pag.get("pageSize", 25)            # CHOICE: default 25, clamp 1..500 [uncertain]
    try:
        size = int(size)
    except (TypeError, ValueError):
        return envelope_error(400, "err_validation_invalid_value", "pageSize must be a number", key=d)
    size = max(1, min(500, size))
    now = emu.clock.now()
    token = pag.get("pageToken")
    if token:
        # The token is authoritative: it carries the window, the filters and
        # the offset; the snapshot `asof` keeps later events out of the chain.
        t = emu.unseal(token) if isinstance(token, str) else None
        if t is None or t.get("k") != "audit" or t.get("acct") != acct or "token-expire" in req.flags:
            return envelope_error(400, "err_audit_invalid_page_token", "The page token is invalid or has expired",
                                  key={"pageToken": token if isinstance(token, str) else str(token)})
        start, end, offset, asof = t["s"], t["e"], t["o"], t["a"]
        cats, query = t.get("c") or [], t.get("q")
        if "pageSize" not in pag:
            size = t.get("n", size)
    else:
        start_s, end_s = d.get("startDateTime"), d.get("endDateTime")
        start = parse_iso(start_s) if start_s else now - AUDIT_LOOKBACK   # CHOICE [uncertain defaults]
        end = parse_iso(end_s) if end_s else now
        if start is None or end is None:
            bad = "startDateTime" if start is None else "endDateTime"
            return envelope_error(400, "err_validation_invalid_date",
                                  "%s must be yyyy-MM-ddTHH:mm:ss with +hhmm, +hh:mm or Z" % bad, key=d)
        if start > end:
            return envelope_error(400, "err_validation_invalid_value", "startDateTime is after endDateTime", key=d)
        start = max(start, now - AUDIT_LOOKBACK)
        cats = d.get("categories") or []
        if not isinstance(cats, list):
            cats = [cats]
        query = d.get("query") or None
        offset = 0
        with emu.lock:
            asof = emu.audit.seq
    with emu.lock:
        events = emu.audit.select(start, end, now, asof, cats, query)
    total = len(events)
    n = size
    if "partial-page" in req.flags:
        n = min(size, int(req.fault.params.get("n", 1)))
    page = events[offset:offset + n]
    pagination = {"pageSize": size, "totalCount": total}
    if offset + len(page) < total:
        pagination["next"] = emu.seal({"k": "audit", "s": start, "e": end, "o": offset + len(page), "a": asof,
                                       "c": cats, "q": query, "n": size, "acct": acct})
        emu.count("tokens_issued", "audit")
    if offset > 0:
        pagination["previous"] = emu.seal({"k": "audit", "s": start, "e": end, "o": max(0, offset - size),
                                           "a": asof, "c": cats, "q": query, "n": size, "acct": acct})
    emu.record("audit_pages", {"count": len(page), "offset": offset, "total": total,
                               "auth": "v2" if req.v2 else "v1", "next": "next" in pagination})
    with emu.lock:
        emu.stats["audit_events_served"] += len(page)
    r = ok_envelope(page, {"pagination": pagination})
    r.note = "events=%d total=%d" % (len(page), total)
    return r


def api_siem(emu, req):
    entry, err = auth_v1(emu, req)
    if err:
        return err
    acct = entry.get("account_code")
    r = rate_or_429(emu, req, req.auth_key, req.path)
    if r:
        return r
    obj, err = parse_body(emu, req)
    if err:
        return err
    d = data0(obj)
    if d is None:
        return envelope_error(400, "err_validation_null", "data must hold one request object")
    if not d.get("type"):
        return envelope_error(400, "err_validation_null", "type must not be null", key=d)
    if str(d["type"]).upper() != "MTA":
        return envelope_error(400, "err_validation_invalid_value", "type must be MTA", key=d)
    fmt = str(d.get("fileFormat") or "key_value").lower()      # case-insensitive [inferred]
    if fmt not in ("key_value", "json"):
        return envelope_error(400, "err_validation_invalid_value", "fileFormat must be key_value or json", key=d)
    compress = d.get("compress", False)
    if isinstance(compress, str):
        compress = compress.strip().lower() == "true"
    compress = bool(compress)
    token = d.get("token")
    now = emu.clock.now()
    pos = SIEM_ID_BASE - 1
    if token:
        t = emu.unseal(token) if isinstance(token, str) else None
        if t is None or t.get("k") != "siem" or t.get("account") != acct:
            return envelope_error(400, "err_audit_siem_invalid_token", "The token is invalid", key=d)
        if "token-expire" in req.flags or t.get("createTime", 0) / 1000.0 < now - RETENTION:
            return envelope_error(400, "err_audit_siem_invalid_token",
                                  "The token has expired: its log file is older than the retention period", key=d)
        pos = int(t["siemlogid"])
    with emu.lock:
        e = emu.siem.next_after(pos, fmt, compress, now)
    if e is None:
        # Case C: no more data.  CHOICE: echo the request token (or omit it).
        r = Resp(200, jdump({"meta": {"isLastToken": True, "status": 200}, "data": [], "fail": []}),
                 note="isLastToken")
        if token and emu.config["siem_end_token"] == "echo":
            r.headers.append(("mc-siem-token", token))
        with emu.lock:
            emu.stats["siem_end_of_data"] += 1
        return r
    name, body = e.body(compress)
    new_token = emu.seal({"k": "siem", "offset": 0, "siemlogid": e.id, "createTime": int(e.created_at * 1000),
                          "siemlogtype": 1 if fmt == "json" else 0, "version": 1, "account": acct})
    served_token = new_token
    headers = [("Content-Disposition", 'attachment; filename="%s"' % name)]
    if "sametoken" in req.flags:
        served_token = token or new_token
    if "notoken" not in req.flags:
        headers.append(("mc-siem-token", served_token))
        emu.count("tokens_issued", "siem")
    emu.record("siem_served", {"name": name, "id": e.id, "file": e.name, "token": served_token
                               if "notoken" not in req.flags else None, "request_token": token or None,
                               "format": fmt, "compress": compress, "bytes": body.length})
    return Resp(200, body, ctype="application/octet-stream", headers=headers, note=name)


def oauth_token(emu, req):
    ctype = (req.headers.get("Content-Type") or "").lower()
    if not ctype.startswith("application/x-www-form-urlencoded"):
        return v2_error(400, "invalid_request", "Content-Type must be application/x-www-form-urlencoded")
    try:
        form = urllib.parse.parse_qs(req.body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError:
        return v2_error(400, "invalid_request", "The body is not UTF-8")
    get = lambda k: (form.get(k) or [""])[0]
    if get("grant_type") != "client_credentials":
        return v2_error(400, "unsupported_grant_type", "grant_type must be client_credentials")  # CHOICE
    client = emu.accounts.v2.get(get("client_id"))
    if client is None or not hmac.compare_digest(_b(client.get("client_secret", "")), _b(get("client_secret"))):
        emu.count("auth_failures", "InvalidClientIdentifier")
        return v2_error(401, "InvalidClientIdentifier", "Client credentials are invalid")
    tok = secrets.token_urlsafe(32)
    exp = int(emu.config["oauth_expires_in"])
    with emu.lock:
        emu.oauth[tok] = {"client_id": client["client_id"], "expires": emu.clock.now() + exp}
        emu.stats["tokens_issued"]["oauth"] += 1
    # The real reply carries scope "" [code]; product scopes stay server-side.
    return Resp(200, jdump({"access_token": tok, "token_type": "Bearer", "expires_in": exp, "scope": ""}),
                headers=[("Cache-Control", "no-store")], note="client=%s" % client.get("name", client["client_id"]))


def _batch_rl_headers(emu, rl):
    limit, remaining, reset_s = rl
    fmt = emu.config["v2_reset_format"]
    now = emu.clock.now()
    if fmt == "epoch-s":
        reset = str(int(now + reset_s + 0.999))
    elif fmt == "epoch-ms":
        reset = str(int((now + reset_s) * 1000))
    else:
        reset = str(max(0, int(reset_s * 1000)))
    return [("X-RateLimit-Limit", str(limit)), ("X-RateLimit-Remaining", str(max(0, remaining))),
            ("X-RateLimit-Reset", reset)]


def siem_batch(emu, req):
    client, err = auth_v2(emu, req, "siem")
    if err:
        return err
    ok, rl = emu.batch_rate(client["client_id"])
    rl_headers = _batch_rl_headers(emu, rl)
    if not ok:
        r = v2_error(429, "rate_limit_exceeded", "Too many requests")   # CHOICE: code [uncertain]
        r.headers += rl_headers
        if emu.config["retry_after"]:
            r.headers.append(("Retry-After", str(max(1, int(rl[2] + 0.999)))))
        return r

    def bad(msg):
        r = v2_error(400, "validation_error", msg)   # CHOICE: 2.0 400 body code [uncertain]
        r.headers += rl_headers
        return r

    vtype = req.q("type")
    if vtype is None or vtype == "":
        return bad("type is required")
    if vtype not in V2_TYPES:
        return bad("type must be one of: %s" % ", ".join(V2_TYPES))
    now = emu.clock.now()
    today = dt.datetime.fromtimestamp(now, dt.timezone.utc).date()
    oldest = today - dt.timedelta(days=7)

    def day(name):
        v = req.q(name)
        if v is None:
            return None, None
        m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", v)
        try:
            return (dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3))) if m else False), v
        except ValueError:
            return False, v

    start, start_s = day("dateRangeStartsAt")
    end, end_s = day("dateRangeEndsAt")
    if start is False or end is False:
        return bad("dateRangeStartsAt and dateRangeEndsAt must be dates YYYY-MM-DD")
    if start is not None and start < oldest:
        return bad("dateRangeStartsAt must not be older than 7 days (%s)" % oldest.isoformat())
    ps = req.q("pageSize")
    if ps is None:
        page_size = 100                              # CHOICE: default [uncertain]
    else:
        if not re.fullmatch(r"\d+", ps) or not 1 <= int(ps) <= 100:
            return bad("pageSize must be between 1 and 100")
        page_size = int(ps)
    cursor = req.q("nextPage")
    # CHOICE [uncertain]: without a cursor the dates default to today; with a
    # cursor and no dates only the cursor (and retention) decide.
    if start is None:
        start = None if cursor else today
    if end is None:
        end = None if cursor and start is None else today
    if start is not None and end is not None and end < start:
        return bad("dateRangeEndsAt is before dateRangeStartsAt")
    with emu.lock:
        segs = emu.v2.types[vtype]
        if cursor:
            pos = emu.v2.position(vtype, cursor)
            if pos is None or "token-expire" in req.flags:
                return bad("nextPage is not a valid cursor for this type")
            i, off = pos
        else:
            i, off = 0, 0
        # Walk from the cursor: one segment per page (an empty segment is a page
        # of its own), at most pageSize files, passing over files that aged out
        # or lie before the range, and stopping ("caught up") at a file not yet
        # produced or past the range.
        page, caught_up = [], False          # page: (file, segment index, offset)
        while True:
            if i >= len(segs):
                caught_up = True
                break
            files = segs[i].files
            stop = took_any = False
            while off < len(files):
                f = files[off]
                fday = dt.date.fromisoformat(f.day)
                if f.created_at > now or (end is not None and fday > end):
                    stop = True
                    break
                if f.created_at < now - RETENTION or (start is not None and fday < start):
                    off += 1
                    continue
                if len(page) >= page_size:
                    break
                page.append((f, i, off))
                took_any = True
                off += 1
            if stop:
                caught_up = True
                break
            if off < len(files):
                break                          # the page is full inside this segment
            i, off = i + 1, 0
            if not files or took_any:
                caught_up = i >= len(segs)
                break
            # every file of this segment was passed over: go on to the next
        if "partial-page" in req.flags and page:
            n = max(0, min(len(page), int(req.fault.params.get("n", 1))))
            if n < len(page):
                _, i, off = page[n]            # continue right after what is returned
                page, caught_up = page[:n], False
        nxt = emu.v2.token_for(vtype, i, off)
        if "sametoken" in req.flags and cursor:
            nxt = cursor
        page = [f for f, _, _ in page]
    issued = int(now)
    ttl = int(emu.config["blob_ttl"])
    if "expired-url" in req.flags:
        issued = int(now) - ttl - 60
    acct = client.get("account_code", emu.accounts.account_code)
    value = []
    for f in page:
        path = f.path(acct)
        amz_date = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(issued))
        sig = hmac.new(emu.secret, ("%s|%s|%d" % (path, amz_date, ttl)).encode(), hashlib.sha256).hexdigest()
        q = urllib.parse.urlencode([
            ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
            ("X-Amz-Credential", "AKIAEMULATOR00000000/%s/eu-west-2/s3/aws4_request" % amz_date[:8]),
            ("X-Amz-Date", amz_date), ("X-Amz-Expires", str(ttl)), ("X-Amz-SignedHeaders", "host"),
            ("X-Amz-Signature", sig)])
        value.append({"url": "%s%s?%s" % (emu.base_url, path, q), "size": f.content.length,
                      "expiry": fmt_expiry(int(issued) + ttl)})
    body = {"value": value, "@nextPage": nxt, "isCaughtUp": caught_up}
    if "missing-nextpage" in req.flags:
        del body["@nextPage"]
        if "isCaughtUp" in req.fault.params:
            body["isCaughtUp"] = bool(req.fault.params["isCaughtUp"])
    emu.count("tokens_issued", "batch")
    emu.record("batch_pages", {"type": vtype, "files": [f.name for f in page], "nextPage": body.get("@nextPage"),
                               "cursor": cursor, "isCaughtUp": body["isCaughtUp"]})
    r = Resp(200, jdump(body) + b"\n", headers=rl_headers)
    r.note = "type=%s files=%d caughtUp=%s" % (vtype, len(page), body["isCaughtUp"])
    return r


def blob_get(emu, req):
    # S3 refuses a second auth mechanism [inferred; GRAV]: checked first.
    if req.headers.get("Authorization"):
        return s3_error(400, "InvalidArgument", "Only one auth mechanism allowed; only the X-Amz-Algorithm query "
                        "parameter, Signature query string parameter or the Authorization header should be specified")
    amz_date, expires, sig = req.q("X-Amz-Date"), req.q("X-Amz-Expires"), req.q("X-Amz-Signature")
    if not (amz_date and expires and sig) or not expires.isdigit():
        return s3_error(403, "AccessDenied", "Query-string authentication requires the X-Amz-Date, "
                        "X-Amz-Expires and X-Amz-Signature parameters")
    want = hmac.new(emu.secret, ("%s|%s|%s" % (req.path, amz_date, expires)).encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(want, sig):
        return s3_error(403, "SignatureDoesNotMatch", "The request signature we calculated does not match the "
                        "signature you provided.")
    try:
        issued = calendar.timegm(time.strptime(amz_date, "%Y%m%dT%H%M%SZ"))
    except ValueError:
        return s3_error(403, "AccessDenied", "X-Amz-Date is malformed")
    if emu.clock.now() > issued + int(expires):
        return s3_error(403, "AccessDenied", "Request has expired")
    parts = req.path.split("/")
    # /blob/<account>/<type>/<day>/<name>
    if len(parts) != 6:
        return s3_error(404, "NoSuchKey", "The specified key does not exist.")
    vtype = urllib.parse.unquote(parts[3])
    with emu.lock:
        f = emu.v2.find(vtype, parts[4], parts[5])
    if f is None or f.created_at < emu.clock.now() - RETENTION:
        return s3_error(404, "NoSuchKey", "The specified key does not exist.")
    etag = '"%s"' % hashlib.md5(("%s/%d" % (f.name, f.content.length)).encode()).hexdigest()
    emu.record("blobs_served", {"name": f.name, "type": vtype, "bytes": f.content.length, "method": req.method,
                                "range": req.headers.get("Range")})
    return Resp(200, f.content, ctype="application/octet-stream",
                headers=[("ETag", etag), ("Accept-Ranges", "bytes")], note=f.name)


# --------------------------------------------------------------------------
# Control API (/_emu/...)
# --------------------------------------------------------------------------

def control(emu, req):
    p, m = req.path.rstrip("/"), req.method

    def ok(obj, status=200):
        return Resp(status, jdump(obj) + b"\n")

    def err(msg, status=400):
        return Resp(status, jdump({"error": msg}) + b"\n", note="control-error")

    body = {}
    if req.body.strip():
        try:
            body = json.loads(req.body)
        except ValueError as e:
            return err("control body must be JSON: %s" % e)
    try:
        if p == "/_emu/health":
            return ok({"ok": True, "url": emu.base_url, "pid": os.getpid(), "now": emu.clock.now()})
        if p == "/_emu/stats" and m == "GET":
            with emu.lock:
                return ok(json.loads(json.dumps(emu.stats)))
        if p == "/_emu/fault":
            if m == "GET":
                with emu.lock:
                    return ok({"faults": [f.describe() for f in emu.faults]})
            if m == "DELETE":
                with emu.lock:
                    emu.faults = []
                return ok({"faults": []})
            if m == "POST":
                specs = body if isinstance(body, list) else [body]
                return ok({"ids": [emu.add_fault(s).id for s in specs]})
        if p == "/_emu/fault/clear" and m == "POST":
            with emu.lock:
                emu.faults = []
            return ok({"faults": []})
        if p == "/_emu/clock":
            if m == "POST":
                with emu.lock:
                    if "offset" in body:
                        emu.clock.offset = float(body["offset"])
                    if "advance" in body:
                        emu.clock.offset += float(body["advance"])
                    if "set" in body:
                        emu.clock.offset = parse_when(body["set"], emu.clock) - time.time()
            return ok({"now": emu.clock.now(), "now_iso": fmt_expiry(emu.clock.now()), "offset": emu.clock.offset})
        if p == "/_emu/reset" and m == "POST":
            emu.reset(data=body.get("data", True), clock=body.get("clock", True))
            return ok({"reset": True})
        if p == "/_emu/config":
            if m == "POST":
                with emu.lock:
                    for k, v in body.items():
                        if k not in emu.config:
                            return err("unknown config key %r" % k)
                        if k in ("rate_api", "rate_batch"):
                            v = parse_rate(v)
                        if k == "rate_endpoints":
                            v = {ep: list(parse_rate(x)) for ep, x in v.items()}
                        if k == "siem_end_token" and v not in ("echo", "omit"):
                            return err("siem_end_token must be echo or omit")
                        if k == "v2_reset_format" and v not in ("ms", "epoch-s", "epoch-ms"):
                            return err("v2_reset_format must be ms, epoch-s or epoch-ms")
                        emu.config[k] = list(v) if isinstance(v, tuple) else v
                    emu.buckets, emu.windows = {}, {}
            with emu.lock:
                return ok(emu.config)
        if p == "/_emu/siem/append" and m == "POST":
            if "files" in body:
                out = emu.append_siem_files(body["files"])
            else:
                out = emu.gen_siem(body)
            return ok({"files": [e.describe() for e in out]})
        if p == "/_emu/siem/queue" and m == "GET":
            fmt = (req.q("fileFormat") or "key_value").lower()
            compress = (req.q("compress") or "false").lower() == "true"
            if fmt not in ("key_value", "json"):
                return err("fileFormat must be key_value or json")
            now = emu.clock.now()
            with emu.lock:
                view = emu.siem.view(fmt, compress)
                out = []
                for e in view:
                    d = e.describe(compress)
                    d["retained"] = e.created_at >= now - RETENTION
                    d["produced"] = e.created_at <= now
                    if req.q("sha256") == "1":
                        h = hashlib.sha256()
                        for c in e.body(compress)[1].chunks():
                            h.update(c)
                        d["sha256"] = h.hexdigest()
                    out.append(d)
            return ok({"fileFormat": fmt, "compress": compress, "files": out})
        if p == "/_emu/audit/append" and m == "POST":
            n = emu.append_audit_events(body["events"]) if "events" in body else emu.gen_audit(body)
            return ok({"added": n})
        if p == "/_emu/audit/events" and m == "GET":
            now = emu.clock.now()
            with emu.lock:
                evs = [dict(obj, _t=t, _seq=seq, _visible=t <= now) for t, seq, obj in emu.audit.events]
            return ok({"events": evs})
        if p == "/_emu/v2/append" and m == "POST":
            files = emu.gen_v2(body)
            return ok({"files": [{"type": f.type, "name": f.name, "day": f.day, "bytes": f.content.length}
                                 for f in files]})
        if p == "/_emu/v2/files" and m == "GET":
            with emu.lock:
                out = {}
                for vtype, segs in emu.v2.types.items():
                    out[vtype] = [{"token_after": s.token,
                                   "files": [{"name": f.name, "day": f.day, "bytes": f.content.length,
                                              "created_at": f.created_at, "origin": f.origin} for f in s.files]}
                                  for s in segs]
            return ok({"types": out})
    except ApiError as e:
        return err(str(e))
    except (KeyError, TypeError, ValueError) as e:
        return err("bad control request: %r" % (e,))
    return err("no such control endpoint: %s %s" % (m, p), 404)


# --------------------------------------------------------------------------
# Server, logging, main
# --------------------------------------------------------------------------

class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def handle_error(self, request, client_address):
        # TLS handshake failures and dropped connections: one log line, no traceback.
        e = sys.exc_info()[1]
        self.emu.log("connection error from %s: %r" % (client_address[0], e))


def parse_rate(v):
    """'50/900' or [50, 900] -> (limit, window seconds)."""
    if isinstance(v, (list, tuple)):
        a, b = v
    else:
        a, _, b = str(v).partition("/")
    a, b = int(a), float(b or 60)
    if a < 1 or b <= 0:
        raise ValueError("rate must be LIMIT/SECONDS with both positive")
    return a, b


def parse_kv_spec(s):
    """'count=100,size=50M,type=receipt' -> dict."""
    out = {}
    for part in s.split(","):
        if not part.strip():
            continue
        k, sep, v = part.partition("=")
        if not sep:
            raise argparse.ArgumentTypeError("expected key=value in %r" % s)
        out[k.strip()] = v.strip()
    return out


def parse_anchor(s):
    m = re.fullmatch(r"(?:(newest|oldest):)?(-?\d+)", s.strip())
    if not m:
        raise argparse.ArgumentTypeError("expected [newest|oldest:]SECONDS")
    return (m.group(1) or "newest", int(m.group(2)))


def build_argparser():
    default_samples = os.environ.get("MCSPOOL_SAMPLES") or os.path.normpath(
        os.path.join(HERE, "..", "..", "..", "shared", "samples"))
    ap = argparse.ArgumentParser(prog="mcemu.py", description="Local Mimecast API 1.0/2.0 emulator (see README.md).")
    ap.add_argument("--dir", help="state directory: url, pid, emu.log, gen/, cache/ (default: a new temp dir)")
    ap.add_argument("--samples", default=default_samples, help="sample directory (default $MCSPOOL_SAMPLES or "
                    "../shared/samples next to the project)")
    ap.add_argument("--accounts", default=os.path.join(HERE, "accounts.json"), help="credentials file")
    ap.add_argument("--bind", default="127.0.0.1", help="listen address (default 127.0.0.1)")
    ap.add_argument("--port", type=int, default=0, help="TCP port; 0 picks a free one (default)")
    ap.add_argument("--public-host", default=None, help="host name used in the url file and in URLs handed out "
                    "(default: the bind address)")
    ap.add_argument("--http", action="store_true", help="plain HTTP instead of TLS")
    ap.add_argument("--tls-cert", help="server certificate (PEM), e.g. from mkca.sh")
    ap.add_argument("--tls-key", help="server key (PEM)")
    ap.add_argument("--lenient", action="store_true", help="also accept Python-repr-like request bodies")
    ap.add_argument("--skew", type=float, default=900, help="allowed x-mc-date skew in seconds (default 900; 0 = off)")
    ap.add_argument("--clock-offset", type=float, default=0.0, help="start with the emulator clock moved by SECONDS")
    ap.add_argument("--no-rebase", action="store_true", help="serve the sample times unchanged (2024-11-25)")
    ap.add_argument("--audit-anchor", type=parse_anchor, default=("newest", 180),
                    help="[newest|oldest:]SECONDS: put the newest (or oldest) sample audit event SECONDS before "
                    "start (default newest:180)")
    ap.add_argument("--siem-anchor", type=int, default=120, help="newest 1.0 sample file is SECONDS before start "
                    "(default 120)")
    ap.add_argument("--v2-anchor", type=int, default=120, help="newest 2.0 sample batch file is SECONDS before start "
                    "(default 120)")
    ap.add_argument("--siem-end-token", choices=("echo", "omit"), default="echo",
                    help="on the end-of-data reply, echo the request token in mc-siem-token, or omit it")
    ap.add_argument("--rate-api", type=parse_rate, default=(1000, 60.0), metavar="LIMIT/SECONDS",
                    help="token bucket per credential and /api endpoint (default 1000/60)")
    ap.add_argument("--rate-batch", type=parse_rate, default=(50, 900.0), metavar="LIMIT/SECONDS",
                    help="fixed window per client for /siem/v1/batch/events/cg (default 50/900)")
    ap.add_argument("--v2-reset-format", choices=("ms", "epoch-s", "epoch-ms"), default="ms",
                    help="X-RateLimit-Reset on the batch endpoint (default ms, a duration)")
    ap.add_argument("--retry-after", action="store_true", help="send Retry-After with the batch endpoint's 429")
    ap.add_argument("--oauth-expires-in", type=int, default=1799, help="access token lifetime (default 1799)")
    ap.add_argument("--blob-ttl", type=int, default=3600, help="pre-signed URL lifetime in seconds (default 3600)")
    ap.add_argument("--token-secret", default="mcspool-emulator", help="key for the MACs in tokens and URLs")
    ap.add_argument("--gen-kv", type=parse_kv_spec, action="append", default=[], metavar="SPEC",
                    help="add generated 1.0 kv files: count=N,size=BYTES|records=N,type=T|mixed,seed=S,zip_method=M")
    ap.add_argument("--gen-zip", type=parse_kv_spec, action="append", default=[], metavar="SPEC",
                    help="add generated 1.0 zips: count=N,members=M,size=BYTES|records=N,type=T,seed=S")
    ap.add_argument("--gen-v2", type=parse_kv_spec, action="append", default=[], metavar="SPEC",
                    help="add generated 2.0 batch files: type=T,count=N,size=BYTES|records=N,mode=auto|disk|stored,"
                    "per_page=N,seed=S")
    ap.add_argument("--gen-audit", type=parse_kv_spec, action="append", default=[], metavar="SPEC",
                    help="add generated audit events: count=M,seed=S,span=SECONDS,end=TIME")
    ap.add_argument("--selftest-vectors", action="store_true", help="check the section 1.3 vectors and exit")
    return ap


def selftest_vectors():
    bad = 0
    for key, date, req_id, app_key, uri, want in SIGNATURE_VECTORS:
        got = sign_v1(key, date, req_id, uri, app_key)
        ok = got == want and verify_v1(key, date, req_id, uri, app_key, want) and \
            not verify_v1(key, date, req_id, uri + "x", app_key, want)
        print("%s %s %s" % ("ok" if ok else "FAIL", uri, got))
        bad += not ok
    return 1 if bad else 0


def write_atomic(path, text):
    tmp = "%s.tmp%d" % (path, os.getpid())
    with open(tmp, "w") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def main(argv=None):
    opts = build_argparser().parse_args(argv)
    if opts.selftest_vectors:
        return selftest_vectors()
    if not opts.http and not (opts.tls_cert and opts.tls_key):
        print("mcemu: need --tls-cert and --tls-key (see mkca.sh), or --http", file=sys.stderr)
        return 2
    if not os.path.isdir(opts.samples):
        print("mcemu: no sample directory %s (--samples)" % opts.samples, file=sys.stderr)
        return 2
    if not opts.dir:
        import tempfile
        opts.dir = tempfile.mkdtemp(prefix="mcemu-")
    os.makedirs(opts.dir, exist_ok=True)
    for s in opts.gen_kv + opts.gen_zip + opts.gen_v2 + opts.gen_audit:
        for k in ("count", "records", "members", "per_page", "level"):
            if k in s:
                s[k] = int(s[k])
    log = open(os.path.join(opts.dir, "emu.log"), "a", buffering=1, encoding="utf-8")
    try:
        emu = Emulator(opts, log)
    except (ApiError, ValueError, OSError, KeyError) as e:
        print("mcemu: %s" % e, file=sys.stderr)
        return 2
    srv = Server((opts.bind, opts.port), Handler)
    srv.emu = emu
    if not opts.http:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(opts.tls_cert, opts.tls_key)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True, do_handshake_on_connect=False)
    port = srv.server_address[1]
    host = opts.public_host or opts.bind
    if ":" in host:
        host = "[%s]" % host
    emu.base_url = "%s://%s:%d" % ("http" if opts.http else "https", host, port)

    def stop(signum, frame):
        emu.stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    t = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    t.start()
    write_atomic(os.path.join(opts.dir, "pid"), "%d\n" % os.getpid())
    write_atomic(os.path.join(opts.dir, "url"), emu.base_url + "\n")
    emu.log("%s start url=%s samples=%s pid=%d" % (time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()),
                                                 emu.base_url, opts.samples, os.getpid()))
    while not emu.stopping.wait(1.0):
        pass
    emu.log("%s stop" % time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()))
    for n in ("url", "pid"):
        try:
            os.unlink(os.path.join(opts.dir, n))
        except OSError:
            pass
    # Connection threads are daemons; leave at once, even mid-download.
    log.flush()
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
