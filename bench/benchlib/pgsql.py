"""The pgsql group: digest_pgsql_auth at -j 1 and -j 16 against a
throwaway PostgreSQL server, and what that server spends per lookup.

The server is the tests' own, tests/lib/pgsql.bash (pg_setup: initdb in a
temporary directory, started by pg_ctl as the postgres user when run as
root, on 127.0.0.1 and a free port, the roles digest_admin and
digest_reader, a password file), so its configuration has one definition
for both.  The users are loaded as an admin would: digest_passwd --pgsql
CONNINFO --init, then --import of the same user:realm:HA1 file the file
helper reads (one transaction, rows pipelined).  The server is stopped by
the postmaster's PID (SIGINT, a fast shutdown) in the bench's cleanup,
which also runs on SIGINT and SIGTERM.

Server CPU: utime + stime of the postmaster and of every process whose
parent it is, plus the postmaster's cutime + cstime (what its children
that have exited used: the helper's backend ends with its connection),
from /proc, before and after each helper run."""

import glob
import os
import random
import shutil
import signal
import subprocess
import time

from .common import say
from .data import make_requests, write_lines
from .fmt import fmt_n
from .sqlsrv import (CLK_TCK, SHARED_NOTE, SqlGroup, children, one_run, pid_in_file,
                     proc_stat, run_fixture, sql_rows, sql_targets, stop_server,
                     write_users)

CONFIGS = (("ours -j 1", "1"), ("ours -j 16", "16"))

# common.bash (require_cmd, free_port, wait_for) and pgsql.bash outside
# bats, as slapd.py runs slapd.bash; then the values the bench needs
SETUP = r'''
set -e
exec 3>&2
skip() { echo "bench/run: $*" >&2; exit 1; }
top_srcdir=$BENCH_SRCDIR
. "$BENCH_LIB/common.bash"
. "$BENCH_LIB/pgsql.bash"
# the cluster's directory is the one the bench made, so that its cleanup
# knows where the postmaster's pid file is even if interrupted in here
pg_owned_tmpdir() { printf '%s\n' "$BENCH_DIR"; }
pg_setup "$1"
for v in PG_DIR PG_PORT PG_BINDIR PG_CONNINFO_ADMIN PG_CONNINFO_READER PG_PASSFILE; do
	printf '%s=%s\n' "$v" "${!v}"
done
'''


class Pgsql:
    """A throwaway PostgreSQL server; stop() ends only the postmaster it
    started, by its PID, and removes the cluster's directory."""

    def __init__(self, tmp):
        self.dir = os.path.join(tmp, "pgsql")
        self.env = {}
        self.pid = None
        self.pgdir = None

    def start(self):
        """pg_setup in a directory under /tmp owned by the cluster's user
        (the server cannot reach the bench's 0700 temporary directory)."""
        self.pgdir, self.env, p = run_fixture(SETUP, "pgsql.bash", "postgres",
                                              self.dir, "PG_")
        self.pid = self.postmaster()
        if p.returncode != 0 or not self.pid:
            raise RuntimeError("tests/lib/pgsql.bash pg_setup failed: "
                               + p.stderr.strip()[-300:])

    def postmaster(self):
        """The PID in the cluster's postmaster.pid, if it is a postmaster
        of that data directory, else None."""
        data = os.path.join(self.pgdir, "data")
        return pid_in_file(os.path.join(data, "postmaster.pid"), data)

    def stop(self):
        if self.pgdir is not None:
            stop_server(self.postmaster(), signal.SIGINT, 15, self.pgdir)
        self.pid = self.pgdir = None

    def cpu(self):
        """Seconds of CPU the cluster's processes have used so far."""
        st = proc_stat(self.pid)
        if st is None:
            raise RuntimeError("the postmaster (pid %d) is gone" % self.pid)
        ticks = st[1] + st[2]
        for c in children(self.pid):
            cs = proc_stat(c)
            if cs:
                ticks += cs[1] + cs[2]
        return ticks / CLK_TCK

    def settle(self, baseline, timeout=5.0):
        """Wait until the helper's backend has exited and been reaped (no
        more children than baseline), so its CPU is in the postmaster's
        cutime."""
        end = time.time() + timeout
        while len(children(self.pid)) > baseline and time.time() < end:
            time.sleep(0.05)

    def psql(self, sql):
        env = dict(os.environ, PGPASSFILE=self.env["PG_PASSFILE"])
        p = subprocess.run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-d",
                            self.env["PG_CONNINFO_ADMIN"], "-c", sql],
                           env=env, capture_output=True, text=True)
        if p.returncode != 0:
            raise RuntimeError("psql: " + p.stderr.strip()[-300:])
        return p.stdout


