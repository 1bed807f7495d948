#!/usr/bin/env python3
"""check.py - turn the hostile corpus into a request stream and check replies.

  check.py stream CORPUS OUT          write the raw request lines to OUT
  check.py verify CORPUS REPLIES [--ldap]
                                      check one reply per request, right class,
                                      right channel ID, right HA1 for OK
With --ldap, user names that LDAP's matching rules make equal to "alice"
(case, insignificant spaces) are the same entry: OK, with the HA1 of the
name as sent.
The store behind the helper holds user "alice", password "pw", in the
realms of make_corpus.py.
"""
import codecs
import hashlib
import re
import sys


def load(path):
    rows = []
    with open(path, encoding="ascii") as f:
        for n, line in enumerate(f, 1):
            cls, cid, raw = line.rstrip("\n").split("\t", 2)
            data = codecs.escape_decode(raw.encode("ascii"))[0]
            rows.append((n, cls, cid, data))
    return rows


def parse(data):
    """(user, realm) per doc/protocol.md, or None."""
    if data.endswith(b"\r"):
        data = data[:-1]
    m = re.match(rb'^(?:\d+ )?"(.*?)":"', data, re.S)
    if not m:
        return None
    rest = data[m.end():]
    for i, c in enumerate(rest):
        if c == 0x22 and (i + 1 == len(rest) or rest[i + 1] == 0x20):
            return m.group(1), rest[:i]
    return None


def realm_of(data):
    return parse(data)[1]


REALMS = [r.encode() for r in ["R", "x y", 'q"r', "\u00fc", "R\u00e9alm"]]


def ldap_same_entry(data):
    p = parse(data)
    if p is None or p[1] not in REALMS:
        return None
    if p[0].strip(b" ").lower() == b"alice" and p[0] != b"alice":
        return p[0]
    return None


def main():
    mode, corpus, path = sys.argv[1:4]
    ldap = "--ldap" in sys.argv[4:]
    rows = load(corpus)
    if mode == "stream":
        with open(path, "wb") as f:
            for _, _, _, data in rows:
                f.write(data + b"\n")
        return 0
    with open(path, "rb") as f:
        replies = f.read().split(b"\n")
    if replies and replies[-1] == b"":
        replies.pop()
    bad = 0
    if len(replies) != len(rows):
        print("%d requests, %d replies" % (len(rows), len(replies)))
        return 1
    for (n, cls, cid, data), rep in zip(rows, replies):
        want_id = b"" if cid == "-" else cid.encode() + b" "
        ok = rep.startswith(want_id)
        body = rep[len(want_id):]
        folded = ldap_same_entry(data) if ldap and cls == "ERR" else None
        if folded is not None:
            ha1 = hashlib.md5(folded + b":" + realm_of(data) + b":pw").hexdigest()
            ok = ok and body == b'OK ha1="' + ha1.encode() + b'"'
        elif cls == "OK":
            ha1 = hashlib.md5(b"alice:" + realm_of(data) + b":pw").hexdigest()
            ok = ok and body == b'OK ha1="' + ha1.encode() + b'"'
        elif cls == "ERR":
            ok = ok and body == b'ERR message="No such user"'
        else:
            ok = ok and re.fullmatch(rb'BH message="[^"\r\n]*"', body) is not None
        if not ok:
            bad += 1
            if bad <= 10:
                print("corpus line %d: want %s id %s, got %r" % (n, cls, cid, rep[:120]))
    print("%d requests, %d replies, %d wrong" % (len(rows), len(replies), bad))
    return 1 if bad else 0


sys.exit(main())
