"""What the two SQL-server groups (pgsql.py, mysql.py) share: the server's
CPU read from /proc (less its idle background work), the user file loaded into the server, one helper run
with its server cost, and the group's rows and targets.

A group is described by an SqlGroup: its key in the figures ("pgsql"),
its label ("PostgreSQL"), how many users and request lines it uses, its
two configurations (name, -j value) and how many cores the server may use
for a configuration (the server-bound limit is that many cores divided by
the server's CPU per lookup)."""

import os
import pwd
import random
import shutil
import signal
import subprocess
import tempfile
import time

from .common import REALM, SRCDIR, say
from .data import ha1, password, user_name, write_lines
from .fmt import fmt_n, ratio_cell
from .measure import FAILURES, check_answers, run_client
from .stats import paired_range, target_row

CLK_TCK = os.sysconf("SC_CLK_TCK")


def server_cores():
    """The CPUs the server may run on: those this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def proc_stat(pid):
    """(ppid, utime + stime, cutime + cstime) in ticks, or None.  For a
    multi-threaded process the times are those of all its threads."""
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


def write_users(path, nusers):
    """nusers lines user:realm:HA1: data.Store's users, seeded the same."""
    rnd = random.Random(nusers)
    lines = []
    for i in range(nusers):
        u = user_name(i)
        lines.append("%s:%s:%s\n" % (u, REALM, ha1(u, REALM, password(rnd))))
    write_lines(path, lines)


def run_fixture(script, fixture, owner, arg, prefix):
    """Run a server fixture of tests/lib/ (script: bash that sources it and
    prints NAME=value lines) with the server's directory made here, under
    /tmp and owned by the server's user when run as root (the server
    cannot reach the bench's 0700 temporary directory), in BENCH_DIR.
    Returns (that directory, the NAME=value pairs whose names start with
    prefix, the completed process)."""
    d = tempfile.mkdtemp(prefix="dh-%s." % fixture.split(".")[0], dir="/tmp")
    if os.getuid() == 0:
        pw = pwd.getpwnam(owner)
        os.chown(d, pw.pw_uid, pw.pw_gid)
    env = dict(os.environ, BENCH_SRCDIR=SRCDIR, BENCH_LIB=os.path.join(SRCDIR, "tests", "lib"),
               BENCH_DIR=d)
    p = subprocess.run(["bash", "-c", script, fixture, arg], env=env,
                       stdin=subprocess.DEVNULL, capture_output=True, text=True)
    out = {}
    for line in p.stdout.splitlines():
        k, sep, v = line.partition("=")
        if sep and k.startswith(prefix):
            out[k] = v
    return d, out, p


def pid_in_file(pidfile, marker):
    """The PID on the first line of pidfile, if that process's command line
    holds marker (its own directory), else None."""
    try:
        with open(pidfile) as f:
            pid = int(f.readline())
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return pid if marker.encode() in f.read() else None
    except (OSError, ValueError, TypeError):
        return None


def stop_server(pid, sig, seconds, directory):
    """End the server the bench started (sig, then SIGKILL after seconds),
    that PID only, and remove its directory."""
    if pid:
        os.kill(pid, sig)
        for _ in range(int(seconds * 10)):
            if not os.path.exists("/proc/%d" % pid):
                break
            time.sleep(0.1)
        else:
            os.kill(pid, signal.SIGKILL)
    shutil.rmtree(directory, ignore_errors=True)


class SqlGroup:
    """One SQL-server group's constants (see the module comment)."""

    def __init__(self, key, label, users, configs, cores_for):
        self.key, self.label, self.users = key, label, users
        self.configs, self.cores_for = configs, cores_for

    def fkey(self, figname, name):
        return (self.key, figname, self.users, "ha1", name)


# the end of each SQL group's Method paragraph
SHARED_NOTE = (" **Helper CPU per lookup** = the helper's utime + stime (from `wait4()` "
               "in bench/client) over the lookups of the run. **Shared-core ceiling** = "
               "the cores the bench may use / (server + helper + client CPU per lookup, "
               "the client's from `getrusage()` over its load and batch), but no more "
               "than 1 / the helper's CPU per lookup (one process, one core) or the "
               "server-bound limit: what a run can reach at best when all three share "
               "those cores, as they do here.")


def idle_rate(srv, seconds=1.0):
    """CPU-seconds per second the server spends with no helper at all (its
    background work: checkpoints, autovacuum, purge threads)."""
    c0, t0 = srv.cpu(), time.monotonic()
    time.sleep(seconds)
    return (srv.cpu() - c0) / (time.monotonic() - t0)


