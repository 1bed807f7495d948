#!/usr/bin/env python3
"""ldap_proxy.py - a TCP relay between digest_ldap_auth and slapd that
breaks the helper's first connection at a chosen moment, for the tests of
what the helper does when its connection dies.

    ldap_proxy.py LISTEN_PORT SERVER_PORT TRIGGER MODE LOG

Relays 127.0.0.1:LISTEN_PORT to 127.0.0.1:SERVER_PORT, byte for byte.
Once the file TRIGGER exists, the first connection is reset (RST, not FIN:
SO_LINGER 0), and the server side closed:

    idle      at once, while the helper is not sending: its next write
              fails (ECONNRESET)
    on-send   when the helper next sends; those bytes are not relayed: its
              write succeeds and the searches in it are lost

Later connections are relayed untouched.  LOG gets one line per event
("conn N open", "conn N reset idle", "conn N reset on-send K bytes"), so
a test can tell that the break really happened.  Runs until killed.
"""
import os
import select
import socket
import struct
import sys


def main():
    if len(sys.argv) != 6 or sys.argv[4] not in ("idle", "on-send"):
        sys.exit(__doc__.split("\n\n")[1])
    listen_port, server_port = int(sys.argv[1]), int(sys.argv[2])
    trigger, mode, log_path = sys.argv[3], sys.argv[4], sys.argv[5]
    log = open(log_path, "a", buffering=1)

    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", listen_port))
    ls.listen(16)
    log.write("listening\n")

    peer = {}       # socket -> the other end
    conn_no = {}    # helper-side socket -> connection number
    count = 0
    broken = False

    def close_pair(c, s, reset):
        if reset:
            c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        for x in (c, s):
            peer.pop(x, None)
            conn_no.pop(x, None)
            x.close()

    while True:
        socks = [ls] + list(peer)
        r, _, _ = select.select(socks, [], [], 0.01)
        first = next((c for c, n in conn_no.items() if n == 1), None)
        if not broken and first is not None and os.path.exists(trigger) and mode == "idle":
            broken = True
            log.write("conn 1 reset idle\n")
            close_pair(first, peer[first], True)
            continue
        for x in r:
            if x is ls:
                c, _ = ls.accept()
                s = socket.create_connection(("127.0.0.1", server_port))
                count += 1
                peer[c], peer[s] = s, c
                conn_no[c] = count
                log.write("conn %d open\n" % count)
                continue
            if x not in peer:
                continue        # closed earlier in this round
            data = x.recv(65536)
            other = peer[x]
            helper_side = x in conn_no
            if (data and helper_side and not broken and conn_no[x] == 1 and
                    mode == "on-send" and os.path.exists(trigger)):
                broken = True
                log.write("conn 1 reset on-send %d bytes\n" % len(data))
                close_pair(x, other, True)
                continue
            if not data:
                c, s = (x, other) if helper_side else (other, x)
                close_pair(c, s, False)
                continue
            other.sendall(data)


if __name__ == "__main__":
    main()
