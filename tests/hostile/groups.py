#!/usr/bin/env python3
"""groups.py - group files built to break the OK reply, and the check that
they do not (digest_file_auth --group-file; doc/protocol.md, "Annotations").

  groups.py make DIR
        writes DIR/pw (plaintext password file, realm R, password "pw"),
        DIR/groups (the hostile group file), DIR/requests (request lines,
        with and without channel IDs, for users in 0 to 10,000 groups,
        unknown users and malformed lines) and DIR/expect (one line per
        request: CLASS TAB ID TAB USER, ID "-" for none)
  groups.py verify DIR REPLIES STDERR
        checks, with tests/lib/squid_reply.py (Squid's reply parser):
        exactly one reply per request line, each well-formed, of the
        expected class, with its channel ID; the right HA1 on OK; on OK
        exactly the groups the file gives the user, byte for byte as Squid
        reads them, cut as the limits say (below); nothing after the
        message on ERR and BH; and on STDERR exactly one "annotations
        dropped" warning, naming the user, per reply that lost a pair.

The expected groups come from this file's own reading of Apache's
AuthGroupFile format (lib/groupfile.h): lines cut at LF, one trailing CR
dropped, blank and '#' lines skipped, a line holding NUL skipped; the group
is what comes before the first ':' without the blanks around it (an empty
one is skipped); members are separated by spaces and tabs; a user's groups
are unique and in byte order.  Then the reply's rules (lib/notes.h): a
value holding CR or LF is dropped; the others are taken in order while
they fit, at most 64 pairs and 8192 bytes of ' group="value"' (value with
'"' and '\\' escaped); a pair that does not fit is dropped whole, and a
later, smaller one may still be taken.
"""
import hashlib
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
import squid_reply  # noqa: E402

NOTES_MAX = 64
NOTES_BYTES_MAX = 8192
REALM = b"R"

# Group names meant to end the quoted value early, add a pair of their own,
# be read as an escape or a %-escape, or break the line.
NASTY = [
    b'"', b'""', b'"""', b'\\', b'\\\\', b'\\"', b'x\\', b'\\n', b'\\r',
    b'a"b c"d', b'"staff"', b'group=x', b'ha1="00000000000000000000000000000000"',
    b'x" group="admin', b'x\\" group=\\"admin', b'" ha1="0', b'OK', b'ERR message="x"',
    b'%41', b'%%', b'%00', b'%', b'a%20b', b'a b', b'a\tb', b'a  b',
    b'=', b'==', b'a=b', b'k=v x=y', b'-', b'_', b'x_', b'#x', b'a#b',
    b'\xc3\xbc', "\u0395\u03bb\u03bb\u03b7\u03bd\u03b9\u03ba\u03ac".encode(),
    "\U0001F600".encode(), b'\xff\xfe', b'\xc3', b'\x01\x02', b'\x0b\x0c', b'\x7f',
    b'\x1b[31mred', b'end\\', b'\\"\\"', b"'", b"`", b"$(id)", b";", b"|", b"&",
]
LINEBREAK = [b'a\rb', b'\rlead', b'mid\r\rdle']


def req(user, realm=REALM, cid=None):
    line = b'"' + user + b'":"' + realm + b'"'
    return (cid.encode() + b" " + line) if cid is not None else line


def make(d):
    users = {}          # name -> groups file lines it takes part in
    lines = []

    def grp(name, *members):
        lines.append(name + b": " + b" ".join(members))

    # nasty: every hostile name, one group each
    for g in NASTY:
        grp(g, b"nasty")
    # a user whose hostile groups include line breaks (dropped, warned)
    for g in LINEBREAK + [b"plain"]:
        grp(g, b"breaks")
    # 100 KB values: dropped whole, warned; the small group after is kept
    grp(b"H" * 100000, b"huge")
    grp(b"Z-small", b"huge")
    # the byte limit exactly: ' group="' + value + '"' is 9 + len bytes
    grp(b"E" * (NOTES_BYTES_MAX - 9), b"exact")
    grp(b"F" * (NOTES_BYTES_MAX - 8), b"over")
    # escaping counts: 4000 '"' (8000 bytes escaped) fit, 4092 do not
    grp(b'"' * 4000, b"esc_fit")
    grp(b'"' * 4092, b"esc_over")
    # the pair limit exactly, and one past it
    for i in range(NOTES_MAX):
        grp(b"p%02d" % i, b"sixtyfour", b"sixtyfive")
    grp(b"p99", b"sixtyfive")
    # 10,000 groups, some lines with many members, CRLF lines, repeats
    for i in range(10000):
        grp(b"g%05d" % i, b"many", b"many" if i % 7 == 0 else b"x%d" % i)
    lines.append(b"big-members: " + b" ".join(b"m%d" % i for i in range(20000)) + b" one")
    lines.append(b"crlf: one\r")
    lines.append(b"crlf: one two\r")
    lines.append(b"\t spaced \t:\tone\t")
    # lines that do not parse (warned, skipped), and comments
    lines.append(b"no colon here one")
    lines.append(b"  : one")
    lines.append(b"nul\x00group: one")
    lines.append(b"# comment: one")
    lines.append(b"   # indented comment: one")
    lines.append(b"")
    lines.append(b"   ")
    lines.append(b"zero:")
    lines.append(b"after-bad: one")

    with open(os.path.join(d, "groups"), "wb") as f:
        f.write(b"\n".join(lines) + b"\n")
    names = [b"nasty", b"breaks", b"huge", b"exact", b"over", b"esc_fit",
             b"esc_over", b"sixtyfour", b"sixtyfive", b"many", b"one", b"two",
             b"m19999", b"nogroups"]
    with open(os.path.join(d, "pw"), "wb") as f:
        for u in names:
            f.write(u + b":" + REALM + b":pw\n")
    reqs, expect = [], []
    cid = 0

    def add(cls, line, user, with_id):
        nonlocal cid
        if with_id:
            cid += 1
            line = str(cid).encode() + b" " + line
        reqs.append(line)
        expect.append(b"%s\t%s\t%s" % (cls.encode(),
                                        str(cid).encode() if with_id else b"-", user))

    for rnd in range(3):
        for u in names:
            add("OK", req(u), u, rnd != 1)
        add("ERR", req(b"stranger"), b"stranger", rnd == 0)
        add("ERR", req(b"nasty", b"Other realm"), b"nasty", rnd == 1)
        add("BH", b'"nasty"', b"nasty", rnd == 2)
        add("BH", b'garbage group="staff"', b"-", False)
    with open(os.path.join(d, "requests"), "wb") as f:
        f.write(b"\n".join(reqs) + b"\n")
    with open(os.path.join(d, "expect"), "wb") as f:
        f.write(b"\n".join(expect) + b"\n")
    return 0