def one_run(g, srv, name, cmd, bins, reqs, known, fig):
    """One helper run against srv (an object with pid, cpu() and
    settle(baseline)): its throughput, and the server CPU it cost, less
    what the server spent on its own over that time."""
    base = len(children(srv.pid))
    try:
        idle = idle_rate(srv)
        cpu0, t0 = srv.cpu(), time.monotonic()
        res = run_client(bins["client"], name, cmd, batch=reqs, stall_ms=5000,
                         timeout=600)
        srv.settle(base)
        used = max(srv.cpu() - cpu0 - idle * (time.monotonic() - t0), 0.0)
        check_answers(res, known, True, 0)
    except FAILURES as e:
        fig.error((g.key, g.users, "ha1", name), str(e))
        say("  FAILED %s %s: %s" % (g.key, name, e))
        return
    per = used / (len(known) + 1)      # the batch and the load line
    fig.add((g.key, "load_ms", g.users, "ha1", name), res["load_us"] / 1000)
    fig.add((g.key, "batch_rate", g.users, "ha1", name), res["batch_rate"])
    fig.add((g.key, "rss_mb", g.users, "ha1", name), res["maxrss_kb"] / 1024)
    if per > 0:
        fig.add((g.key, "server_us", g.users, "ha1", name), per * 1e6)
        fig.add((g.key, "limit_rate", g.users, "ha1", name), g.cores_for(name) / per)
    # the helper's and the client's CPU per lookup too: all three share
    # the machine's cores, so together they set the ceiling a run on this
    # machine can reach (the server-bound limit gives the server all of
    # its cores)
    helper = res.get("cpu_us", 0) / 1e6 / (len(known) + 1)
    client = res.get("client_cpu_us", 0) / 1e6 / (len(known) + 1)
    if helper > 0:
        fig.add((g.key, "helper_us", g.users, "ha1", name), helper * 1e6)
    if per > 0 and helper > 0:
        # the helper is one process: one core at most; the server no more
        # than its own limit
        fig.add((g.key, "shared_rate", g.users, "ha1", name),
                min(server_cores() / (per + helper + client), 1 / helper,
                    g.cores_for(name) / per))


def vs_limit(g, fig, name):
    """Helper throughput / the server-bound limit of the same runs."""
    return fig.ratio(g.fkey("batch_rate", name), g.fkey("limit_rate", name))


def spread(fig, a, b):
    pr = paired_range(fig, a, b)
    return " (run-by-run %s-%s)" % (ratio_cell(pr[0]), ratio_cell(pr[1])) if pr else ""


def sql_targets(g, fig, limit_note):
    """The group's two target rows: its second configuration (the parallel
    one the targets are set for) against the first (-j 1), and against the
    server-bound limit; a third configuration, if any, is shown in the
    rows only."""
    (j1, _), (jn, nval) = g.configs[0], g.configs[1]
    scale = fig.ratio(g.fkey("batch_rate", jn), g.fkey("batch_rate", j1))
    lim = vs_limit(g, fig, jn)
    return [
        target_row("%s throughput with channel IDs, -j %s vs -j 1" % (g.label, nval),
                   ">= 3x -j 1", [scale], lambda x: x >= 3,
                   lambda v: ratio_cell(v[0]) + spread(fig, g.fkey("batch_rate", jn),
                                                       g.fkey("batch_rate", j1))),
        target_row("%s throughput, -j %s, vs the server-bound limit (%s: see Method)"
                   % (g.label, nval, limit_note),
                   ">= 0.7x the limit", [lim], lambda x: x >= 0.7,
                   lambda v: ratio_cell(v[0]) + spread(fig, g.fkey("batch_rate", jn),
                                                       g.fkey("limit_rate", jn))
                   + " (-j 1: %s)" % ratio_cell(vs_limit(g, fig, j1))),
    ]


def sql_rows(g, fig, fmt_stat, fig_label):
    """Rows of the "other" table: per configuration, the helper's figures,
    the server's CPU per lookup and the limit it sets."""
    rows = []
    j1 = g.configs[0][0]
    for name, _ in g.configs:
        store = "%s users, %s" % (fmt_n(g.users), name)
        for figname in ("load_ms", "batch_rate", "rss_mb", "server_us", "limit_rate",
                        "helper_us", "shared_rate"):
            st = fig.stats(g.fkey(figname, name))
            extra = ""
            if figname == "shared_rate":
                extra = "helper/ceiling " + ratio_cell(fig.ratio(
                    g.fkey("batch_rate", name), g.fkey("shared_rate", name)))
            if figname == "batch_rate":
                extra = "helper/limit " + ratio_cell(vs_limit(g, fig, name))
                if name != j1:
                    extra += ", vs -j 1 " + ratio_cell(
                        fig.ratio(g.fkey(figname, name), g.fkey(figname, j1)))
            rows.append((g.key, store, fig_label(figname), fmt_stat(st, figname), extra))
    return rows
