#!/usr/bin/env bats
# Each program's --help and its man page name the same options: every
# option --help shows is in the page, and every option the page documents
# in a paragraph of its own is in --help (tests/lib/manopts.py).

load lib/common

MANOPTS="$top_srcdir/tests/lib/manopts.py"

check() {	# check MANPAGE COMMAND...
	run python3 "$MANOPTS" "$top_srcdir/doc/$1" -- "${@:2}"
	[ "$status" -eq 0 ] || { echo "$output" >&2; return 1; }
}

@test "digest_file_auth(8) and --help agree" {
	check digest_file_auth.8 "$top_builddir/digest_file_auth" --help
}

@test "digest_sqlite_auth(8) and --help agree" {
	[ -x "$top_builddir/digest_sqlite_auth" ] || require_cmd "$top_builddir/digest_sqlite_auth"
	check digest_sqlite_auth.8 "$top_builddir/digest_sqlite_auth" --help
}

@test "digest_ldap_auth(8) and --help agree" {
	[ -x "$top_builddir/digest_ldap_auth" ] || require_cmd "$top_builddir/digest_ldap_auth"
	check digest_ldap_auth.8 "$top_builddir/digest_ldap_auth" --help
}

@test "digest_pgsql_auth(8) and --help agree" {
	[ -x "$top_builddir/digest_pgsql_auth" ] || require_cmd "$top_builddir/digest_pgsql_auth"
	check digest_pgsql_auth.8 "$top_builddir/digest_pgsql_auth" --help
}

@test "digest_mysql_auth(8) and --help agree" {
	[ -x "$top_builddir/digest_mysql_auth" ] || require_cmd "$top_builddir/digest_mysql_auth"
	check digest_mysql_auth.8 "$top_builddir/digest_mysql_auth" --help
}

@test "digest_passwd(1) and --help agree" {
	check digest_passwd.1 "$top_builddir/digest_passwd" --help
}

@test "digest_calc(1) and the --help of every sub-command agree" {
	local c="$top_builddir/digest_calc"
	check digest_calc.1 "$c" --help -- "$c" ha1 --help -- "$c" response --help \
		-- "$c" challenge --help -- "$c" verify --help
}

@test "the man3 pages of libdigestauth format without a warning" {
	require_cmd groff
	local page out
	for page in "$top_srcdir"/doc/man3/digestauth*.3; do
		out=$(groff -man -ww -z "$page" 2>&1)
		[ -z "$out" ] || { echo "$page: $out" >&2; return 1; }
		if command -v man >/dev/null; then
			out=$(MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
			[ -z "$out" ] || { echo "$page: $out" >&2; return 1; }
		fi
	done
}
