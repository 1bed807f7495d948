"""What the report says about the machine and the programs measured."""

import glob
import os
import platform
import re
import sqlite3
import subprocess

from .common import SLAPD, SRCDIR


def cmd_out(argv, stderr=False):
    try:
        p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, timeout=20)
        return (p.stderr if stderr else p.stdout).strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def proc_field(path, prefix):
    """The value after the first "prefix...:" line of a /proc file."""
    try:
        with open(path) as f:
            for line in f:
                if line.startswith(prefix):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return ""


def load_average():
    return " ".join("%.2f" % x for x in os.getloadavg())


def first_line(text):
    lines = text.splitlines()
    return lines[0] if lines else ""


def hardware():
    mem = proc_field("/proc/meminfo", "MemTotal")
    mem = "%.1f GiB" % (int(mem.split()[0]) / 1048576) if mem else ""
    return [("CPU", proc_field("/proc/cpuinfo", "model name")
             or platform.processor() or "?"),
            ("cores", str(os.cpu_count())),
            ("memory", mem or "?"),
            ("kernel", platform.system() + " " + platform.release()),
            ("load average at start", load_average())]


def squid_version():
    squid = cmd_out(["dpkg-query", "-W", "-f", "${Version}", "squid"])
    return squid or first_line(cmd_out(["squid", "-v"])) or "?"


def slapd_version():
    m = re.search(r"slapd ([^ ]+)", first_line(cmd_out([SLAPD, "-VV"], stderr=True)))
    return m.group(1) if m else "?"


def pgsql_version():
    """The server tests/lib/pgsql.bash runs: PostgreSQL 15's, else the
    newest installed."""
    bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"),
                  key=lambda p: [int(x) for x in re.findall(r"\d+", p)])
    if "/usr/lib/postgresql/15/bin/postgres" in bins:
        bins.append("/usr/lib/postgresql/15/bin/postgres")
    m = re.search(r"\(PostgreSQL\) (\S+)", cmd_out([bins[-1], "--version"])) if bins else None
    return m.group(1) if m else "?"


def mariadb_version():
    m = re.search(r"Ver (\S+)", cmd_out(["/usr/sbin/mariadbd", "--version"]))
    return m.group(1) if m else "?"


def ours_version(builddir):
    ours = cmd_out([os.path.join(builddir, "digest_file_auth"), "--version"])
    rev = cmd_out(["git", "-C", SRCDIR, "rev-parse", "--short", "HEAD"])
    if rev and cmd_out(["git", "-C", SRCDIR, "status", "--porcelain",
                        "--untracked-files=no"]):
        rev += " + uncommitted changes"
    return (ours or "?") + (", git " + rev if rev else "")


def software(builddir):
    return [("Squid (helpers in /usr/lib/squid)", squid_version()),
            ("OpenSSL", cmd_out(["openssl", "version"]) or "?"),
            ("SQLite", sqlite3.sqlite_version),
            ("slapd (OpenLDAP)", slapd_version()),
            ("PostgreSQL server", pgsql_version()),
            ("MariaDB server", mariadb_version()),
            ("compiler", first_line(cmd_out(["cc", "--version"])) or "?"),
            ("ours", ours_version(builddir))]


def machine_info(builddir):
    """(name, value) rows: the machine, then the software versions."""
    return hardware() + software(builddir)
