"""The Method section of the Markdown report: how this run measured."""

from .common import REALM, UNKNOWN_FRACTION
from .fmt import fmt_n
from .mysql import method_text as mysql_method
from .pgsql import method_text as pgsql_method

GENERAL = (
    "- Users `user0000000`...; realm `%s`. Password files of %s users, plaintext "
    "(`user:password`, HA1 computed per lookup) and `-c` (`user:realm:HA1`).\n"
    "- %s request lines `\"user\":\"realm\"`, about %d %% unknown users, uniformly drawn.\n"
    "- `bench/client` spawns the helper on pipes: **load** = fork to the reply of the "
    "first request (sent at once); **batch** = all lines written at once by a writer "
    "thread while replies are read, lookups/s until the last reply; **peak RSS** = "
    "`ru_maxrss` from `wait4()` after EOF. Every reply is counted and checked: the "
    "number of `OK` must equal the known users asked for, no `BH`, channel IDs echoed.\n"
    "- **Round trip** = one line written, its reply read, %s times (median, p99). Ours "
    "and Squid's run side by side in one client (`bench/client ... --and ...`), one "
    "request each in turn, so both meet the same moment of the machine; which one is "
    "spawned first alternates from run to run. Three passes: the CPUs left to the "
    "scheduler, then the helpers pinned to the CPU the client is not on (every request "
    "and every reply a cross-CPU wake-up), then the helpers pinned to the client's CPU "
    "(no cross-CPU wake-up). On this VM an idle vCPU takes tens of microseconds to wake "
    "(cpuidle haltpoll, no guest halt polling), so the first pass measures where the "
    "scheduler put each helper process: in one client, one helper typically sits on the "
    "client's CPU at about 10 us and the other on the other CPU at about 60 us. Which "
    "one is the scheduler's choice, per process: run by hand it changes from run to "
    "run; here the client looks where each helper last ran once every 32 round trips "
    "of that pass, and the share of those samples that found it on the client's CPU "
    "is in the tables. The pinned passes fix the placement and compare the helpers "
    "under each.\n"
    "- Each figure: median of %d runs, (min-max) beside it; ratio column: ratio of "
    "medians, then the min-max of run-by-run ratios.\n")

SQUID_BIG = (
    "- **Squid's helper on %s users gets only the first %s of the request lines** "
    "(and both helpers make %s round trips instead of %s at that size): its hash "
    "table has a fixed bucket count, so each lookup walks a long chain and %s lines "
    "would take minutes per run. Its per-lookup cost does not depend on how many "
    "lines it gets, so lookups/s are comparable.\n")

OTHERS = (
    "- Ceiling: `bench/ceiling` loads the same file through `file_backend.init` and "
    "times `loop_handle_line()` over the same lines in memory (parse, lookup, HA1, "
    "reply formatting; no I/O): one untimed pass, then one timed pass right after our "
    "helper's batch on the same store in each of the %d runs, so both meet the same "
    "moment of the machine.\n"
    "- SQLite: `digest_sqlite_auth` on the same %s users (default schema), same "
    "request lines. **SQLite ceiling**: `bench/sqlite_ceiling` opens the same store "
    "through the helper's own code (`sqlite_backend.init`: read-only, mapped, "
    "`SQLSCHEMA_LOOKUP` of `lib/sqlschema.h` prepared once) and times the store's own "
    "lookup (`sqlite_backend.lookup`: bind `:user` and `:realm`, step, the row, the read "
    "transaction a burst shares) over the same lines, parsed before the clock starts: "
    "no pipes, no parsing, no reply formatting. One untimed pass, then one timed pass "
    "right after the helper's batch in each run, as for the file ceiling. Squid's "
    "`digest_file_auth -c` on the same users is the file group's figure, or, without "
    "the file group, measured in the sqlite group right after the ceiling (on the "
    "same shortened request lines as in the file group).\n"
    "- LDAP: a slapd (mdb, `index objectClass eq` and `uid eq`, `loglevel 0`) started "
    "by the bench on 127.0.0.1 with %s users (`userPassword: REALM:HA1`, helpers run "
    "with `-e`, `-F (uid=%%s)`, bound as the root DN); %s request lines, each with a "
    "channel ID (0, 1, 2, ...), written at once. Squid's helper needs `-v 3` (it "
    "defaults to LDAPv2, which slapd refuses) and gets `-P`. slapd shares the 2 cores "
    "with the helper and the client.\n")


def method_md(s):
    out = GENERAL % (REALM, " / ".join(fmt_n(x) for x in s.sizes), fmt_n(s.requests),
                     int(UNKNOWN_FRACTION * 100), fmt_n(s.rtt), s.runs)
    if s.big in s.sizes and s.squid_big_requests < s.requests:
        out += SQUID_BIG % (fmt_n(s.big), fmt_n(s.squid_big_requests),
                            fmt_n(s.squid_big_rtt), fmt_n(s.rtt), fmt_n(s.requests))
    return out + OTHERS % (s.runs, fmt_n(max(s.sizes)), fmt_n(s.ldap_users),
                           fmt_n(s.ldap_requests)) + pgsql_method(s) + mysql_method(s) + "\n"