def load_users(pg, tool, ha1_file):
    """digest_passwd --pgsql CONNINFO --init, then --import; VACUUM
    ANALYZE, so neither the planner nor autovacuum works during a run."""
    env = dict(os.environ, PGPASSFILE=pg.env["PG_PASSFILE"])
    for verb in (["--init"], ["--import", ha1_file]):
        p = subprocess.run([tool, "--pgsql", pg.env["PG_CONNINFO_ADMIN"]] + verb,
                           env=env, capture_output=True, text=True)
        if p.returncode != 0:
            raise RuntimeError("digest_passwd --pgsql %s failed: %s"
                               % (verb[0], p.stderr.strip()[-300:]))
    pg.psql("VACUUM ANALYZE digest_users")


def missing(bins):
    """Why the pgsql group cannot run, or None."""
    if not bins.get("pgsql"):
        return "digest_pgsql_auth was not built (configure --with-pgsql): PostgreSQL skipped."
    if not os.access(bins.get("passwd") or "", os.X_OK):
        return "digest_passwd not built: PostgreSQL skipped."
    initdb = glob.glob("/usr/lib/postgresql/*/bin/initdb")
    if not shutil.which("psql") or not [p for p in initdb if os.access(p, os.X_OK)]:
        return "PostgreSQL server programs or psql not installed: PostgreSQL skipped."
    return None


def bench_pgsql(s, bins, fig, tmp, cleanup):
    why = missing(bins)
    if why:
        fig.notes.append(why)
        return
    say("pgsql: %s users into a throwaway PostgreSQL server" % fmt_n(s.pgsql_users))
    pg = Pgsql(tmp)
    cleanup.append(pg.stop)
    users = os.path.join(tmp, "pgsql-users.txt")
    write_users(users, s.pgsql_users)
    t0 = time.time()
    try:
        pg.start()
        load_users(pg, bins["passwd"], users)
    except RuntimeError as e:
        fig.error(("pgsql", s.pgsql_users, "ha1", "server"), str(e))
        say("  FAILED pgsql: %s" % e)
        return
    fig.notes.append("PostgreSQL (%s) with %s users: started and loaded (digest_passwd "
                     "--pgsql --init, --import) in %.1f s."
                     % (os.path.basename(os.path.dirname(pg.env["PG_BINDIR"])),
                        fmt_n(s.pgsql_users), time.time() - t0))
    lines, known = make_requests(random.Random(98), s.pgsql_users, s.pgsql_requests,
                                 channel_ids=True)
    reqs = os.path.join(tmp, "pgsql-req.txt")
    write_lines(reqs, lines)
    pw = "PGPASSFILE=" + pg.env["PG_PASSFILE"]
    for run in range(s.runs):
        say("pgsql: run %d of %d" % (run + 1, s.runs))
        for name, j in CONFIGS:
            cmd = ["env", pw, bins["pgsql"], "-j", j, pg.env["PG_CONNINFO_READER"]]
            one_run(group(s), pg, name, cmd, bins, reqs, known, fig)
    pg.stop()


# --- report -------------------------------------------------------------------

def group(s):
    """One connection is served by one backend process: one core."""
    return SqlGroup("pgsql", "PostgreSQL", s.pgsql_users, CONFIGS, lambda name: 1)


def pgsql_targets(s, fig):
    return sql_targets(group(s), fig, "the one core of the connection's backend")


def pgsql_rows(s, fig, fmt_stat, fig_label):
    return sql_rows(group(s), fig, fmt_stat, fig_label)


METHOD = (
    "- PostgreSQL: a server started by the bench with the tests' fixture "
    "(`tests/lib/pgsql.bash`: `initdb` into a temporary directory, `pg_ctl` as the "
    "postgres user when run as root, 127.0.0.1, a free port, `fsync = off`, "
    "`shared_buffers = 16MB`), "
    "stopped by its PID at the end; %s users loaded with `digest_passwd --pgsql "
    "CONNINFO --init` and `--import` (one transaction), then `VACUUM ANALYZE`. "
    "`digest_pgsql_auth -j 1` and `-j 16` (default schema, as the read-only role, "
    "password from a password file) get %s request lines, each with a channel ID, "
    "written at once. **Server CPU per lookup** = utime + stime of the postmaster and "
    "all its children, plus the postmaster's cutime + cstime (the helper's backend, "
    "gone when its connection closes), read from `/proc` (in clock ticks of 1/%d s) "
    "before and after each helper run, once the backend has been reaped, less what "
    "the server used on its own over as long (measured for 1 s with no helper just "
    "before), divided by "
    "the lookups of that run (its connection and log-in included). "
    "**Server-bound limit** = 1 / that CPU per lookup: the lookups/s the server "
    "could answer on the cores it may use for the helper. The helper keeps one "
    "connection (pipelined, as digest_pgsql_auth(8) says), which the server serves "
    "with one backend process, so one core at a time. The helper's ratio to the limit is per run. At `-j 1` each lookup is a "
    "round trip to the server and back, so its rate moves with where the scheduler "
    "puts the helper and the backend (the wake-up costs of the round-trip figures "
    "above): on this VM it is bimodal from run to run. Server, helper and client "
    "share the %d cores." + SHARED_NOTE + "\n")


def method_text(s):
    return METHOD % (fmt_n(s.pgsql_users), fmt_n(s.pgsql_requests), CLK_TCK,
                     os.cpu_count())
