#!/usr/bin/env python3
"""ldap_stub.py - the least of an LDAP server: every bind succeeds and
every search is answered at once with one result code and no entries.
For the tests of how digest_ldap_auth takes a server's own error answers
(timeLimitExceeded is 3).

    ldap_stub.py LISTEN_PORT RESULT_CODE LOG

Listens on 127.0.0.1:LISTEN_PORT.  LOG gets "listening" once, then one
line per event ("conn N open", "conn N search", "conn N closed"), so a test
can tell how many connections the client made.  Runs until killed.
"""
import select
import socket
import sys

BIND_REQ, UNBIND_REQ, SEARCH_REQ = 0x60, 0x42, 0x63
BIND_RESP, SEARCH_DONE = 0x61, 0x65


def ber_len(n):
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def ber_int(v):
    b = v.to_bytes(max(1, (v.bit_length() + 8) // 8), "big")
    return b"\x02" + ber_len(len(b)) + b


def message(msgid, tag, code):
    """An LDAPMessage holding an LDAPResult (code, empty DN and text)."""
    op = b"\x0a\x01" + bytes([code]) + b"\x04\x00\x04\x00"
    body = ber_int(msgid) + bytes([tag]) + ber_len(len(op)) + op
    return b"\x30" + ber_len(len(body)) + body


def element(buf):
    """(tag, content, total length) of the first BER element, or None."""
    if len(buf) < 2:
        return None
    n, off = buf[1], 2
    if n & 0x80:
        k = n & 0x7F
        if len(buf) < 2 + k:
            return None
        n, off = int.from_bytes(buf[2:2 + k], "big"), 2 + k
    if len(buf) < off + n:
        return None
    return buf[0], buf[off:off + n], off + n


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__.split("\n\n")[1])
    port, code, log_path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    log = open(log_path, "a", buffering=1)

    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", port))
    ls.listen(16)
    log.write("listening\n")

    conns = {}      # socket -> [connection number, unread bytes]
    count = 0
    while True:
        r, _, _ = select.select([ls] + list(conns), [], [])
        for x in r:
            if x is ls:
                c, _ = ls.accept()
                count += 1
                conns[c] = [count, b""]
                log.write("conn %d open\n" % count)
                continue
            try:
                data = x.recv(65536)
            except OSError:
                data = b""
            no = conns[x][0]
            if not data:
                log.write("conn %d closed\n" % no)
                del conns[x]
                x.close()
                continue
            buf = conns[x][1] + data
            while (m := element(buf)) is not None:
                _, content, used = m
                buf = buf[used:]
                _, msgid, id_len = element(content)
                msgid = int.from_bytes(msgid, "big")
                op = content[id_len]
                if op == BIND_REQ:
                    x.sendall(message(msgid, BIND_RESP, 0))
                elif op == SEARCH_REQ:
                    log.write("conn %d search\n" % no)
                    x.sendall(message(msgid, SEARCH_DONE, code))
            conns[x][1] = buf


if __name__ == "__main__":
    main()
