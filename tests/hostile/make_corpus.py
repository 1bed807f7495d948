#!/usr/bin/env python3
"""make_corpus.py - write tests/hostile/corpus.txt, the hostile request corpus.

Each output line is: CLASS <TAB> ID <TAB> REQUEST, where REQUEST is the raw
request line written with Python's backslash escapes (so NUL, CR and
non-UTF-8 bytes survive in a text file), CLASS is the reply every helper
must give (OK, ERR or BH) for a store holding user "alice" with password
"pw" in the realms listed in REALMS, and ID is the channel ID the reply
must carry ("-" for none).

Regenerate with: python3 tests/hostile/make_corpus.py > tests/hostile/corpus.txt
"""
import itertools

# No realm with ':' here: a password file cannot hold one (the field ends
# at ':'), so such realms are in the ERR list below for every store.
REALMS = ["R", "x y", 'q"r', "\u00fc", "R\u00e9alm"]
rows = []


def add(cls, line, cid="-"):
    rows.append((cls, cid, line))


def esc(b):
    out = []
    for c in b:
        if c == 0x5C:
            out.append("\\\\")
        elif 0x20 <= c < 0x7F:
            out.append(chr(c))
        else:
            out.append("\\x%02x" % c)
    return "".join(out)


def req(user, realm, extras=b""):
    return b'"' + user + b'":"' + realm + b'"' + (b" " + extras if extras else b"")


A = b"alice"
good_realms = [r.encode() for r in REALMS]

# Known user in every realm, with and without IDs and extras: OK.
for r in good_realms:
    add("OK", req(A, r))
    add("OK", b"7 " + req(A, r), "7")
    add("OK", req(A, r, b'group="a b" tag=x'))
    add("OK", b"18446744073709551615 " + req(A, r, b"k=\"v\""), "18446744073709551615")
    add("OK", req(A, r) + b" ")
    add("OK", b"3 " + req(A, r, b'a="\\"" b=\xff'), "3")
# Leading zeros are kept as sent.
for cid in [b"0", b"00", b"007", b"0000000000000000000001"[:20]]:
    add("OK", cid + b" " + req(A, b"R"), cid.decode())
# CRLF.
add("OK", req(A, b"R") + b"\r")
add("OK", b"9 " + req(A, b"R") + b"\r", "9")

# Unknown users, wrong realms, case changes: ERR.
for u in [b"bob", b"Alice", b"ALICE", b"alice ", b" alice", b"alic", b"alicee",
          b"al\xc3\xafce", b"*", b"alice*", b"%", b"_", b"'", b"alice' --",
          b"x' OR 1=1 --", b"*)(uid=*", b")(|(uid=*", b"\\2a", b"\\", b"(", b")",
          b"admin*", b"a*", b"*a", b"alice)(objectClass=*", b"alice\\",
          b"uid=alice,ou=people", b",", b"+", b"#alice", b"alice\"x", b"a\"b\"c",
          b"\xff\xfe", b"\xc3\x28", b"\xed\xa0\x80", b"\x7f", b"\x1b[2J",
          b"alice\tx", b"alice:R", b"alice:pw", b"u" * 5000, b"\xe2\x80\xae" + A]:
    add("ERR", req(u, b"R"))
    add("ERR", b"12 " + req(u, b"R"), "12")
for r in [b"r", b"RR", b" R", b"R ", b"a:b", b":", b"R:", b":R", b"a:b:", b"x  y", b"\xc3\xbc\xc3\xbc", b"\xff",
          b'q"r"', b"*", b"R\tx", b"R' OR '1'='1", b"R" * 3000]:
    add("ERR", req(A, r))
# A realm may contain '":"' and quotes; it ends at a quote before SP/EOL.
add("ERR", b'"alice":"x":"y"')
add("ERR", b'"alice":"R" "x"')  # realm R, extras '"x"'? no: realm is R -> OK
rows.pop()
add("OK", b'"alice":"R" "x"')
add("OK", b'"alice":"R" "')
add("OK", b'"alice":"q"r"')

# Malformed lines: BH, with the ID when the line starts with one.
for line in [b"", b"garbage", b"alice", b'"alice"', b'"alice":', b'"alice":"',
             b'"alice":"R', b'"alice:R"', b"'alice':'R'", b'"":"R"', b'"alice":""',
             b'"alice" :"R"', b' "alice":"R"', b'\t"alice":"R"', b'"alice":"R"x',
             b'"alice":"R"\x00', b'"ali\x00ce":"R"', b'\x00', b'\x00"alice":"R"',
             b"\r", b"\r\r", b'"alice":"R"\r\r', b'alice:R', b'"alice" "R"',
             b"-1 " + req(A, b"R"), b"+1 " + req(A, b"R"), b"1a " + req(A, b"R"),
             b"0x1 " + req(A, b"R"), b"1\t" + req(A, b"R"),
             b'"\xff":"\xfe', b'"":""', b'""""', b'":"', b'"', b'""', b'"a":"',
             b"1", b"12", b'\xef\xbb\xbf"alice":"R"', b'"alice":"R" x\x00',
             b'"alice":"R" \x00', b"\x00" * 10, b'"alice\r":"R"\r\r']:
    add("BH", line)
for cid in [b"1", b"99", b"18446744073709551615"]:
    for line in [b"garbage", b" " + req(A, b"R"), b'"alice":"R', b'"":"R"', b'"alice":""', b'"a\x00":"R"']:
        add("BH", cid + b" " + line, cid.decode())
# Channel IDs past 64 bits: BH, the digits echoed.
for cid in [b"18446744073709551616", b"99999999999999999999", b"123456789012345678901",
            b"1" * 40]:
    add("BH", cid + b" " + req(A, b"R"), cid.decode())
# Over-long lines: one BH each, the ID kept.
add("BH", req(b"u" * 20000, b"R"))
add("BH", b"5 " + req(A, b"R" * 20000), "5")
add("BH", b"x" * 70000)
add("BH", b"6 " + b'"' * 17000, "6")

for cls, cid, line in rows:
    print("%s\t%s\t%s" % (cls, cid, esc(line)))
