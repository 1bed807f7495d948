#!/bin/sh
# valgrind.sh - run helper bats suites with every program under valgrind
# (make check-valgrind).
#
#   valgrind.sh BUILDDIR SRCDIR SUITE...
#
# The suites find the programs through $top_builddir, so they are pointed
# at a directory of wrappers that run the real programs under memcheck,
# each process logging to vg-logs/.  Afterwards every log is read: any
# error or definite leak fails the run, whatever the tests said.
set -u
builddir=$(cd "$1" && pwd) srcdir=$(cd "$2" && pwd)
shift 2
vgbin="$builddir/vg-bin" logs="$builddir/vg-logs"
rm -rf "$vgbin" "$logs"
mkdir -p "$vgbin" "$logs"
for prog in digest_file_auth digest_sqlite_auth digest_ldap_auth digest_pgsql_auth \
    digest_mysql_auth digest_passwd digest_calc; do
	[ -x "$builddir/$prog" ] || continue
	# digest_passwd hands a store's command to digest_passwd-STORE
	# (tools/passwd_exec.c); valgrind's log of a program that execs is
	# replaced by the next one's, so that program is run directly
	pick="run=$prog"
	[ "$prog" != digest_passwd ] || pick='run=digest_passwd
for a; do
	case $a in
	--sqlite|--pgsql|--ldap|--mysql) run=digest_passwd-${a#--} ;;
	--sqlite=*|--pgsql=*|--ldap=*|--mysql=*) a=${a%%=*}; run=digest_passwd-${a#--} ;;
	esac
done'
	cat >"$vgbin/$prog" <<WRAP
#!/bin/sh
$pick
exec valgrind --quiet --error-exitcode=99 --leak-check=full \\
	--show-leak-kinds=definite --errors-for-leak-kinds=definite \\
	--log-file="$logs/\$run.%p.log" "$builddir/\$run" "\$@"
WRAP
	chmod 755 "$vgbin/$prog"
done
# the suites read config.h to tell what this build has
[ ! -f "$builddir/config.h" ] || cp "$builddir/config.h" "$vgbin/"
chmod 755 "$vgbin"

status=0
top_builddir=$vgbin top_srcdir=$srcdir DH_UNDER_VALGRIND=1 bats --tap "$@" || status=1

n=$(ls "$logs" | wc -l)
bad=$(grep -lE 'ERROR SUMMARY: [1-9]|definitely lost: [1-9]' "$logs"/*.log 2>/dev/null || true)
if [ -n "$bad" ]; then
	echo "valgrind: errors in $(echo "$bad" | wc -l) of $n runs:" >&2
	for f in $bad; do echo "== $f" >&2; head -60 "$f" >&2; done
	status=1
else
	echo "valgrind: $n program runs, no errors, no definite leaks"
fi
exit $status
