#!/bin/sh
# packages.sh - build the Debian packages from this tree and test them
# installed, as root on Debian 12 (tests/run-all.sh runs it last):
#
#   1. build   copy the tree (tracked and untracked files, not what
#              .gitignore names) to a temporary directory and run
#              DEB_BUILD_OPTIONS=nocheck dpkg-buildpackage -us -uc -b there
#              (with -Ppkg.digest-helpers.nolib, i.e. without libdigestauth0
#              and libdigestauth-dev, while the tree has no libdigestauth)
#   2. lintian on the .changes: any error or warning fails
#   3. apparmor  Squid's profile with contrib/apparmor/usr.sbin.squid as
#              its local include, compiled by apparmor_parser in a copy of
#              /etc/apparmor.d (the system's is never touched)
#   4. install apt-get install ./<every .deb but -dbgsym>; check the
#              paths, the man pages and that the installed snippet parses
#   5. e2e     tests/squid_e2e.bats against /usr/lib/digest-helpers and
#              /usr/bin (DH_HELPER_DIR, DH_TOOL_DIR: tests/lib/common.bash)
#   6. example tests/example_curl.sh --installed, when the tree has it
#   7. purge   apt-get purge the packages; nothing of them may be left
#
#   sh tests/packages.sh [--summary FILE] [--keep]
#
# It stops at the first failing step, names it, and exits 1; whatever it
# installed is purged on the way out.  --summary FILE appends one line
# "packages PASSED FAILED 0" (steps) for run-all.sh's summary.  Logs go
# to _build/packages/; --keep keeps the build directory.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
summary=""
keep=no
while [ $# -gt 0 ]; do
	case $1 in
	--summary) summary=$2; shift 2 ;;
	--keep) keep=yes; shift ;;
	*) echo "usage: sh tests/packages.sh [--summary FILE] [--keep]" >&2; exit 2 ;;
	esac
done

start=$(date +%s)
logs="$top/_build/packages"
rm -rf "$logs"
mkdir -p "$logs"
passed=0
step=setup
installed=""
made_policy=no
policy=/usr/sbin/policy-rc.d
work=""

finish() {
	rc=$?
	trap - EXIT
	if [ -n "$installed" ]; then
		# shellcheck disable=SC2086
		DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq $installed >/dev/null 2>&1 || true
	fi
	[ "$made_policy" = no ] || rm -f "$policy"
	if [ -n "$work" ]; then
		if [ "$keep" = yes ] || [ "$rc" != 0 ]; then
			echo "packages: build directory kept: $work"
		else
			rm -rf "$work"
		fi
	fi
	failed=0
	[ "$rc" = 0 ] || failed=1
	[ -z "$summary" ] || echo "packages $passed $failed 0" >>"$summary"
	if [ "$rc" = 0 ]; then
		echo "packages: all $passed steps passed in $(($(date +%s) - start)) s"
	else
		echo "packages: FAILED at step '$step' (logs: $logs)" >&2
	fi
	exit "$rc"
}
trap finish EXIT

fail() {
	echo "packages: step '$step' failed: $*" >&2
	exit 1
}

begin() {
	step=$1
	echo "==> packages: $1"
}

ok() {
	passed=$((passed + 1))
}

# apparmor_check SNIPPET: Squid's profile with SNIPPET as its local
# include compiles.  The copy of /etc/apparmor.d drops Debian's disable/
# link, or the parser would skip the profile and pass whatever the
# snippet holds.
apparmor_check() {
	aa="$work/apparmor.d"
	rm -rf "$aa"
	cp -a /etc/apparmor.d "$aa"
	rm -f "$aa/disable/usr.sbin.squid"
	cp "$1" "$aa/local/usr.sbin.squid"
	apparmor_parser --skip-kernel-load --skip-cache --base "$aa" --Include "$aa" \
		"$aa/usr.sbin.squid" >>"$logs/apparmor.log" 2>&1 ||
		{ cat "$logs/apparmor.log" >&2; return 1; }
	# and the snippet is really in the compiled profile
	apparmor_parser --preprocess --base "$aa" --Include "$aa" "$aa/usr.sbin.squid" 2>/dev/null |
		grep -q '^ */usr/lib/digest-helpers/digest_\*_auth rmix,' ||
		{ echo "the snippet's exec rule is not in the preprocessed profile" >&2; return 1; }
}

[ "$(id -u)" = 0 ] || { echo "packages.sh: run as root (it installs and purges packages)" >&2; exit 1; }
sh tests/setup-debian.sh --test
[ -f /etc/apparmor.d/usr.sbin.squid ] || fail "/etc/apparmor.d/usr.sbin.squid is missing (squid not installed?)"
jobs=$(nproc 2>/dev/null || echo 2)
work=$(mktemp -d /tmp/dh-packages.XXXXXX)
chmod 755 "$work"	# apt's _apt user reads the .debs from here

# --- 1. build ------------------------------------------------------------------
begin build
mkdir "$work/src"
if [ -d .git ] || git rev-parse --git-dir >/dev/null 2>&1; then
	git ls-files -z -co --exclude-standard | tar --null -T - -cf - | tar -xf - -C "$work/src"
else
	tar --exclude=./_build -cf - . | tar -xf - -C "$work/src"
fi
# A tree without libdigestauth (before its branch is merged) builds
# without the libdigestauth0 and libdigestauth-dev packages.
profiles=""
if [ ! -f digestauth.pc.in ]; then
	echo "    no libdigestauth in this tree: building with -Ppkg.digest-helpers.nolib"
	profiles=-Ppkg.digest-helpers.nolib
