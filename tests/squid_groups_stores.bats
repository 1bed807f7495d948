#!/usr/bin/env bats
# Access by group through a real Squid for the SQLite and LDAP stores
# (squid_groups.bats does the file store and explains Squid's caching):
# the same note ACLs (staff go anywhere, students only to the allowed
# origin, a user in no group nowhere) with
#   S: digest_sqlite_auth over a store made by digest_passwd --sqlite
#      (--group-add)
#   M: digest_ldap_auth -G memberOf --group-rdn (slapd's memberof overlay)
#   Q: digest_ldap_auth with a group search (--group-base, --group-filter)
# and a user moved from students to staff in each store while Squid runs.
# Everything lives in a private directory under /tmp (tests/lib/squid.bash);
# only what is started here is stopped, by PID.

load lib/common
load lib/squid
load lib/slapd

REALM='DFA groups realm'

# at NAME ORIGIN USER PASSWORD: the status of a login through Squid NAME
at() {
	local port_var="PORT_$1" origin_var="PORT_$2"
	proxy_login "${!port_var}" "http://127.0.0.1:${!origin_var}/" "$3" "$4"
}

# access_lines PORT_A: the note ACLs, and a cache short enough that Squid
# asks the helper again within a second or two
access_lines() {
	ACCESS=(
		"authenticate_ttl 1 second"
		"authenticate_cache_garbage_interval 1 second"
		"acl authed proxy_auth REQUIRED"
		"acl staff note group staff"
		"acl students note group students"
		"acl allowed_sites port $1"
		"http_access deny !authed"
		"http_access allow staff"
		"http_access allow students allowed_sites"
		"http_access deny all"
	)
}

sqlite_store() {
	local u
	"$DPW" --sqlite "$W/users.db" --init
	for u in sam stu mover nogroup; do
		printf '%s-pw\n' "$u" | "$DPW" -i --sqlite "$W/users.db" "$REALM" "$u"
	done
	"$DPW" --sqlite "$W/users.db" --group-add "$REALM" sam staff
	"$DPW" --sqlite "$W/users.db" --group-add "$REALM" stu students
	"$DPW" --sqlite "$W/users.db" --group-add "$REALM" mover students
}

ldap_store() {
	local u people="ou=people,$SLAPD_BASE"
	slapd_setup "$W/slapd" memberof || return 1
	[ "$SLAPD_MEMBEROF" = yes ] || { echo "slapd has no memberof overlay"; return 1; }
	{
		for u in sam stu mover nogroup; do
			printf 'dn: uid=%s,%s\nobjectClass: inetOrgPerson\nuid: %s\ncn: %s\nsn: %s\n' \
				"$u" "$people" "$u" "$u" "$u"
			printf 'userPassword: %s:%s\n\n' "$REALM" "$(md5hex "$u:$REALM:$u-pw")"
		done
		printf 'dn: ou=groups,%s\nobjectClass: organizationalUnit\nou: groups\n\n' "$SLAPD_BASE"
		printf 'dn: cn=staff,ou=groups,%s\nobjectClass: groupOfNames\ncn: staff\nmember: uid=sam,%s\n\n' \
			"$SLAPD_BASE" "$people"
		printf 'dn: cn=students,ou=groups,%s\nobjectClass: groupOfNames\ncn: students\nmember: uid=stu,%s\nmember: uid=mover,%s\n\n' \
			"$SLAPD_BASE" "$people" "$people"
	} >"$W/users.ldif"
	slapd_add "$W/users.ldif" || return 1
	cp "$SLAPD_SECRET_FILE" "$W/ldap.secret"
}

