"""The report: tables on the terminal, the same in Markdown with the
method, and every sample in CSV."""

import csv
import io
import os

from .common import FORMATS
from .fmt import fmt_n, fmt_short, fmt_stat, md_table, ratio_cell, text_table
from .measure import RTT_FIGURES
from .method import method_md
from .mysql import mysql_rows, mysql_targets
from .pgsql import pgsql_rows, pgsql_targets
from .stats import paired_range, sqlite_squid_key, targets

UNITS = {"load_ms": "ms", "batch_rate": "lookups/s", "rtt_median_us": "us",
         "rtt_p99_us": "us", "rtt_same_cpu": "%", "cross_median_us": "us", "cross_p99_us": "us",
         "pin_median_us": "us", "pin_p99_us": "us", "rss_mb": "MiB",
         "server_us": "us", "limit_rate": "lookups/s", "helper_us": "us",
         "shared_rate": "lookups/s"}
FIGNAMES = {"load_ms": "load (start to first answer)", "batch_rate": "batch throughput",
            "rtt_median_us": "round trip, CPU left to the scheduler, median",
            "rtt_p99_us": "round trip, CPU left to the scheduler, p99",
            "rtt_same_cpu": "round trip, CPU left to the scheduler: samples with the "
                            "helper on the client's CPU",
            "cross_median_us": "round trip, helper on the other CPU, median",
            "cross_p99_us": "round trip, helper on the other CPU, p99",
            "pin_median_us": "round trip, helper on the client's CPU, median",
            "pin_p99_us": "round trip, helper on the client's CPU, p99",
            "rss_mb": "peak RSS",
            "server_us": "server CPU per lookup",
            "limit_rate": "server-bound limit",
            "helper_us": "helper CPU per lookup",
            "shared_rate": "shared-core ceiling (server, helper and client on the "
                           "same cores)"}
PER_HELPER = ("load_ms", "batch_rate") + RTT_FIGURES + ("rss_mb",)

HEAD_T = ["figure", "target", "measured (ratio of medians, same run)", "result"]
FILE_H = ["users", "file", "figure", "ours: median (min-max)", "Squid's: median (min-max)",
          "ours/Squid (run-by-run min-max)"]
OTHER_H = ["group", "store", "figure", "median (min-max)", "ratio"]


def fig_label(figname):
    return FIGNAMES[figname] + " (%s)" % UNITS[figname]


# --- the tables ---------------------------------------------------------------

def file_row(fig, size, f, figname):
    ko = ("file", figname, size, f, "ours")
    ks = ("file", figname, size, f, "squid")
    so, ss = fig.stats(ko), fig.stats(ks)
    rat = so[0] / ss[0] if so and ss and ss[0] else None
    pr = paired_range(fig, ko, ks)
    if figname == "rtt_same_cpu":
        rat = pr = None     # a share, not a cost: no ratio
    spread = " (%s-%s)" % (ratio_cell(pr[0]), ratio_cell(pr[1])) if pr else ""
    return (fmt_n(size), fmt_short(f), fig_label(figname),
            fmt_stat(so, figname), fmt_stat(ss, figname), ratio_cell(rat) + spread)


def file_rows(s, fig):
    return [file_row(fig, size, f, figname)
            for size in s.sizes for f, _ in FORMATS for figname in PER_HELPER]


def ceiling_rows(s, fig):
    rows = []
    for size in s.sizes:
        for f, _ in FORMATS:
            sc = fig.stats(("ceiling", "batch_rate", size, f, "ceiling"))
            so = fig.stats(("file", "batch_rate", size, f, "ours"))
            rows.append(("ceiling", "%s users, %s" % (fmt_n(size), fmt_short(f)),
                         "in-process lookups/s", fmt_stat(sc, "batch_rate"),
                         "helper/ceiling " + ratio_cell(so[0] / sc[0] if so and sc else None)))
    return rows


def sqlite_rows(s, fig):
    top = max(s.sizes)
    rows = []
    for figname in PER_HELPER:
        sq = fig.stats(("sqlite", figname, top, "ha1", "ours-sqlite"))
        sf = fig.stats(("file", figname, top, "ha1", "ours"))
        rat = sq[0] / sf[0] if sq and sf and sf[0] else None
        rows.append(("sqlite", "%s users" % fmt_n(top), fig_label(figname),
                     fmt_stat(sq, figname),
                     "" if figname == "rtt_same_cpu" else
                     "vs our -c file helper " + ratio_cell(rat)))
    ours = ("sqlite", "batch_rate", top, "ha1", "ours-sqlite")
    for name, k in (("in-process ceiling (bench/sqlite_ceiling)",
                     ("sqlite", "batch_rate", top, "ha1", "ceiling")),
                    ("Squid's digest_file_auth -c", sqlite_squid_key(s, fig))):
        rows.append(("sqlite", "%s users, %s" % (fmt_n(top), name),
                     fig_label("batch_rate"), fmt_stat(fig.stats(k), "batch_rate"),
                     "digest_sqlite_auth/this " + ratio_cell(fig.ratio(ours, k))))
    return rows


