"""The benchmark groups: file (ours and Squid's digest_file_auth, with the
in-process ceiling beside ours), ceiling alone, sqlite (with its own
in-process ceiling) and ldap; pgsql and mysql are in their own modules.  Each records its
samples and failures in a stats.Figures."""

import os
import random
import shutil
import time

from .common import FORMATS, SLAPD, SQUID_FILE, SQUID_LDAP, say
from .data import make_requests, make_sqlite, write_ldap_users, write_lines
from .fmt import fmt_n
from .measure import (FAILURES, check_answers, record_file_run, record_rtt,
                      run_ceiling, run_client, run_pair, run_sqlite_ceiling)
from .slapd import Slapd


# --- file ---------------------------------------------------------------------

def file_cmds(st, fmt, bins):
    path = st.ha1 if fmt == "ha1" else st.plain
    flag = ["-c"] if fmt == "ha1" else []
    return {"ours": [bins["file"]] + flag + [path],
            "squid": [SQUID_FILE] + flag + [path]}


def file_batch(st, fmt, helper, cmd, bins, fig):
    """Load time, batch throughput and peak RSS of one helper."""
    if helper == "ours":
        reqs, known = st.requests, st.known
    else:
        reqs, known = st.squid_requests, st.squid_known
    key = ("file", st.size, fmt, helper)
    try:
        res = run_client(bins["client"], "%s %s %d" % (helper, fmt, st.size), cmd,
                         batch=reqs)
        check_answers(res, known, True, 0)
        record_file_run(fig, key, res)
    except FAILURES as e:
        fig.error(key, str(e))
        say("  FAILED %s %s %d: %s" % (helper, fmt, st.size, e))


def file_pair(s, st, fmt, cmds, run, bins, fig):
    """Round trips: both helpers in one client, in turn; which one is
    spawned first alternates from run to run."""
    order = ("ours", "squid") if run % 2 == 0 else ("squid", "ours")
    rtt = s.squid_big_rtt if st.size >= s.big else s.rtt
    try:
        pair = run_pair(bins["client"], ["%s %s %d" % (h, fmt, st.size) for h in order],
                        [cmds[h] for h in order], st.requests, rtt)
        for h, res in zip(order, pair):
            check_answers(res, st.known, False, rtt)
            record_rtt(fig, ("file", st.size, fmt, h), res)
    except FAILURES as e:
        for h in order:
            fig.error(("file", st.size, fmt, h), "round trips: " + str(e))
        say("  FAILED round trips %s %d: %s" % (fmt, st.size, e))


def bench_file(s, stores, bins, fig, with_ceiling=False):
    """Ours and Squid's on each store, run after run; with_ceiling, the
    in-process ceiling too, one pass right after our helper's batch, so the
    helper/ceiling ratio compares the same moment of the machine."""
    for run in range(s.runs):
        say("file helpers: run %d of %d" % (run + 1, s.runs))
        for size in s.sizes:
            st = stores[size]
            for fmt, _ in FORMATS:
                cmds = file_cmds(st, fmt, bins)
                for helper in ("ours", "squid"):
                    file_batch(st, fmt, helper, cmds[helper], bins, fig)
                    if helper == "ours" and with_ceiling:
                        run_ceiling(st, fmt, bins, fig, 1)
                file_pair(s, st, fmt, cmds, run, bins, fig)


def bench_ceiling(s, stores, bins, fig):
    """The ceiling alone (--only without file): all passes at once."""
    for size in s.sizes:
        for fmt, _ in FORMATS:
            say("ceiling: %s %d users" % (fmt, size))
            run_ceiling(stores[size], fmt, bins, fig, s.runs)


# --- sqlite -------------------------------------------------------------------

def sqlite_squid(st, bins, fig):
    """Squid's digest_file_auth -c on the same users, when the file group
    does not measure it in this run (the >= 100x target's denominator)."""
    key = ("sqlite", st.size, "ha1", "squid")
    try:
        res = run_client(bins["client"], "squid ha1 %d" % st.size,
                         [SQUID_FILE, "-c", st.ha1], batch=st.squid_requests)
        check_answers(res, st.squid_known, True, 0)
        fig.add(("sqlite", "batch_rate", st.size, "ha1", "squid"), res["batch_rate"])
    except FAILURES as e:
        fig.error(key, str(e))
        say("  FAILED squid -c %d: %s" % (st.size, e))


def bench_sqlite(s, stores, bins, fig, tmp, with_squid=False):
    """Our SQLite helper on the biggest store, its in-process ceiling one
    pass right after each batch (as bench_file runs bench/ceiling), and
    with_squid, Squid's file helper on the same users."""
    if not bins.get("sqlite"):
        fig.notes.append("digest_sqlite_auth was not built (configure --with-sqlite): SQLite skipped.")
        return
    st = stores[max(s.sizes)]
    say("sqlite: building the %s-user store" % fmt_n(st.size))
    t0 = time.time()
    db, how = make_sqlite(st, tmp, os.path.dirname(bins["file"]))
    fig.notes.append("SQLite store of %s users built with %s in %.1f s."
                     % (fmt_n(st.size), how, time.time() - t0))
    if not bins.get("sqlite_ceiling"):
        fig.notes.append("bench/sqlite_ceiling not built (make bench): no SQLite ceiling.")
    for run in range(s.runs):
        say("sqlite: run %d of %d" % (run + 1, s.runs))
        key = ("sqlite", st.size, "ha1", "ours-sqlite")
        try:
            res = run_client(bins["client"], "sqlite %d" % st.size,
                             [bins["sqlite"], db], batch=st.requests, rtt=s.rtt)
            check_answers(res, st.known, True, s.rtt)
            record_file_run(fig, key, res)
        except FAILURES as e:
            fig.error(key, str(e))
            say("  FAILED sqlite: %s" % e)
        if bins.get("sqlite_ceiling"):
            run_sqlite_ceiling(st, db, bins, fig, 1)
        if with_squid:
            sqlite_squid(st, bins, fig)


