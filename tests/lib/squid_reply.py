#!/usr/bin/env python3
"""squid_reply.py - read helper replies the way Squid does, to check that
what our helpers write comes back to Squid as the bytes we meant.

This is a re-implementation, in Python, of what Squid 5.7 (Debian 12) does
with a digest helper's standard output.  Each step names the Squid source
it follows; the current master behaves the same for these replies:

  src/helper.cc, helperHandleRead   the stream is cut at LF; a CR right
                                    before the LF is dropped; with
                                    concurrency, strtol() reads the channel
                                    ID and the blanks after it are skipped
  src/helper/Reply.cc, finalize     the first word: OK, ERR or BH, then a
                                    space or the end; blanks skipped
  src/helper/Reply.cc,              key = [A-Za-z0-9_-]*, then '=' not
    parseResponseKeys               followed by a blank; the value is read
                                    by strwordtok(); a value that did not
                                    start with '"' and is longer than 2
                                    bytes is %-decoded (rfc1738_unescape);
                                    parsing stops at the first word that is
                                    not such a pair, and for BH what is
                                    left becomes message
  src/String.cc, strwordtok         blanks skipped; '"' toggles quoting
                                    (and is dropped); inside quotes '\\'
                                    escapes the next byte, "\\n" and "\\r"
                                    giving LF and CR; outside quotes '\\'
                                    is an ordinary byte; an unquoted blank
                                    ends the word
  lib/rfc1738.c, rfc1738_unescape   "%%" is '%', "%XY" (hex, not 00) the
                                    byte; anything else is kept

Blanks are C isspace(): space, \\t, \\n, \\v, \\f, \\r.  The buffer is a C
string: a NUL byte ends it.

As a module:  parse_stream(data, concurrency) -> [Reply]
              parse_line(line, concurrency)   -> Reply
              encode_value(bytes)             -> what our helpers write
As a program:

  squid_reply.py show [--concurrency] [FILE]
        one line of JSON per reply: id, result, notes (a list of
        [key, value]), other (what Squid did not take as a pair).
        Bytes are shown decoded as UTF-8, undecodable bytes as \\udcXX.
  squid_reply.py values KEY [--concurrency] [FILE]
        for each reply, the values of KEY joined with TAB, one line per
        reply (for the shell; values holding TAB or LF are not for this).
  squid_reply.py check [--concurrency] [--ids] [FILE]
        every line is one well-formed reply as Squid reads it: OK, ERR or
        BH; nothing left over for OK and ERR (every word was a key=value
        pair); OK has exactly one ha1 of 32 lowercase hex digits; ERR and
        BH carry message and nothing else; every value re-encodes to the
        bytes that were written (quoted, '"' and '\\' escaped); with --ids
        every reply has a channel ID.  Prints a summary; exit status 1 on
        any bad line.
  squid_reply.py selftest
        the parser against replies whose reading follows from Squid's code
        (the cases in SELFTEST).
FILE defaults to standard input.
"""
import json
import re
import sys

SPACE = b" \t\n\v\f\r"


def isspace(c):
    return c in SPACE


def is_key_char(c):
    return (0x61 <= c <= 0x7A or 0x41 <= c <= 0x5A or 0x30 <= c <= 0x39 or
            c in b"-_")


class Reply:
    def __init__(self):
        self.id = None          # bytes as strtol read them, or None
        self.result = "Unknown"  # OK ERR BH (or Unknown)
        self.notes = []         # [(key bytes, value bytes)]
        self.other = b""        # left over
        self.raw = b""

    def values(self, key):
        return [v for k, v in self.notes if k == key]

    def as_json(self):
        def s(b):
            return b.decode("utf-8", "surrogateescape")
        return json.dumps({
            "id": None if self.id is None else s(self.id),
            "result": self.result,
            "notes": [[s(k), s(v)] for k, v in self.notes],
            "other": s(self.other),
        }, ensure_ascii=True)


def strwordtok(buf, p):
    """Squid's strwordtok() on buf from p: (word or None, new p)."""
    n = len(buf)
    while p < n and isspace(buf[p]):
        p += 1
    if p >= n:
        return None, p
    out = bytearray()
    quoted = False
    while p < n:
        ch = buf[p]
        if ch == 0x5C:                          # backslash
            if quoted:
                p += 1
            nxt = buf[p] if p < n else 0
            if nxt == 0x6E:                     # n
                ch = 0x0A
            elif nxt == 0x72:                   # r
                ch = 0x0D
            else:
                ch = nxt
            if ch == 0:                         # the C string ended
                break
            out.append(ch)
            p += 1
        elif ch == 0x22:                        # '"'
            quoted = not quoted
            p += 1
        else:
            if not quoted and isspace(ch):
                p += 1
                break
            out.append(ch)
            p += 1
    return bytes(out), p