def ldap_rows(s, fig):
    rows = []
    for name in ("ours -j 1", "ours -j 16", "squid"):
        for figname in ("load_ms", "batch_rate", "rss_mb"):
            st = fig.stats(("ldap", figname, s.ldap_users, "ha1", name))
            if st is None and figname == "load_ms":
                continue
            ss = fig.stats(("ldap", figname, s.ldap_users, "ha1", "squid"))
            rows.append(("ldap", "%s users, %s" % (fmt_n(s.ldap_users), name),
                         fig_label(figname), fmt_stat(st, figname),
                         ("vs Squid's " + ratio_cell(st[0] / ss[0] if st and ss else None))
                         if name != "squid" else ""))
    return rows


def other_rows(s, fig):
    return (ceiling_rows(s, fig) + sqlite_rows(s, fig) + ldap_rows(s, fig)
            + pgsql_rows(s, fig, fmt_stat, fig_label) + mysql_rows(s, fig, fmt_stat, fig_label))


# --- CSV ----------------------------------------------------------------------

def write_csv(path, s, fig, trows):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["kind", "group", "figure", "users", "format", "helper", "unit",
                    "median", "min", "max", "runs", "samples"])
        for key in sorted(fig.samples, key=lambda k: tuple(str(x) for x in k)):
            group, figname, size, fmt, helper = key
            med, lo, hi, n = fig.stats(key)
            w.writerow(["figure", group, figname, size, fmt, helper, UNITS[figname],
                        "%.3f" % med, "%.3f" % lo, "%.3f" % hi, n,
                        " ".join("%.3f" % x for x in fig.samples[key])])
        for key, errs in sorted(fig.errors.items(), key=lambda kv: str(kv[0])):
            w.writerow(["error", key[0], "", key[1], key[2], key[3], "", "", "", "",
                        len(errs), errs[-1]])
        for name, target, measured, met in trows:
            w.writerow(["target", "", name, "", "", "", "", "", "", "", "",
                        "%s; %s; %s" % (target, measured, met)])


# --- terminal -----------------------------------------------------------------

def error_lines(fig, fmt):
    return [fmt % (" ".join(map(str, key)), len(errs), errs[-1])
            for key, errs in fig.errors.items()]


def print_terminal(r):
    print()
    if r.quick:
        print("*** " + r.quick + " ***")
    print("digest-helpers benchmark, %s, %.0f s" % (r.started, r.elapsed))
    for k, v in r.info:
        print("  %-36s %s" % (k + ":", v))
    print()
    print("TARGETS: ratios measured in this run")
    print(text_table(HEAD_T, r.trows))
    print()
    print(text_table(FILE_H, file_rows(r.s, r.fig)))
    print()
    print(text_table(OTHER_H, other_rows(r.s, r.fig)))
    for n in r.fig.notes:
        print("note: " + n.replace("**", ""))
    for line in error_lines(r.fig, "error: %s: %d failed run(s), last: %s"):
        print(line)
    print()
    print("written: %s, %s" % (r.md_path, r.csv_path))


# --- Markdown -----------------------------------------------------------------

def md_runs(fig):
    """Notes and failed runs, when there are any."""
    out = []
    if fig.notes:
        out.append("## Notes from this run\n\n")
        out += ["- %s\n" % n for n in fig.notes]
        out.append("\n")
    if fig.errors:
        out.append("## Failed runs\n\n")
        out += error_lines(fig, "- %s: %d failed run(s), last: `%s`\n")
        out.append("\n")
    return "".join(out)


def write_markdown(r):
    md = io.StringIO()
    md.write("# digest-helpers vs Squid's helpers: benchmark results\n\n")
    if r.quick:
        md.write("**%s**\n\n" % r.quick)
    md.write("Generated by `make bench` (`bench/run`) on %s; the whole run took %.0f s. "
             "The machine is a shared, noisy %s-core VM: absolute numbers move from run to "
             "run, **ratios measured in the same run** (ours and Squid's alternating) are "
             "what to compare.\n\n" % (r.started, r.elapsed, os.cpu_count()))
    md.write("## Machine\n\n")
    md.write(md_table(["", ""], r.info) + "\n\n")
    md.write("## Targets\n\n")
    md.write(md_table(HEAD_T, r.trows) + "\n\n")
    md.write("## Method\n\n")
    md.write(method_md(r.s))
    md.write(md_runs(r.fig))
    md.write("## digest_file_auth: ours vs Squid's\n\n")
    md.write(md_table(FILE_H, file_rows(r.s, r.fig)) + "\n\n")
    md.write("## Ceiling, SQLite, LDAP, PostgreSQL\n\n")
    md.write(md_table(OTHER_H, other_rows(r.s, r.fig)) + "\n")
    with open(r.md_path, "w") as f:
        f.write(md.getvalue())


class Report:
    """What one run reports: its settings, figures, machine information,
    start time, duration and the two files it writes."""

    def __init__(self, s, fig, info, started, elapsed, md_path, csv_path):
        self.s, self.fig, self.info = s, fig, info
        self.started, self.elapsed = started, elapsed
        self.md_path, self.csv_path = md_path, csv_path
        self.trows = targets(s, fig) + pgsql_targets(s, fig) + mysql_targets(s, fig)
        self.quick = ("QUICK RUN (%d runs per figure, fewer sizes and lines: for "
                      "development, not for comparison)" % s.runs) if s.quick else None


def report(s, fig, info, started, elapsed, md_path, csv_path):
    r = Report(s, fig, info, started, elapsed, md_path, csv_path)
    print_terminal(r)
    write_markdown(r)
    write_csv(csv_path, s, fig, r.trows)
