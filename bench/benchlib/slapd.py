"""The private slapd of the LDAP group: the tests' own throwaway server,
tests/lib/slapd.bash, so its configuration (mdb, dc=example,dc=org,
ou=people, the indexes, loglevel 0) has one definition for both.

The fixture is bash, written for bats: each step runs it in a bash of its
own and reads the SLAPD_* values it sets from that bash's output.  slapd
detaches, so it outlives the bash that started it; stop() stops it by its
pid file with the fixture's slapd_stop."""

import os
import subprocess

from .common import SLAPD, SRCDIR, say

LIB = os.path.join(SRCDIR, "tests", "lib")

# common.bash (require_cmd, free_port, wait_for) and slapd.bash outside
# bats: errexit as bats has it, and require_cmd's skip (a missing program)
# a message on stderr and a failure.
PRELUDE = r'''
set -e
exec 3>&2
skip() { echo "bench/run: $*" >&2; exit 1; }
top_srcdir=$BENCH_SRCDIR
. "$BENCH_LIB/common.bash"
. "$BENCH_LIB/slapd.bash"
'''

# SETUP DIR LDIF: slapd_setup DIR, then the entries of LDIF added offline,
# as slapd_twin loads its copy (slapadd is much faster than ldapadd,
# slapd_add, for 10,000 entries); the values the helpers need, KEY=VALUE
SETUP = r'''
slapd_setup "$1"
slapd_stop
"$SLAPD_BIN" -Tadd -q -f "$SLAPD_DIR/slapd.conf" -l "$2"
slapd_start
for v in SLAPD_URI SLAPD_BASE SLAPD_ROOTDN SLAPD_SECRET_FILE; do
	printf '%s=%s\n' "$v" "${!v}"
done
'''

# the fixture's suffix, for the LDIF written before SETUP
BASE = r'''
printf '%s\n' "$SLAPD_BASE"
'''

# STOP DIR: slapd_stop of the slapd slapd_setup DIR started
STOP = r'''
SLAPD_DIR=$1
slapd_stop
'''


def fixture(script, *args):
    """Run script after the fixture's prelude: its stdout, or RuntimeError."""
    env = dict(os.environ, BENCH_SRCDIR=SRCDIR, BENCH_LIB=LIB, SLAPD_BIN=SLAPD)
    p = subprocess.run(["bash", "-c", PRELUDE + script, "slapd.bash"] + list(args),
                       env=env, stdin=subprocess.DEVNULL, capture_output=True,
                       text=True)
    if p.returncode != 0:
        raise RuntimeError("tests/lib/slapd.bash failed: " + p.stderr.strip()[-300:])
    return p.stdout


class Slapd:
    """A throwaway slapd on 127.0.0.1 holding the entries of an LDIF file
    written for the DN self.people (the fixture's ou=people); stop() ends
    only the slapd it started."""

    def __init__(self, tmp):
        self.dir = os.path.join(tmp, "slapd")
        self.conf = os.path.join(self.dir, "slapd.conf")
        self.started = False
        self.env = {}
        self.people = "ou=people," + fixture(BASE).strip()

    def start(self, ldif):
        self.started = True     # stop() looks for the pid file from now on
        out = fixture(SETUP, self.dir, ldif)
        for line in out.splitlines():
            k, sep, v = line.partition("=")
            if sep and k.startswith("SLAPD_"):
                self.env[k] = v

    def ours(self):
        """The pid file names a slapd running with our slapd.conf."""
        try:
            with open(os.path.join(self.dir, "slapd.pid")) as f:
                pid = int(f.read().split()[0])
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                return self.conf.encode() in f.read()
        except (OSError, ValueError, IndexError):
            return False

    def stop(self):
        if not self.started:
            return
        self.started = False
        if self.ours():
            try:
                fixture(STOP, self.dir)
            except RuntimeError as e:
                say("  " + str(e))

    def helper_args(self):
        e = self.env
        return ["-H", e["SLAPD_URI"], "-D", e["SLAPD_ROOTDN"],
                "-W", e["SLAPD_SECRET_FILE"], "-b", self.people,
                "-F", "(uid=%s)", "-A", "userPassword", "-e"]
