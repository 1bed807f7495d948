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
import pwd
import random
import shutil
import signal
import subprocess
import tempfile
import time

from .common import REALM, SRCDIR, say
from .data import ha1, make_requests, password, user_name, write_lines
from .fmt import fmt_n, ratio_cell
from .measure import FAILURES, check_answers, run_client
from .stats import paired_range, target_row

LIB = os.path.join(SRCDIR, "tests", "lib")
CONFIGS = (("ours -j 1", "1"), ("ours -j 16", "16"))
CLK_TCK = os.sysconf("SC_CLK_TCK")

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
pg_owned_tmpdir() { printf '%s\n' "$BENCH_PGDIR"; }
pg_setup "$1"
for v in PG_DIR PG_PORT PG_BINDIR PG_CONNINFO_ADMIN PG_CONNINFO_READER PG_PASSFILE; do
	printf '%s=%s\n' "$v" "${!v}"
done
'''


def server_cores():
    """The CPUs the server may run on: those this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def proc_stat(pid):
    """(ppid, utime + stime, cutime + cstime) in ticks, or None."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            text = f.read()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()
    # after the name: state ppid ... utime(14) stime cutime cstime (1-based)
    return int(fields[1]), int(fields[11]) + int(fields[12]), \
        int(fields[13]) + int(fields[14])


def children(pid):
    out = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            st = proc_stat(int(name))
            if st and st[0] == pid:
                out.append(int(name))
    return out


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
        self.pgdir = tempfile.mkdtemp(prefix="dh-pgsql.", dir="/tmp")
        if os.getuid() == 0:
            pw = pwd.getpwnam("postgres")
            os.chown(self.pgdir, pw.pw_uid, pw.pw_gid)
        env = dict(os.environ, BENCH_SRCDIR=SRCDIR, BENCH_LIB=LIB, BENCH_PGDIR=self.pgdir)
        p = subprocess.run(["bash", "-c", SETUP, "pgsql.bash", self.dir], env=env,
                           stdin=subprocess.DEVNULL, capture_output=True, text=True)
        for line in p.stdout.splitlines():
            k, sep, v = line.partition("=")
            if sep and k.startswith("PG_"):
                self.env[k] = v
        self.pid = self.postmaster()
        if p.returncode != 0 or not self.pid:
            raise RuntimeError("tests/lib/pgsql.bash pg_setup failed: "
                               + p.stderr.strip()[-300:])

    def postmaster(self):
        """The PID in the cluster's postmaster.pid, if it is a postmaster
        of that data directory, else None."""
        data = os.path.join(self.pgdir, "data")
        try:
            with open(os.path.join(data, "postmaster.pid")) as f:
                pid = int(f.readline())
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                return pid if data.encode() in f.read() else None
        except (OSError, ValueError, TypeError):
            return None

    def stop(self):
        if self.pgdir is None:
            return
        self.pid = self.postmaster()
        if self.pid:
            os.kill(self.pid, signal.SIGINT)
            for _ in range(150):
                if not os.path.exists("/proc/%d" % self.pid):
                    break
                time.sleep(0.1)
            else:
                os.kill(self.pid, signal.SIGKILL)
        self.pid = None
        shutil.rmtree(self.pgdir, ignore_errors=True)
        self.pgdir = None

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


def write_users(path, nusers):
    """nusers lines user:realm:HA1: data.Store's users, seeded the same."""
    rnd = random.Random(nusers)
    lines = []
    for i in range(nusers):
        u = user_name(i)
        lines.append("%s:%s:%s\n" % (u, REALM, ha1(u, REALM, password(rnd))))
    write_lines(path, lines)


def one_run(s, pg, name, cmd, bins, reqs, known, fig):
    """One helper run: its throughput, and the server CPU it cost."""
    key = ("pgsql", s.pgsql_users, "ha1", name)
    base = len(children(pg.pid))
    try:
        cpu0 = pg.cpu()
        res = run_client(bins["client"], name, cmd, batch=reqs, stall_ms=5000,
                         timeout=600)
        pg.settle(base)
        used = pg.cpu() - cpu0
        check_answers(res, known, True, 0)
    except FAILURES as e:
        fig.error(key, str(e))
        say("  FAILED pgsql %s: %s" % (name, e))
        return
    per = used / (len(known) + 1)      # the batch and the load line
    g, size = "pgsql", s.pgsql_users
    fig.add((g, "load_ms", size, "ha1", name), res["load_us"] / 1000)
    fig.add((g, "batch_rate", size, "ha1", name), res["batch_rate"])
    fig.add((g, "rss_mb", size, "ha1", name), res["maxrss_kb"] / 1024)
    if per > 0:
        fig.add((g, "server_us", size, "ha1", name), per * 1e6)
        # one connection is served by one backend process: one core
        fig.add((g, "limit_rate", size, "ha1", name), 1 / per)


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
            one_run(s, pg, name, cmd, bins, reqs, known, fig)
    pg.stop()


# --- report -------------------------------------------------------------------

def key(s, figname, name):
    return ("pgsql", figname, s.pgsql_users, "ha1", name)


def vs_limit(s, fig, name):
    """Helper throughput / the server-bound limit of the same runs."""
    return fig.ratio(key(s, "batch_rate", name), key(s, "limit_rate", name))


def pgsql_targets(s, fig):
    j1, j16 = CONFIGS[0][0], CONFIGS[1][0]
    scale = fig.ratio(key(s, "batch_rate", j16), key(s, "batch_rate", j1))
    pr = paired_range(fig, key(s, "batch_rate", j16), key(s, "batch_rate", j1))
    spread = " (run-by-run %s-%s)" % (ratio_cell(pr[0]), ratio_cell(pr[1])) if pr else ""
    lim = vs_limit(s, fig, j16)
    pl = paired_range(fig, key(s, "batch_rate", j16), key(s, "limit_rate", j16))
    lspread = " (run-by-run %s-%s)" % (ratio_cell(pl[0]), ratio_cell(pl[1])) if pl else ""
    return [
        target_row("PostgreSQL throughput with channel IDs, -j 16 vs -j 1",
                   ">= 3x -j 1", [scale], lambda x: x >= 3,
                   lambda v: ratio_cell(v[0]) + spread),
        target_row("PostgreSQL throughput, -j 16, vs the server-bound limit "
                   "(the one core of the connection's backend: see Method)",
                   ">= 0.7x the limit", [lim], lambda x: x >= 0.7,
                   lambda v: ratio_cell(v[0]) + lspread + " (-j 1: %s; against all "
                   "%d cores of the machine: %s)"
                   % (ratio_cell(vs_limit(s, fig, j1)), server_cores(),
                      ratio_cell(v[0] / server_cores()))),
    ]


def pgsql_rows(s, fig, fmt_stat, fig_label):
    """Rows of the "other" table: per configuration, the helper's figures,
    the server's CPU per lookup and the limit it sets."""
    rows = []
    j1 = CONFIGS[0][0]
    for name, _ in CONFIGS:
        store = "%s users, %s" % (fmt_n(s.pgsql_users), name)
        for figname in ("load_ms", "batch_rate", "rss_mb", "server_us", "limit_rate"):
            st = fig.stats(key(s, figname, name))
            extra = ""
            if figname == "batch_rate":
                extra = "helper/limit " + ratio_cell(vs_limit(s, fig, name))
                if name != j1:
                    extra += ", vs -j 1 " + ratio_cell(
                        fig.ratio(key(s, figname, name), key(s, figname, j1)))
            rows.append(("pgsql", store, fig_label(figname), fmt_stat(st, figname), extra))
    return rows


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
    "before and after each helper run, once the backend has been reaped, divided by "
    "the lookups of that run (its connection and log-in included). "
    "**Server-bound limit** = 1 / that CPU per lookup: the lookups/s the server "
    "could answer on the cores it may use for the helper. The helper keeps one "
    "connection (pipelined, as digest_pgsql_auth(8) says), which the server serves "
    "with one backend process, so one core at a time; the target row also shows the "
    "ratio against all %d cores. The helper's ratio to the limit is per run. At `-j 1` each lookup is a "
    "round trip to the server and back, so its rate moves with where the scheduler "
    "puts the helper and the backend (the wake-up costs of the round-trip figures "
    "above): on this VM it is bimodal from run to run. Server, helper and client "
    "share the %d cores.\n")


def method_text(s):
    n = server_cores()
    return METHOD % (fmt_n(s.pgsql_users), fmt_n(s.pgsql_requests), CLK_TCK, n,
                     os.cpu_count())