def is_blank(c):
    return c in b" \t"


def read_groups(path):
    """user -> sorted unique groups, by Apache's format (see above)."""
    with open(path, "rb") as f:
        data = f.read()
    member = {}
    parts = data.split(b"\n")
    if data.endswith(b"\n"):
        parts.pop()
    for line in parts:
        if line.endswith(b"\r"):
            line = line[:-1]
        s = line.lstrip(b" \t")
        if not s or s.startswith(b"#") or b"\0" in s:
            continue
        if b":" not in s:
            continue
        g, rest = s.split(b":", 1)
        g = g.rstrip(b" \t")
        if not g:
            continue
        for u in re.split(rb"[ \t]+", rest):
            if u:
                member.setdefault(u, set()).add(g)
    return {u: sorted(gs) for u, gs in member.items()}


def cut(groups):
    """(kept, dropped) by the reply's rules."""
    kept, dropped, used = [], 0, 0
    for g in groups:
        if b"\r" in g or b"\n" in g:
            dropped += 1
            continue
        size = len(b' group=') + len(squid_reply.encode_value(g))
        if len(kept) >= NOTES_MAX or used + size > NOTES_BYTES_MAX:
            dropped += 1
            continue
        kept.append(g)
        used += size
    return kept, dropped


def verify(d, replies_path, stderr_path):
    groups = read_groups(os.path.join(d, "groups"))
    with open(os.path.join(d, "expect"), "rb") as f:
        expect = [x.split(b"\t") for x in f.read().split(b"\n") if x]
    with open(replies_path, "rb") as f:
        data = f.read()
    replies = squid_reply.parse_stream(data, concurrency=True)
    bad = []
    if not data.endswith(b"\n"):
        bad.append("the last reply does not end with LF")
    if len(replies) != len(expect):
        print("%d requests, %d replies" % (len(expect), len(replies)))
        return 1
    warned = {}
    for n, ((cls, cid, user), r) in enumerate(zip(expect, replies), 1):
        why = squid_reply.check_reply(r, cid != b"-")
        want_id = b"" if cid == b"-" else cid
        if why is None and (r.id or b"") != want_id:
            why = "channel ID %r, want %r" % (r.id, want_id)
        if why is None and r.result != cls.decode():
            why = "%s, want %s" % (r.result, cls.decode())
        if why is None and r.result == "OK":
            ha1 = hashlib.md5(user + b":" + REALM + b":pw").hexdigest().encode()
            kept, dropped = cut(groups.get(user, []))
            if r.values(b"ha1") != [ha1]:
                why = "wrong ha1"
            elif r.values(b"group") != kept:
                got = r.values(b"group")
                why = "groups differ: %d got, %d expected, first difference at %d" % (
                    len(got), len(kept),
                    next((i for i, (a, b) in enumerate(zip(got, kept)) if a != b),
                         min(len(got), len(kept))))
            elif [k for k, _ in r.notes if k not in (b"ha1", b"group")]:
                why = "a key other than ha1 and group"
            if dropped:
                warned[user] = warned.get(user, 0) + 1
        if why is None and r.result != "OK" and len(r.notes) != 1:
            why = "annotations on %s" % r.result
        if why:
            bad.append("reply %d (user %r): %s: %r" % (n, user[:40], why, r.raw[:100]))
    # one warning per reply that lost a pair, naming the user
    with open(stderr_path, "rb") as f:
        log = f.read()
    for user, count in sorted(warned.items()):
        got = len(re.findall(rb'user "' + re.escape(user) + rb'": \d+ annotations dropped', log))
        if got != count:
            bad.append("user %r: %d replies lost pairs, %d warnings" % (user, count, got))
    others = set(re.findall(rb'user "([^"]*)": \d+ annotations dropped', log)) - set(warned)
    if others:
        bad.append("warnings for users whose replies lost nothing: %r" % sorted(others))
    for b in bad[:15]:
        print(b)
    print("%d requests, %d replies, %d problems; %d users lost pairs" % (
        len(expect), len(replies), len(bad), len(warned)))
    return 1 if bad else 0


def main(argv):
    if len(argv) >= 2 and argv[0] == "make":
        return make(argv[1])
    if len(argv) >= 4 and argv[0] == "verify":
        return verify(argv[1], argv[2], argv[3])
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