def fromhex(c):
    if 0x30 <= c <= 0x39:
        return c - 0x30
    if 0x61 <= c <= 0x66:
        return c - 0x61 + 10
    if 0x41 <= c <= 0x46:
        return c - 0x41 + 10
    return -1


def rfc1738_unescape(s):
    out = bytearray()
    j, n = 0, len(s)
    while j < n:
        c = s[j]
        if c != 0x25:
            out.append(c)
        elif j + 1 < n and s[j + 1] == 0x25:
            out.append(0x25)
            j += 1
        else:
            v1 = fromhex(s[j + 1]) if j + 1 < n else -1
            v2 = fromhex(s[j + 2]) if j + 2 < n else -1
            if v1 >= 0 and v2 >= 0 and (v1 << 4 | v2) > 0:
                out.append(v1 << 4 | v2)
                j += 2
            else:
                out.append(c)
        j += 1
    return bytes(out)


def parse_keys(buf, r):
    """parseResponseKeys(): pairs off the front of buf; the rest is other."""
    k = 0
    n = len(buf)
    while k < n:
        p = k
        while p < n and is_key_char(buf[p]):
            p += 1
        if p >= n or buf[p] != 0x3D:            # '=': not a key, stop
            break
        if p + 1 < n and isspace(buf[p + 1]):   # blank after '=': stop
            break
        key = buf[k:p]
        p += 1
        url_decode = not (p < n and buf[p] == 0x22)
        start = p
        v, p = strwordtok(buf, p)
        if v is not None and url_decode and p - start > 2:
            v = rfc1738_unescape(v)
        r.notes.append((key, v if v is not None else b""))
        while p < n and isspace(buf[p]):
            p += 1
        k = p
    return buf[k:]


def finalize(buf, r):
    """Helper::Reply::finalize() for the kinds a digest helper sends."""
    p = 0
    n = len(buf)
    if n == 0:
        r.result = "ERR"
        return
    if n >= 2:
        for word, res in ((b"OK", "OK"), (b"ERR", "ERR"), (b"BH", "BH")):
            w = len(word)
            if buf.startswith(word) and (n == w or buf[w] == 0x20):
                r.result = res
                p = w
                break
        while p < n and isspace(buf[p]):
            p += 1
    rest = buf[p:]
    while rest and isspace(rest[0]):
        rest = rest[1:]
    rest = parse_keys(rest, r)
    if rest and r.result == "BH":
        r.notes.append((b"message", rest))
        rest = b""
    r.other = rest


def parse_line(line, concurrency=False):
    """One reply line (without its LF) as Squid takes it."""
    r = Reply()
    r.raw = line
    if line.endswith(b"\r"):
        line = line[:-1]
    nul = line.find(b"\0")
    if nul >= 0:
        line = line[:nul]
    if concurrency:
        m = re.match(rb"[ \t\n\v\f\r]*[+-]?[0-9]+", line)
        if m:
            r.id = m.group(0).strip(SPACE)
            line = line[m.end():]
        else:
            r.id = b""                  # Squid: "unexpected reply on channel 0"
        line = line.lstrip(SPACE)
    finalize(line, r)
    return r


def parse_stream(data, concurrency=False):
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return [parse_line(x, concurrency) for x in lines]


def encode_value(v):
    """A value as our helpers write it: quoted, '"' and '\\' escaped."""
    return b'"' + v.replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'


HA1 = re.compile(rb"[0-9a-f]{32}")


def check_reply(r, want_id):
    """Why r is not a well-formed reply of ours, or None."""
    if want_id and not r.id:
        return "no channel ID"
    if r.result not in ("OK", "ERR", "BH"):
        return "not OK, ERR or BH"
    if r.other:
        return "left over after the pairs: %r" % r.other[:60]
    keys = [k for k, _ in r.notes]
    if r.result == "OK":
        if keys.count(b"ha1") != 1 or keys[0] != b"ha1":
            return "OK without exactly one leading ha1"
        if not HA1.fullmatch(r.values(b"ha1")[0]):
            return "ha1 is not 32 lowercase hex digits"
    elif keys != [b"message"]:
        return "%s with keys %r (want message only)" % (r.result, keys)
    # What was written after the result word (and the ID) must be exactly
    # the pairs Squid read, each value quoted and escaped: no byte lost,
    # none added, none read differently.
    body = r.raw
    if body.endswith(b"\r"):
        return "ends with CR (ours end with LF alone)"
    if r.id:
        if not body.startswith(r.id + b" "):
            return "channel ID not followed by one space"
        body = body[len(r.id) + 1:]
    want = r.result.encode() + b"".join(
        b" " + k + b"=" + encode_value(v) for k, v in r.notes)
    if body != want:
        return "does not re-encode to what was written"
    return None


