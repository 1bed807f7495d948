"""Numbers, cells and tables, for the terminal and for Markdown."""


def fmt_n(v):
    return "{:,}".format(v)


def fmt_v(v, fig):
    if v is None:
        return "-"
    if fig in ("batch_rate", "limit_rate", "shared_rate"):
        return fmt_n(int(round(v)))
    if fig == "rss_mb":
        return "%.1f" % v
    if fig == "load_ms":
        return "%.1f" % v if v < 100 else "%.0f" % v
    if fig == "rtt_same_cpu":
        return "%.0f" % v
    return "%.1f" % v


def fmt_stat(st, fig):
    """median (min-max) of a Figures.stats() tuple, or FAILED."""
    if st is None:
        return "FAILED"
    med, lo, hi, n = st
    return "%s (%s-%s)" % (fmt_v(med, fig), fmt_v(lo, fig), fmt_v(hi, fig))


def ratio_cell(r):
    if r is None:
        return "-"
    if r >= 100:
        return "%.0fx" % r
    if r >= 10:
        return "%.1fx" % r
    return "%.2fx" % r


def fmt_name(f, size):
    """A store's short name: "-c 1,000", "plain 1,000,000"."""
    return "%s %s" % (fmt_short(f), fmt_n(size))


def fmt_short(f):
    return "-c" if f == "ha1" else "plain"


def md_table(header, rows):
    out = ["| " + " | ".join(header) + " |",
           "|" + "|".join("---" for _ in header) + "|"]
    for row in rows:
        out.append("| " + " | ".join(str(c) for c in row) + " |")
    return "\n".join(out)


def text_table(header, rows):
    cols = [header] + [[str(c) for c in r] for r in rows]
    w = [max(len(r[i]) for r in cols) for i in range(len(header))]
    out = ["  ".join(c.ljust(w[i]) for i, c in enumerate(header)),
           "  ".join("-" * w[i] for i in range(len(header)))]
    for r in cols[1:]:
        out.append("  ".join(c.ljust(w[i]) for i, c in enumerate(r)))
    return "\n".join(out)
