#!/bin/sh
# setup-debian.sh - install what building (and, with --test, testing)
# digest-helpers needs on Debian 12, with apt-get, only when it is missing.
#
#   sh tests/setup-debian.sh          build dependencies
#   sh tests/setup-debian.sh --test   build and test dependencies
set -eu

build_pkgs="build-essential autoconf automake pkg-config libssl-dev libsqlite3-dev libldap-dev libpq-dev libmariadb-dev"
test_pkgs="bats curl python3 squid strace apache2-utils sqlite3 slapd ldap-utils openssl valgrind clang libclang-rt-14-dev acl attr postgresql mariadb-server debhelper lintian apparmor libtool fakeroot"

pkgs=$build_pkgs
[ "${1:-}" = "--test" ] && pkgs="$pkgs $test_pkgs"

missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "setup-debian.sh: missing packages:$missing; run as root or install them" >&2
	exit 1
fi
echo "setup-debian.sh: installing$missing" >&2

# Packages such as squid start their service from the maintainer scripts;
# the tests start their own private instances, so keep the system's off.
policy=/usr/sbin/policy-rc.d
made_policy=no
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' >"$policy"
	chmod 755 "$policy"
	made_policy=yes
fi
trap '[ "$made_policy" = yes ] && rm -f "$policy"' EXIT

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
