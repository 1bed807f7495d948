"""Generated data: users, password files, request lines, the SQLite store
and the LDAP entries.  Every generator is seeded: the same sizes give the
same files in every run."""

import hashlib
import os
import random
import re
import sqlite3
import subprocess

from .common import REALM, SRCDIR, UNKNOWN_FRACTION, say


def ha1(user, realm, password):
    return hashlib.md5(("%s:%s:%s" % (user, realm, password)).encode()).hexdigest()


def user_name(i):
    return "user%07d" % i


def password(rnd):
    return "pw%010x" % rnd.getrandbits(40)


def make_requests(rnd, nusers, count, channel_ids=False):
    """Request lines and, for each, whether the user exists."""
    lines, known = [], []
    for i in range(count):
        if rnd.random() < UNKNOWN_FRACTION:
            user = "nouser%09d" % rnd.getrandbits(29)
            known.append(False)
        else:
            user = user_name(rnd.randrange(nusers))
            known.append(True)
        prefix = "%d " % i if channel_ids else ""
        lines.append('%s"%s":"%s"\n' % (prefix, user, REALM))
    return lines, known


def write_lines(path, lines):
    with open(path, "w") as f:
        f.write("".join(lines))


class Store:
    """One generated user population: its password files (plain,
    user:password, and ha1, user:realm:HA1) and request files.  Squid's
    helper on the biggest store gets only the first lines of the same
    requests (squid_requests, squid_known)."""

    def __init__(self, size, tmp, settings):
        self.size = size
        rnd = random.Random(size)
        self.plain = os.path.join(tmp, "plain-%d.txt" % size)
        self.ha1 = os.path.join(tmp, "ha1-%d.txt" % size)
        self.write_users(rnd)
        lines, self.known = make_requests(rnd, size, settings.requests)
        self.requests = os.path.join(tmp, "req-%d.txt" % size)
        write_lines(self.requests, lines)
        self.squid_requests = self.requests
        self.squid_known = self.known
        cut = settings.squid_big_requests
        if size >= settings.big and cut < settings.requests:
            self.squid_requests = os.path.join(tmp, "req-%d-squid.txt" % size)
            write_lines(self.squid_requests, lines[:cut])
            self.squid_known = self.known[:cut]

    def write_users(self, rnd):
        plain, hashed = [], []
        for i in range(self.size):
            u = user_name(i)
            pw = password(rnd)
            plain.append("%s:%s\n" % (u, pw))
            hashed.append("%s:%s:%s\n" % (u, REALM, ha1(u, REALM, pw)))
        write_lines(self.plain, plain)
        write_lines(self.ha1, hashed)


# --- SQLite -------------------------------------------------------------------

def sqlschema_create():
    """SQLSCHEMA_CREATE from lib/sqlschema.h, as SQL text."""
    with open(os.path.join(SRCDIR, "lib", "sqlschema.h")) as f:
        text = f.read()
    m = re.search(r"#define SQLSCHEMA_CREATE\s*\\\n((?:.*\\\n)*.*\n)", text)
    if not m:
        raise RuntimeError("SQLSCHEMA_CREATE not found in lib/sqlschema.h")
    parts = re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(1))
    sql = "".join(parts)
    return sql.replace("\\n", "\n").replace('\\"', '"').replace("\\\\", "\\")


def sqlite_by_tool(tool, db, ha1_file):
    """digest_passwd --sqlite --init, --import: True when both worked."""
    p1 = subprocess.run([tool, "--sqlite", db, "--init"], capture_output=True)
    p2 = subprocess.run([tool, "--sqlite", db, "--import", ha1_file],
                        capture_output=True) if p1.returncode == 0 else p1
    if p2.returncode == 0:
        return True
    say("  digest_passwd --import failed (%s); building the store with Python"
        % p2.stderr.decode(errors="replace").strip()[:200])
    if os.path.exists(db):
        os.unlink(db)
    return False


def sqlite_by_python(db, ha1_file):
    con = sqlite3.connect(db)
    con.executescript(sqlschema_create())
    with open(ha1_file) as f:
        rows = (line.rstrip("\n").split(":") for line in f)
        con.executemany("INSERT INTO digest_users (user, realm, ha1, enabled) "
                        "VALUES (?, ?, ?, 1)", rows)
    con.commit()
    con.close()


def make_sqlite(store, tmp, builddir):
    """The same users in the default SQLite schema.  digest_passwd
    --sqlite --import when it works, else Python with lib/sqlschema.h.
    The database's path and how it was built."""
    db = os.path.join(tmp, "users-%d.db" % store.size)
    tool = os.path.join(builddir, "digest_passwd")
    if os.access(tool, os.X_OK) and sqlite_by_tool(tool, db, store.ha1):
        return db, "digest_passwd --sqlite --import"
    sqlite_by_python(db, store.ha1)
    return db, "Python sqlite3, schema from lib/sqlschema.h"


# --- LDAP ---------------------------------------------------------------------

def write_ldap_users(path, nusers, people):
    """nusers inetOrgPerson entries under the DN people, userPassword
    REALM:HA1 (for digest_ldap_auth -e)."""
    rnd = random.Random(nusers + 7)
    ldif = []
    for i in range(nusers):
        u = user_name(i)
        ldif.append("dn: uid=%s,%s\nobjectClass: inetOrgPerson\nuid: %s\n"
                    "cn: %s\nsn: %s\nuserPassword: %s:%s\n\n"
                    % (u, people, u, u, u, REALM, ha1(u, REALM, password(rnd))))
    write_lines(path, ldif)
