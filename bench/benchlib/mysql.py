"""The mysql group: digest_mysql_auth at -j 1 and -j 4 against a throwaway
MariaDB server, and what that server spends per lookup.

The server is the tests' own, tests/lib/mysql.bash (my_setup:
mariadb-install-db into a temporary directory, mariadbd as the mysql user
when run as root, on 127.0.0.1, a free port and its own socket, the
accounts digest_admin and digest_reader with option files; my_schema), so
its configuration has one definition for both.  The users are loaded as
an admin would: digest_passwd --mysql FILE --import of the same
user:realm:HA1 file the file helper reads (one transaction).  The server
is stopped by the PID in its pid file (SIGTERM, then SIGKILL after 30 s)
in the bench's cleanup, which also runs on SIGINT and SIGTERM.

Server CPU: mariadbd is one process whose connections are threads, so
utime + stime of that process (all its threads, those that have ended
included) from /proc, before and after each helper run."""

import os
import random
import shutil
import signal
import subprocess
import time

from .common import say
from .data import make_requests, write_lines
from .fmt import fmt_n
from .sqlsrv import (CLK_TCK, SHARED_NOTE, SqlGroup, one_run, pid_in_file, proc_stat,
                     run_fixture, server_cores, sql_rows, sql_targets, stop_server,
                     write_users)

# -j 4, the default, is what the targets are for; -j 8 shows how far more
# connections go on the same machine
CONFIGS = (("ours -j 1", "1"), ("ours -j 4", "4"), ("ours -j 8", "8"))

# common.bash (require_cmd, free_port, wait_for) and mysql.bash outside
# bats, as pgsql.py runs pgsql.bash; then the values the bench needs
SETUP = r'''
set -e
exec 3>&2
skip() { echo "bench/run: $*" >&2; exit 1; }
top_srcdir=$BENCH_SRCDIR
. "$BENCH_LIB/common.bash"
. "$BENCH_LIB/mysql.bash"
# the server's directory is the one the bench made, so that its cleanup
# knows where the pid file is even if interrupted in here
my_owned_tmpdir() { printf '%s\n' "$BENCH_DIR"; }
my_setup "$1"
my_schema
for v in MY_DIR MY_PORT MY_ADMIN_CNF MY_READER_CNF; do
	printf '%s=%s\n' "$v" "${!v}"
done
'''