setup_file() {
	require_cmd squid
	require_cmd curl
	DSA="$top_builddir/digest_sqlite_auth"
	DPW="$top_builddir/digest_passwd"
	DLA="$top_builddir/digest_ldap_auth"
	export DPW
	local b ldap
	for b in "$DSA" "$DPW" "$DLA"; do
		[ -x "$b" ] || { echo "$b is not built"; return 1; }
	done
	squid_workdir dfa-groups-stores
	mkdir "$W/www-A" "$W/www-B"
	echo "origin A" >"$W/www-A/index.html"
	echo "origin B" >"$W/www-B/index.html"
	sqlite_store
	ldap_store || { slapd_stop; return 1; }
	squid_readable "$W/users.db" "$W/ldap.secret"

	read -r PORT_S PORT_M PORT_Q PORT_A PORT_B < <(squid_ports 5)
	export PORT_S PORT_M PORT_Q PORT_A PORT_B
	origin_start A "$PORT_A" "$W/www-A"
	origin_start B "$PORT_B" "$W/www-B"
	access_lines "$PORT_A"
	ldap="$(squid_helper "$DLA") -b ou=people,$SLAPD_BASE -F (uid=%s) -A userPassword -e -D $SLAPD_ROOTDN -W $W/ldap.secret -H $SLAPD_URI"
	squid_start S "$PORT_S" "$(squid_helper "$DSA") $W/users.db" "${ACCESS[@]}"
	squid_start M "$PORT_M" "$ldap -G memberOf --group-rdn" "${ACCESS[@]}"
	squid_start Q "$PORT_Q" "$ldap --group-base ou=groups,$SLAPD_BASE --group-filter (&(objectClass=groupOfNames)(member=%D))" \
		"${ACCESS[@]}"
	origin_wait "$PORT_A" && origin_wait "$PORT_B" &&
		squid_wait S "$PORT_S" && squid_wait M "$PORT_M" && squid_wait Q "$PORT_Q" || {
		squid_stop S M Q; origin_stop A B; slapd_stop; return 1; }
}

teardown_file() {
	squid_stop S M Q
	origin_stop A B
	slapd_stop
	[ -z "${W:-}" ] || rm -rf "$W"
}

# the access rules, through Squid NAME
check_access() {
	[ "$(at "$1" A sam sam-pw)" = 200 ]
	[ "$(at "$1" B sam sam-pw)" = 200 ]
	[ "$(at "$1" A stu stu-pw)" = 200 ]
	[ "$(at "$1" B stu stu-pw)" = 403 ]
	[ "$(at "$1" A nogroup nogroup-pw)" = 403 ]
	[ "$(at "$1" B nogroup nogroup-pw)" = 403 ]
	[ "$(at "$1" B sam wrong)" = 407 ]
}

# answers_within SECONDS NAME ORIGIN USER PASSWORD STATUS
answers_within() {
	local end=$((SECONDS + $1)) got
	while :; do
		got=$(at "$2" "$3" "$4" "$5")
		[ "$got" = "$6" ] && return 0
		[ "$SECONDS" -lt "$end" ] || { echo "last status: $got" >&2; return 1; }
		sleep 0.3
	done
}

@test "squid groups, SQLite: staff both origins, a student only the allowed one, no group neither" {
	check_access S
	grep -q "TCP_DENIED/403 .*:$PORT_B/ stu " "$W/access-S.log"
}

@test "squid groups, LDAP -G memberOf --group-rdn: the same access" {
	check_access M
}

@test "squid groups, LDAP group search: the same access" {
	check_access Q
}

@test "squid groups, every store: a user moved from students to staff gets the new access without reconfigure" {
	[ "$(at S B mover mover-pw)" = 403 ]
	[ "$(at M B mover mover-pw)" = 403 ]
	[ "$(at Q B mover mover-pw)" = 403 ]
	"$DPW" --sqlite "$W/users.db" --group-add "$REALM" mover staff
	printf 'dn: cn=staff,ou=groups,%s\nchangetype: modify\nadd: member\nmember: uid=mover,ou=people,%s\n' \
		"$SLAPD_BASE" "$SLAPD_BASE" >"$W/move.ldif"
	ldapmodify -x -H "$SLAPD_URI" -D "$SLAPD_ROOTDN" -y "$SLAPD_SECRET_FILE" -f "$W/move.ldif" >/dev/null
	answers_within 15 S B mover mover-pw 200
	answers_within 15 M B mover mover-pw 200
	answers_within 15 Q B mover mover-pw 200
}