# (reply, concurrency, id, result, notes, other): how Squid 5.7 reads it,
# worked out from the code quoted at the top.
SELFTEST = [
    (b'OK ha1="abc"', False, None, "OK", [(b"ha1", b"abc")], b""),
    (b'OK ha1="a" group="a\\"b"', False, None, "OK",
     [(b"ha1", b"a"), (b"group", b'a"b')], b""),
    (b'OK group="a\\\\b"', False, None, "OK", [(b"group", b"a\\b")], b""),
    (b'OK group="a\\nb" tag="\\r"', False, None, "OK",
     [(b"group", b"a\nb"), (b"tag", b"\r")], b""),      # \n, \r: LF, CR
    (b'OK group=a\\nb', False, None, "OK", [(b"group", b"a\\nb")], b""),
    (b'OK group=%41%42', False, None, "OK", [(b"group", b"AB")], b""),
    (b'OK group="%41"', False, None, "OK", [(b"group", b"%41")], b""),
    (b'OK group=%%', False, None, "OK", [(b"group", b"%%")], b""),  # 2 bytes: kept
    (b'OK group=%%x %4 %00z', False, None, "OK", [(b"group", b"%x")], b"%4 %00z"),
    (b'OK group="a"b"c d" x', False, None, "OK", [(b"group", b"abc d")], b"x"),
    (b'OK group= x', False, None, "OK", [], b"group= x"),
    (b'OK group=', False, None, "OK", [(b"group", b"")], b""),
    (b'OK group="" tag=x', False, None, "OK", [(b"group", b""), (b"tag", b"x")], b""),
    (b'OK a.b=c', False, None, "OK", [], b"a.b=c"),
    (b'OK  ha1=x\r', False, None, "OK", [(b"ha1", b"x")], b""),
    (b'OKAY ha1=x', False, None, "Unknown", [], b"OKAY ha1=x"),
    (b'ERR', False, None, "ERR", [], b""),
    (b'BH something broke', False, None, "BH", [(b"message", b"something broke")], b""),
    (b'BH message="x" and more', False, None, "BH",
     [(b"message", b"x"), (b"message", b"and more")], b""),
    (b'7 OK ha1="x"', True, b"7", "OK", [(b"ha1", b"x")], b""),
    (b'007  ERR message="No"', True, b"007", "ERR", [(b"message", b"No")], b""),
    (b'OK ha1="x"', True, b"", "OK", [(b"ha1", b"x")], b""),
    (b'OK group="a\0b"', False, None, "OK", [(b"group", b"a")], b""),
]


def selftest():
    bad = 0
    for raw, conc, cid, res, notes, other in SELFTEST:
        r = parse_line(raw, conc)
        got = (r.id, r.result, r.notes, r.other)
        if got != (cid, res, notes, other):
            bad += 1
            print("%r: got %r, want %r" % (raw, got, (cid, res, notes, other)))
    for v in (b'', b'"', b'\\', b'a"b\\c', b'\\n', b'%41', b'x y=z', "\u00fc".encode()):
        r = parse_line(b"OK ha1=\"0\" group=" + encode_value(v))
        if r.values(b"group") != [v] or r.other:
            bad += 1
            print("encode_value(%r) does not round-trip: %r" % (v, r.notes))
    print("%d cases, %d wrong" % (len(SELFTEST), bad))
    return 1 if bad else 0


def main(argv):
    if argv == ["selftest"]:
        return selftest()
    if not argv or argv[0] not in ("show", "values", "check"):
        sys.stderr.write(__doc__)
        return 2
    mode, args = argv[0], argv[1:]
    key = None
    if mode == "values":
        key, args = args[0].encode(), args[1:]
    concurrency = "--concurrency" in args
    want_id = "--ids" in args
    if want_id:
        concurrency = True
    files = [a for a in args if not a.startswith("--")]
    if files:
        with open(files[0], "rb") as f:
            data = f.read()
    else:
        data = sys.stdin.buffer.read()
    replies = parse_stream(data, concurrency)
    out = sys.stdout.buffer
    if mode == "show":
        for r in replies:
            out.write(r.as_json().encode() + b"\n")
        return 0
    if mode == "values":
        for r in replies:
            out.write(b"\t".join(r.values(key)) + b"\n")
        return 0
    bad = 0
    for n, r in enumerate(replies, 1):
        why = check_reply(r, want_id)
        if why:
            bad += 1
            if bad <= 10:
                print("reply %d: %s: %r" % (n, why, r.raw[:120]))
    print("%d replies, %d not well-formed" % (len(replies), bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