class Mysql:
    """A throwaway MariaDB server; stop() ends only the mariadbd it
    started, by its PID, and removes the server's directory."""

    def __init__(self, tmp):
        self.dir = os.path.join(tmp, "mysql")
        self.env = {}
        self.pid = None
        self.mydir = None

    def start(self):
        """my_setup in a directory under /tmp owned by the server's user
        (the server cannot reach the bench's 0700 temporary directory)."""
        self.mydir, self.env, p = run_fixture(SETUP, "mysql.bash", "mysql",
                                              self.dir, "MY_")
        self.pid = self.server_pid()
        if p.returncode != 0 or not self.pid:
            raise RuntimeError("tests/lib/mysql.bash my_setup failed: "
                               + p.stderr.strip()[-300:])
        # the admin's option file with the port and the database, as the
        # tests give digest_passwd --mysql
        self.admin = os.path.join(self.dir, "admin-db.cnf")
        with open(self.env["MY_ADMIN_CNF"]) as f:
            text = f.read()
        fd = os.open(self.admin, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(text + "port=%s\ndatabase=digest\n" % self.env["MY_PORT"])

    def server_pid(self):
        """The PID in the server's pid file, if it is a mariadbd of that
        directory, else None."""
        return pid_in_file(os.path.join(self.mydir, "mysqld.pid"), self.mydir)

    def stop(self):
        if self.mydir is not None:
            stop_server(self.server_pid(), signal.SIGTERM, 30, self.mydir)
        self.pid = self.mydir = None

    def cpu(self):
        """Seconds of CPU the server has used so far (all its threads)."""
        st = proc_stat(self.pid)
        if st is None:
            raise RuntimeError("mariadbd (pid %d) is gone" % self.pid)
        return st[1] / CLK_TCK

    def settle(self, baseline, timeout=5.0):
        """Connections are threads of the one process: their CPU is in its
        times as soon as they have done the work."""

    def sql(self, sql):
        p = subprocess.run(["mariadb", "--defaults-file=" + self.admin, "-N", "-B",
                            "-e", sql], capture_output=True, text=True)
        if p.returncode != 0:
            raise RuntimeError("mariadb: " + p.stderr.strip()[-300:])
        return p.stdout


def load_users(my, tool, ha1_file):
    """digest_passwd --mysql FILE --import (my_schema made the tables);
    ANALYZE TABLE, so the optimiser has the statistics during the runs."""
    p = subprocess.run([tool, "--mysql", my.admin, "--import", ha1_file],
                       capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError("digest_passwd --mysql --import failed: %s"
                           % p.stderr.strip()[-300:])
    my.sql("ANALYZE TABLE digest_users")


def missing(bins):
    """Why the mysql group cannot run, or None."""
    if not bins.get("mysql"):
        return "digest_mysql_auth was not built (configure --with-mysql): MariaDB skipped."
    if not os.access(bins.get("passwd") or "", os.X_OK):
        return "digest_passwd not built: MariaDB skipped."
    for prog in ("mariadb-install-db", "mariadb", "mariadb-admin"):
        if not shutil.which(prog):
            return "%s not installed (mariadb-server): MariaDB skipped." % prog
    if not (shutil.which("mariadbd") or os.access("/usr/sbin/mariadbd", os.X_OK)):
        return "mariadbd not installed (mariadb-server): MariaDB skipped."
    return None


def group(s):
    """-j N is N connections, each served by one server thread: up to N
    of the cores the server may use."""
    j = dict(CONFIGS)
    return SqlGroup("mysql", "MariaDB", s.mysql_users, CONFIGS,
                    lambda name: min(int(j[name]), server_cores()))


def bench_mysql(s, bins, fig, tmp, cleanup):
    why = missing(bins)
    if why:
        fig.notes.append(why)
        return
    say("mysql: %s users into a throwaway MariaDB server" % fmt_n(s.mysql_users))
    my = Mysql(tmp)
    cleanup.append(my.stop)
    users = os.path.join(tmp, "mysql-users.txt")
    write_users(users, s.mysql_users)
    t0 = time.time()
    try:
        my.start()
        load_users(my, bins["passwd"], users)
    except RuntimeError as e:
        fig.error(("mysql", s.mysql_users, "ha1", "server"), str(e))
        say("  FAILED mysql: %s" % e)
        return
    fig.notes.append("MariaDB with %s users: started and loaded (digest_passwd --mysql "
                     "--import) in %.1f s." % (fmt_n(s.mysql_users), time.time() - t0))
    lines, known = make_requests(random.Random(97), s.mysql_users, s.mysql_requests,
                                 channel_ids=True)
    reqs = os.path.join(tmp, "mysql-req.txt")
    write_lines(reqs, lines)
    conn = ["--defaults-file", my.env["MY_READER_CNF"], "--port", my.env["MY_PORT"],
            "--database", "digest"]
    for run in range(s.runs):
        say("mysql: run %d of %d" % (run + 1, s.runs))
        for name, j in CONFIGS:
            cmd = [bins["mysql"], "-j", j] + conn
            one_run(group(s), my, name, cmd, bins, reqs, known, fig)
    my.stop()


# --- report -------------------------------------------------------------------

def mysql_targets(s, fig):
    return sql_targets(group(s), fig, "the server threads of the connections, at most "
                       "%d cores" % server_cores())


def mysql_rows(s, fig, fmt_stat, fig_label):
    return sql_rows(group(s), fig, fmt_stat, fig_label)


METHOD = (
    "- MariaDB: a server started by the bench with the tests' fixture "
    "(`tests/lib/mysql.bash`: `mariadb-install-db` into a temporary directory, "
    "`mariadbd` as the mysql user when run as root, 127.0.0.1, a free port, "
    "`innodb_buffer_pool_size = 16M`, `innodb_flush_log_at_trx_commit = 2`), stopped "
    "by its PID at the end; %s users loaded with `digest_passwd --mysql FILE --import` "
    "(one transaction), then `ANALYZE TABLE`. `digest_mysql_auth -j 1`, `-j 4` "
    "(the default, which the targets are for) and `-j 8` "
    "(default schema, as the SELECT-only account, password from its option file) get "
    "%s request lines, each with a channel ID, written at once. **Server CPU per "
    "lookup** = utime + stime of the `mariadbd` process (all its threads: each "
    "connection is one) read from `/proc` (in clock ticks of 1/%d s) before and after "
    "each helper run, less what the server used on its own over as long (measured for "
    "1 s with no helper just before: InnoDB's background threads), divided by the "
    "lookups of that run (its connections and log-ins included). **Server-bound limit** = the cores the server may use for the helper's "
    "connections (one thread each: -j 1 one core, -j 4 and -j 8 at most the %d "
    "cores the server may run on) / that CPU per lookup. Server, helper and client share the "
    "%d cores, so the limit counts cores the helper and the client also need."
    + SHARED_NOTE + "\n")


def method_text(s):
    return METHOD % (fmt_n(s.mysql_users), fmt_n(s.mysql_requests), CLK_TCK,
                     server_cores(), os.cpu_count())
