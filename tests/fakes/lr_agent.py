#!/usr/bin/env python3
"""A fake LogRhythm System Monitor Agent, for mcspool's tests and demo.

It reads a flat-file log source the way the real agent does (see
doc/../tests/fakes/README.md and the project's logrhythm.md notes):

* directory mode: every regular file directly in READ_PATH whose name matches
  the inclusion pattern (default *.log and *.json) is a tracked file;
* each file is read from the byte offset saved for it, complete lines only
  (LF, CRLF or a bare CR end a line), up to --chunk bytes per file per cycle;
* per log source it keeps STATE_DIR/<log_source_id>/, one .pos file per
  tracked file, three lines: the path as the agent names it (--reader-path
  maps READ_PATH to e.g. D:\\mcspool\\read), the byte offset read so far,
  and .NET DateTime ticks (100 ns units since 0001-01-01) of the last read;
* the .pos file is rewritten in place (truncate, then write), not renamed,
  so a reader can see it half written (--atomic writes a temporary and
  renames instead);
* a file that disappears (moved away by the mover) keeps its .pos: stale
  .pos files are left alone, as the real agent does (--forget-gone removes
  them, to keep long test runs fast).

Every line it reads is appended to --out FILE (the "SIEM"), prefixed with
the file name and a tab, so a test can check nothing was lost or doubled.

Usage: lr_agent.py READ_PATH STATE_DIR LOG_SOURCE_ID [options]
  --once             one cycle, then exit (default: loop every --interval s)
  --interval S       seconds between cycles (default 1)
  --cycles N         stop after N cycles
  --chunk N          read at most N bytes per file per cycle (default all)
  --reader-path P    how the agent names READ_PATH (default READ_PATH)
  --eol crlf|lf      line ending of the .pos files (default crlf, Windows)
  --atomic           write .pos files by rename
  --forget-gone      remove .pos files of files that are gone
  --out FILE         append what was read here
  --poke FIFO        write a byte to FIFO after a cycle that read something
"""
import argparse
import hashlib
import os
import sys
import time

EPOCH_TICKS = 621355968000000000  # .NET ticks at 1970-01-01T00:00:00Z


def ticks(now=None):
    t = time.time() if now is None else now
    return EPOCH_TICKS + int(t * 10_000_000)


class Agent:
    def __init__(self, read_path, state_dir, lsid, reader_path=None, chunk=None,
                 eol="crlf", atomic=False, forget_gone=False, out=None,
                 patterns=(".log", ".json")):
        self.read_path = read_path
        self.dir = os.path.join(state_dir, str(lsid))
        self.reader_path = reader_path or read_path
        self.sep = "\\" if ("\\" in self.reader_path or self.reader_path[1:2] == ":") else "/"
        self.chunk = chunk
        self.eol = "\r\n" if eol == "crlf" else "\n"
        self.atomic = atomic
        self.forget_gone = forget_gone
        self.out = out
        self.patterns = patterns
        self.offsets = {}  # agent path -> offset, loaded from the .pos files

    def agent_path(self, name):
        return self.reader_path.rstrip("/\\") + self.sep + name

    def pos_name(self, apath):
        # How the real agent names .pos files is not documented; any stable
        # name per tracked file will do.
        return hashlib.sha1(apath.lower().encode()).hexdigest()[:16] + ".pos"

    def load(self):
        """The agent resumes from its .pos files at start."""
        self.offsets = {}
        if not os.path.isdir(self.dir):
            return
        for n in os.listdir(self.dir):
            if not n.endswith(".pos"):
                continue
            try:
                with open(os.path.join(self.dir, n), "rb") as f:
                    lines = f.read().decode().splitlines()
                self.offsets[lines[0]] = int(lines[1])
            except (OSError, ValueError, IndexError, UnicodeDecodeError):
                pass

    def write_pos(self, apath, offset):
        os.makedirs(self.dir, exist_ok=True)
        body = (apath + self.eol + str(offset) + self.eol + str(ticks()) + self.eol).encode()
        p = os.path.join(self.dir, self.pos_name(apath))
        if self.atomic:
            with open(p + ".tmp", "wb") as f:
                f.write(body)
            os.rename(p + ".tmp", p)
        else:
            with open(p, "r+b" if os.path.exists(p) else "wb") as f:
                f.truncate(0)
                f.write(body)

    def read_file(self, name):
        apath = self.agent_path(name)
        off = self.offsets.get(apath, 0)
        try:
            with open(os.path.join(self.read_path, name), "rb") as f:
                f.seek(off)
                data = f.read(self.chunk) if self.chunk else f.read()
        except FileNotFoundError:
            return 0
        # Complete lines only: the last terminator in what we got.
        end = max(data.rfind(b"\n"), data.rfind(b"\r"))
        if end < 0:
            if apath not in self.offsets:
                self.offsets[apath] = off
                self.write_pos(apath, off)
            return 0
        if data[end:end + 1] == b"\r" and end + 1 == len(data) == self.chunk:
            # The LF of a CRLF may follow in the next chunk.
            end = max(data.rfind(b"\n", 0, end), data.rfind(b"\r", 0, end))
            if end < 0:
                return 0
        used = data[:end + 1]
        if self.out is not None:
            recs = used.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")[:-1]
            with open(self.out, "ab") as o:
                for r in recs:
                    o.write(name.encode() + b"\t" + r + b"\n")
        self.offsets[apath] = off + len(used)
        self.write_pos(apath, off + len(used))
        return len(used)

    def cycle(self):
        """Read what is new in every tracked file; return bytes read."""
        got = 0
        try:
            names = sorted(os.listdir(self.read_path))
        except FileNotFoundError:
            names = []
        present = set()
        for n in names:
            if n.startswith(".") or not n.endswith(self.patterns):
                continue
            if not os.path.isfile(os.path.join(self.read_path, n)):
                continue
            present.add(self.agent_path(n))
            got += self.read_file(n)
        if self.forget_gone:
            for apath in [p for p in self.offsets if p not in present]:
                del self.offsets[apath]
                try:
                    os.unlink(os.path.join(self.dir, self.pos_name(apath)))
                except FileNotFoundError:
                    pass
        return got


def main():
    ap = argparse.ArgumentParser(description="fake LogRhythm System Monitor Agent")
    ap.add_argument("read_path")
    ap.add_argument("state_dir")
    ap.add_argument("log_source_id", type=int)
    ap.add_argument("--once", action="store_true")
    ap.add_argument("--interval", type=float, default=1.0)
    ap.add_argument("--cycles", type=int, default=0)
    ap.add_argument("--chunk", type=int, default=0)
    ap.add_argument("--reader-path")
    ap.add_argument("--eol", choices=("crlf", "lf"), default="crlf")
    ap.add_argument("--atomic", action="store_true")
    ap.add_argument("--forget-gone", action="store_true")
    ap.add_argument("--out")
    ap.add_argument("--poke")
    a = ap.parse_args()
    agent = Agent(a.read_path, a.state_dir, a.log_source_id, a.reader_path, a.chunk or None,
                  a.eol, a.atomic, a.forget_gone, a.out)
    agent.load()
    n = 0
    while True:
        got = agent.cycle()
        n += 1
        if got and a.poke:
            try:
                fd = os.open(a.poke, os.O_WRONLY | os.O_NONBLOCK)
                os.write(fd, b"x")
                os.close(fd)
            except OSError:
                pass
        if a.once or (a.cycles and n >= a.cycles):
            return 0
        time.sleep(a.interval)


if __name__ == "__main__":
    sys.exit(main())
