#!/usr/bin/env python3
"""blackhole.py - a TCP server that accepts connections and never answers:
a hung LDAP server, for the fail-over tests of digest_ldap_auth.

    blackhole.py LISTEN_PORT LOG

Listens on 127.0.0.1:LISTEN_PORT, accepts every connection, reads and
discards what is sent on it, and never writes a byte.  A connection the
client closes is closed.  LOG gets "listening" once, then one line per
event ("conn N open", "conn N closed"), so a test can count how often the
client came.  Runs until killed.
"""
import select
import socket
import sys


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__.split("\n\n")[1])
    port, log_path = int(sys.argv[1]), sys.argv[2]
    log = open(log_path, "a", buffering=1)

    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", port))
    ls.listen(16)
    log.write("listening\n")

    conns = {}      # socket -> connection number
    count = 0
    while True:
        r, _, _ = select.select([ls] + list(conns), [], [])
        for x in r:
            if x is ls:
                c, _ = ls.accept()
                count += 1
                conns[c] = count
                log.write("conn %d open\n" % count)
                continue
            try:
                data = x.recv(65536)
            except OSError:
                data = b""
            if not data:
                log.write("conn %d closed\n" % conns.pop(x))
                x.close()


if __name__ == "__main__":
    main()
