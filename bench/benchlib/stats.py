"""Samples and what is made of them: medians with min-max, ratios of
medians, run-by-run ratios, and the target table."""

import statistics

from .common import FORMATS
from .fmt import fmt_n, fmt_name, ratio_cell


class Figures:
    """Samples per key (group, figure, store size, format, helper); failed
    runs per (group, store size, format, helper); notes for the report."""

    def __init__(self):
        self.samples = {}
        self.errors = {}
        self.notes = []

    def add(self, key, value):
        self.samples.setdefault(key, []).append(value)

    def error(self, key, msg):
        self.errors.setdefault(key, []).append(msg)

    def stats(self, key):
        """(median, min, max, count), or None without samples."""
        v = self.samples.get(key)
        if not v:
            return None
        return statistics.median(v), min(v), max(v), len(v)

    def median(self, key):
        s = self.stats(key)
        return s[0] if s else None

    def ratio(self, k1, k2):
        """Ratio of the medians of two keys, or None."""
        a, b = self.median(k1), self.median(k2)
        return a / b if a is not None and b else None


def paired_range(fig, k1, k2):
    """min-max of run-by-run ratios (same run index)."""
    a, b = fig.samples.get(k1), fig.samples.get(k2)
    if not a or not b:
        return None
    r = [x / y for x, y in zip(a, b) if y]
    return (min(r), max(r)) if r else None


# --- targets ------------------------------------------------------------------

def target_row(name, target, ratios, good, detail):
    """(figure, target, measured, met) of one target."""
    vals = [x for x in ratios if x is not None]
    if len(vals) != len(ratios) or not vals:
        return (name, target, "not measured" if not vals else
                "incomplete: " + detail(ratios), "?")
    return (name, target, detail(ratios), "met" if all(good(x) for x in vals) else "MISSED")


def both_formats(v):
    return "-c %s, plaintext %s" % tuple(ratio_cell(x) for x in v)


def file_ratios(fig, figname, size, other="squid", group="file"):
    """ours/other for each format, on one store size."""
    return [fig.ratio(("file", figname, size, f, "ours"), (group, figname, size, f, other))
            for f, _ in FORMATS]


def big_targets(s, fig):
    big = s.big
    return [
        target_row("batch throughput, 1,000,000 users, -c and plaintext", ">= 100x Squid's",
                   file_ratios(fig, "batch_rate", big), lambda x: x >= 100, both_formats),
        target_row("load time, 1,000,000 users", "<= 0.5x Squid's",
                   file_ratios(fig, "load_ms", big), lambda x: x <= 0.5, both_formats),
        target_row("peak RSS, 1,000,000 users", "<= 1.0x Squid's",
                   file_ratios(fig, "rss_mb", big), lambda x: x <= 1.0, both_formats),
    ]


def per_store(s, fig, figname, other="squid", group="file"):
    """The ratios of every store and their names ("-c 1,000", ...)."""
    rs, names = [], []
    for size in s.sizes:
        rs += file_ratios(fig, figname, size, other, group)
        names += [fmt_name(f, size) for f, _ in FORMATS]
    return rs, names


def named(names):
    return lambda v: ", ".join("%s %s" % (n, ratio_cell(x)) for n, x in zip(names, v))


RTT_TARGETS = (
    ("cross_median_us", "round-trip latency median, helper on the other CPU "
     "(a cross-CPU wake-up each way)"),
    ("pin_median_us", "round-trip latency median, helper on the client's CPU"),
    ("rtt_median_us", "round-trip latency median, CPU left to the scheduler "
     "(measures the scheduler's placement on this VM: see Method)"))


def rtt_targets(s, fig):
    rows = []
    for figname, label in RTT_TARGETS:
        rs, names = per_store(s, fig, figname)
        rows.append(target_row(label, "<= 1.0x Squid's", rs, lambda x: x <= 1.0, named(names)))
    return rows


def ldap_target(s, fig):
    def vs_squid(name):
        return fig.ratio(("ldap", "batch_rate", s.ldap_users, "ha1", name),
                         ("ldap", "batch_rate", s.ldap_users, "ha1", "squid"))
    return target_row("LDAP throughput with channel IDs, -j 16", ">= 4x Squid's",
                      [vs_squid("ours -j 16")], lambda x: x >= 4,
                      lambda v: ratio_cell(v[0]) + " (-j 1: %s)" % ratio_cell(vs_squid("ours -j 1")))


def sqlite_squid_key(s, fig):
    """Squid's -c figure on the biggest store: the file group's, else the
    one the sqlite group measured itself."""
    top = max(s.sizes)
    k = ("file", "batch_rate", top, "ha1", "squid")
    return k if k in fig.samples else ("sqlite", "batch_rate", top, "ha1", "squid")


def sqlite_targets(s, fig):
    top = max(s.sizes)
    ours = ("sqlite", "batch_rate", top, "ha1", "ours-sqlite")
    ceil = ("sqlite", "batch_rate", top, "ha1", "ceiling")
    pr = paired_range(fig, ours, ceil)
    spread = " (run-by-run %s-%s)" % (ratio_cell(pr[0]), ratio_cell(pr[1])) if pr else ""
    return [
        target_row("SQLite throughput, %s users" % fmt_n(top),
                   ">= 0.8x the in-process SQLite ceiling", [fig.ratio(ours, ceil)],
                   lambda x: x >= 0.8, lambda v: ratio_cell(v[0]) + spread),
        target_row("SQLite throughput, %s users" % fmt_n(top),
                   ">= 100x Squid's digest_file_auth (-c)",
                   [fig.ratio(ours, sqlite_squid_key(s, fig))], lambda x: x >= 100,
                   lambda v: ratio_cell(v[0])),
    ]


def ceiling_target(s, fig):
    rs, names = per_store(s, fig, "batch_rate", other="ceiling", group="ceiling")
    return target_row("file helper batch throughput", ">= 0.5x the in-process ceiling", rs,
                      lambda x: x >= 0.5, named(names))


def targets(s, fig):
    """(figure, target, measured, met) rows of the target table."""
    big = big_targets(s, fig) if s.big in s.sizes else []
    rows = big[:1]
    if 1000 in s.sizes:
        rows.append(target_row("batch throughput, 1,000 users", ">= 3x Squid's",
                               file_ratios(fig, "batch_rate", 1000), lambda x: x >= 3,
                               both_formats))
    rows += big[1:]
    rows += rtt_targets(s, fig)
    rows += [ldap_target(s, fig)] + sqlite_targets(s, fig) + [ceiling_target(s, fig)]
    return rows
