"""Running bench/client and bench/ceiling, checking every answer, and
recording the figures they print as samples (stats.Figures)."""

import subprocess

from .common import say

RTT_PASSES = 3     # placement left to the scheduler, --cross, --pinned

RTT_FIGURES = ("rtt_median_us", "rtt_p99_us", "rtt_same_cpu", "cross_median_us",
               "cross_p99_us", "pin_median_us", "pin_p99_us")


class RunError(Exception):
    def __init__(self, msg, code=None):
        super().__init__(msg)
        self.code = code


FAILURES = (RunError, subprocess.TimeoutExpired)


def run_client(client, name, cmd, batch=None, rtt=0, stall_ms=0, no_load=False,
               eof_after_batch=False, timeout=900):
    """One helper under bench/client: its result dict."""
    argv = [client, "--name", name, "--timeout", str(timeout)]
    if batch:
        argv += ["--batch", batch]
    if rtt:
        argv += ["--rtt", str(rtt), "--cross", "--pinned"]
    if stall_ms:
        argv += ["--stall-ms", str(stall_ms)]
    if no_load:
        argv.append("--no-load")
    if eof_after_batch:
        argv.append("--eof-after-batch")
    argv.append("--")
    argv += cmd
    return client_lines(argv, timeout)[0]


def run_pair(client, names, cmds, rtt_file, rtt, timeout=900):
    """Round trips only, two helpers side by side in one client, one
    request each in turn (bench/client --and): both meet the same
    scheduler and machine state.  One result dict per helper."""
    argv = [client, "--timeout", str(timeout), "--rtt-file", rtt_file,
            "--rtt", str(rtt), "--cross", "--pinned"]
    for n in names:
        argv += ["--name", n]
    argv += ["--"] + cmds[0] + ["--and"] + cmds[1]
    res = client_lines(argv, timeout)
    if len(res) != 2:
        raise RunError("client printed %d result lines, expected 2" % len(res))
    return res


def client_error(p):
    err = p.stderr.strip().splitlines()
    client_err = [l for l in err if l.startswith("client:")]
    return RunError("exit %d: %s" % (p.returncode, (client_err or err or ["?"])[-1]),
                    p.returncode)


def client_lines(argv, timeout):
    """Run bench/client: one dict per result line (key=value tokens)."""
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=timeout + 60)
    if p.returncode != 0:
        raise client_error(p)
    out = []
    for line in p.stdout.splitlines():
        res = {}
        for tok in line.split():
            k, _, v = tok.partition("=")
            res[k] = float(v)
        if res:
            out.append(res)
    if not out:
        raise RunError("client printed no results")
    return out


def expected_ok(known, batch, rtt, load=True):
    """OK replies the client should count: first line, batch, and the
    rtt lines RTT_PASSES times (CPUs left to the scheduler, the helper on
    the other CPU, the helper on the client's CPU)."""
    n = len(known)
    ok = (1 if known[0] else 0) if load else 0
    if batch:
        ok += sum(known)
    full, rest = divmod(rtt, n)
    ok += RTT_PASSES * (full * sum(known) + sum(known[:rest]))
    return ok


def check_answers(res, known, batch, rtt, load=True, what=""):
    want = expected_ok(known, batch, rtt, load)
    if int(res["ok"]) != want or res.get("bh", 0) or res.get("other", 0):
        raise RunError("%swrong answers: %d OK (expected %d), %d ERR, %d BH"
                       % (what, res["ok"], want, res["err"], res["bh"]))


def record_file_run(fig, key, res, with_load=True):
    """key: (group, store size, format, helper)."""
    group, store, fmt, helper = key
    if with_load:
        fig.add((group, "load_ms", store, fmt, helper), res["load_us"] / 1000)
    fig.add((group, "batch_rate", store, fmt, helper), res["batch_rate"])
    record_rtt(fig, key, res)
    fig.add((group, "rss_mb", store, fmt, helper), res["maxrss_kb"] / 1024)


def record_rtt(fig, key, res):
    group, store, fmt, helper = key
    for k in RTT_FIGURES:
        if k in res:
            fig.add((group, k, store, fmt, helper),
                    res[k] * 100 if k == "rtt_same_cpu" else res[k])


def ceiling_argv(ceiling, st, fmt, passes):
    argv = [ceiling, "-n", str(passes)]
    argv += ["-c", st.ha1] if fmt == "ha1" else [st.plain]
    return argv + [st.requests]


def ceiling_rates(argv, key, known, fig):
    """Run a ceiling (bench/ceiling, bench/sqlite_ceiling): each pass's
    rate a sample of key's batch_rate, once its OK count is checked.
    key: (group, store size, format, helper)."""
    p = subprocess.run(argv, capture_output=True, text=True)
    if p.returncode != 0:
        fig.error(key, p.stderr.strip()[-300:])
        say("  FAILED %s: %s" % (key[3], p.stderr.strip()[-300:]))
        return
    res = dict(t.partition("=")[::2] for t in p.stdout.split())
    if int(res["ok"]) != sum(known) or int(res["bh"]):
        fig.error(key, "wrong answers: %s OK, %s BH, expected %d OK"
                  % (res["ok"], res["bh"], sum(known)))
        return
    group, size, fmt, helper = key
    for r in res["rates"].split(","):
        fig.add((group, "batch_rate", size, fmt, helper), float(r))


def run_ceiling(st, fmt, bins, fig, passes):
    """bench/ceiling on one store: `passes` timed passes (after an untimed
    one), each a sample of ("ceiling", "batch_rate", ...)."""
    ceiling_rates(ceiling_argv(bins["ceiling"], st, fmt, passes),
                  ("ceiling", st.size, fmt, "ceiling"), st.known, fig)


def run_sqlite_ceiling(st, db, bins, fig, passes):
    """bench/sqlite_ceiling on the SQLite store db holding st's users:
    samples of ("sqlite", "batch_rate", size, "ha1", "ceiling")."""
    ceiling_rates([bins["sqlite_ceiling"], "-n", str(passes), db, st.requests],
                  ("sqlite", st.size, "ha1", "ceiling"), st.known, fig)