# --- ldap ---------------------------------------------------------------------

def ldap_missing(bins):
    """Why the LDAP group cannot run, or None."""
    if not bins.get("ldap"):
        return "digest_ldap_auth was not built (configure --with-ldap): LDAP skipped."
    if not os.access(SLAPD, os.X_OK):
        return "slapd not installed: LDAP skipped."
    if not (shutil.which("ldapadd") and shutil.which("ldapsearch")):
        return "ldapadd/ldapsearch (ldap-utils) not installed: LDAP skipped."
    return None


def ldap_configs(bins, slapd):
    args = slapd.helper_args()
    return [
        ("ours -j 1", [bins["ldap"], "-j", "1"] + args),
        ("ours -j 16", [bins["ldap"], "-j", "16"] + args),
        # Squid's helper defaults to LDAPv2 (slapd refuses the bind, every
        # user is then ERR); -P keeps its connection open
        ("squid", [SQUID_LDAP, "-v", "3", "-P"] + args),
    ]


STALL_NOTE = (
    "**Our digest_ldap_auth (%s) stalled** on the first request: `%s`. "
    "It holds a finished reply in its output buffer and blocks reading "
    "stdin (lib/loop.c: after dispatch() completes the last lookup in "
    "flight, the loop goes on to a blocking read without flushing), so "
    "Squid would wait for that reply until the next request arrives. "
    "The LDAP figures below are therefore measured with stdin closed "
    "right after the batch (EOF flushes), for Squid's helper too, and "
    "without a load time.")


def ldap_stalls(configs, bins, reqs, known, fig):
    """The way Squid feeds a helper: stdin stays open.  A helper of ours
    that holds a reply back until more input comes is caught by
    --stall-ms (client exit 4): then True, and all LDAP runs (Squid's too)
    are measured with stdin closed after the batch, which flushes the held
    reply, and the report says so."""
    for name, cmd in configs:
        if not name.startswith("ours"):
            continue
        try:
            res = run_client(bins["client"], name, cmd, batch=reqs, stall_ms=3000,
                             timeout=300)
            check_answers(res, known, True, 0)
        except FAILURES as e:
            if getattr(e, "code", None) == 4:
                fig.notes.append(STALL_NOTE % (name, e))
                say("  %s stalled: measuring LDAP with stdin closed after the batch" % name)
                return True
            fig.notes.append("LDAP warm-up run of %s failed: %s" % (name, e))
    return False


def ldap_run(s, name, cmd, bins, reqs, known, fig, workaround):
    key = ("ldap", s.ldap_users, "ha1", name)
    try:
        res = run_client(bins["client"], name, cmd, batch=reqs,
                         no_load=workaround, eof_after_batch=workaround,
                         stall_ms=0 if workaround else 5000, timeout=600)
        check_answers(res, known, True, 0, load=not workaround)
        if not workaround:
            fig.add(("ldap", "load_ms", s.ldap_users, "ha1", name), res["load_us"] / 1000)
        fig.add(("ldap", "batch_rate", s.ldap_users, "ha1", name), res["batch_rate"])
        fig.add(("ldap", "rss_mb", s.ldap_users, "ha1", name), res["maxrss_kb"] / 1024)
    except FAILURES as e:
        fig.error(key, str(e))
        say("  FAILED %s: %s" % (name, e))


def start_slapd(s, tmp, cleanup):
    """The private slapd with s.ldap_users users; its stop() in cleanup."""
    say("ldap: %s users into a throwaway slapd" % fmt_n(s.ldap_users))
    slapd = Slapd(tmp)
    ldif = os.path.join(tmp, "ldap-users.ldif")
    write_ldap_users(ldif, s.ldap_users, slapd.people)
    cleanup.append(slapd.stop)
    slapd.start(ldif)
    return slapd


def bench_ldap(s, bins, fig, tmp, cleanup):
    missing = ldap_missing(bins)
    if missing:
        fig.notes.append(missing)
        return
    slapd = start_slapd(s, tmp, cleanup)
    lines, known = make_requests(random.Random(99), s.ldap_users, s.ldap_requests,
                                 channel_ids=True)
    reqs = os.path.join(tmp, "ldap-req.txt")
    write_lines(reqs, lines)
    configs = ldap_configs(bins, slapd)
    workaround = ldap_stalls(configs, bins, reqs, known, fig)
    for run in range(s.runs):
        say("ldap: run %d of %d" % (run + 1, s.runs))
        for name, cmd in configs:
            ldap_run(s, name, cmd, bins, reqs, known, fig, workaround)
    slapd.stop()
