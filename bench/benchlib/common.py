"""Settings and constants shared by the bench modules."""

import os
import sys

REALM = "Squid proxy-caching web server"
SQUID_FILE = "/usr/lib/squid/digest_file_auth"
SQUID_LDAP = "/usr/lib/squid/digest_ldap_auth"
SLAPD = "/usr/sbin/slapd"
UNKNOWN_FRACTION = 0.10

# the source tree: bench/benchlib/common.py is three levels down
SRCDIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

FORMATS = [("ha1", "-c user:realm:HA1"), ("plain", "plaintext user:password")]

QUICK = dict(sizes=[1000, 1000000], runs=3, requests=50000, rtt=5000,
             squid_big_requests=2000, squid_big_rtt=500,
             ldap_users=10000, ldap_requests=5000,
             pgsql_users=100000, pgsql_requests=20000,
             mysql_users=100000, mysql_requests=20000)
FULL = dict(sizes=[1000, 100000, 1000000], runs=5, requests=200000, rtt=20000,
            squid_big_requests=20000, squid_big_rtt=2000,
            ldap_users=10000, ldap_requests=20000,
            pgsql_users=100000, pgsql_requests=20000,
            mysql_users=100000, mysql_requests=20000)


class Settings:
    """Sizes, runs and line counts of one bench run.  squid_big_requests
    and squid_big_rtt: what Squid's helper gets on the biggest store."""

    def __init__(self, quick, runs=None):
        self.quick = quick
        for k, v in (QUICK if quick else FULL).items():
            setattr(self, k, list(v) if isinstance(v, list) else v)
        if runs:
            self.runs = runs
        self.big = 1000000              # where Squid gets fewer lines


def say(msg):
    print(msg, file=sys.stderr, flush=True)