fi
# shellcheck disable=SC2086
if ! (cd "$work/src" && DEB_BUILD_OPTIONS="nocheck parallel=$jobs" \
	dpkg-buildpackage -us -uc -b $profiles) >"$logs/build.log" 2>&1; then
	tail -40 "$logs/build.log" >&2
	fail "dpkg-buildpackage (log: $logs/build.log)"
fi
changes=$(ls "$work"/*.changes)
debs=""
for d in "$work"/*.deb; do
	case $d in *-dbgsym_*) ;; *.deb) [ -f "$d" ] && debs="$debs $d" ;; esac
done
[ -n "$debs" ] || fail "no .deb was built"
for d in $debs; do
	echo "    $(basename "$d")"
	dpkg-deb -c "$d" >"$logs/$(basename "$d" .deb).contents"
	# the base package (the file helper and the tools) pulls in no
	# database client library: that is what the split is for
	if [ "$(dpkg-deb -f "$d" Package)" = digest-helpers ] &&
		dpkg-deb -f "$d" Depends | grep -E 'libsqlite3|libldap|libpq|libmariadb|libmysql'; then
		fail "digest-helpers depends on a database client library"
	fi
done
ok

# --- 2. lintian ------------------------------------------------------------------
begin lintian
# (lintian says "running with root privileges is not recommended" on stderr)
lintian --fail-on error,warning "$changes" >"$logs/lintian.log" 2>"$logs/lintian.err" ||
	{ cat "$logs/lintian.log" "$logs/lintian.err" >&2; fail "lintian reported errors or warnings"; }
! grep -E '^[EW]: ' "$logs/lintian.log" >&2 || fail "lintian reported errors or warnings"
ok

# --- 3. apparmor -----------------------------------------------------------------
begin apparmor
apparmor_check contrib/apparmor/usr.sbin.squid || fail "apparmor_parser rejects Squid's profile with the snippet"
ok

# --- 4. install -------------------------------------------------------------------
begin install
if [ ! -e "$policy" ]; then	# no service of any package started
	printf '#!/bin/sh\nexit 101\n' >"$policy"
	chmod 755 "$policy"
	made_policy=yes
fi
installed=$(for d in $debs; do dpkg-deb -f "$d" Package; done | tr '\n' ' ')
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $debs \
	>"$logs/install.log" 2>&1 || { tail -30 "$logs/install.log" >&2; fail "apt-get install"; }
# man_ours SECTION PAGE: the page is installed, by one of our packages
# (digest_file_auth's is 8dh: Squid owns digest_file_auth.8)
man_ours() {
	page=$(man -w "$1" "$2" 2>/dev/null) || fail "no man page $2($1)"
	dpkg -S "$page" 2>/dev/null | grep -q '^digest-helpers' || fail "$page is not ours"
}
for p in digest_file_auth digest_sqlite_auth digest_ldap_auth digest_pgsql_auth digest_mysql_auth; do
	[ -x "/usr/lib/digest-helpers/$p" ] || fail "/usr/lib/digest-helpers/$p is not installed"
	"/usr/lib/digest-helpers/$p" --version >/dev/null || fail "$p --version"
	if [ "$p" = digest_file_auth ]; then man_ours 8dh "$p"; else man_ours 8 "$p"; fi
done
for p in digest_passwd digest_calc; do
	[ "$(command -v "$p")" = "/usr/bin/$p" ] || fail "$p is not /usr/bin/$p"
	"$p" --version >/dev/null || fail "$p --version"
	man_ours 1 "$p"
done
for s in sqlite ldap pgsql mysql; do	# what digest_passwd --STORE runs
	[ -x "/usr/lib/digest-helpers/digest_passwd-$s" ] ||
		fail "/usr/lib/digest-helpers/digest_passwd-$s is not installed"
done
snippet=/usr/share/doc/digest-helpers/examples/usr.sbin.squid
cmp -s "$snippet" contrib/apparmor/usr.sbin.squid || fail "$snippet is not contrib/apparmor/usr.sbin.squid"
apparmor_check "$snippet" || fail "apparmor_parser rejects the installed snippet"
ok

# --- 5. e2e --------------------------------------------------------------------------
begin e2e
DH_HELPER_DIR=/usr/lib/digest-helpers DH_TOOL_DIR=/usr/bin CI=true \
	bats --tap tests/squid_e2e.bats >"$logs/e2e.log" 2>&1 ||
	{ cat "$logs/e2e.log" >&2; fail "tests/squid_e2e.bats against the installed helpers"; }
grep -c '^ok ' "$logs/e2e.log" | sed 's/^/    e2e tests passed: /'
ok

# --- 6. example (the library's -dev package) -------------------------------------
if [ -f tests/example_curl.sh ]; then
	begin example
	sh tests/example_curl.sh --installed >"$logs/example.log" 2>&1 ||
		{ cat "$logs/example.log" >&2; fail "tests/example_curl.sh --installed"; }
	ok
fi

# --- 7. purge -------------------------------------------------------------------------
begin purge
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive apt-get purge -y $installed >"$logs/purge.log" 2>&1 ||
	{ tail -30 "$logs/purge.log" >&2; fail "apt-get purge"; }
left=$installed
installed=""
for p in $left; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case $st in
	"" | *not-installed) ;;
	*) fail "package $p is left ($st)" ;;
	esac
done
[ ! -e /usr/lib/digest-helpers ] || fail "/usr/lib/digest-helpers is left: $(ls -A /usr/lib/digest-helpers)"
[ ! -e /usr/share/doc/digest-helpers ] || fail "/usr/share/doc/digest-helpers is left"
for p in digest_passwd digest_calc; do
	[ ! -e "/usr/bin/$p" ] || fail "/usr/bin/$p is left"
done
ok
