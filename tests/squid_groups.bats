#!/usr/bin/env bats
# End to end: a real Squid decides access by the groups our helper puts in
# its OK replies (digest_file_auth --group-file; doc/protocol.md,
# "Annotations"), through note ACLs, for two local origins:
#
#   auth_param digest program digest_file_auth -d -c ha1.txt --group-file groups.txt
#   auth_param digest children 3 concurrency=4     (channel IDs in use)
#   acl authed proxy_auth REQUIRED
#   acl staff note group staff
#   acl students note group students
#   acl allowed_sites port ORIGIN_A
#   http_access deny !authed
#   http_access allow staff
#   http_access allow students allowed_sites
#   http_access deny all
#
# ("deny !authed" comes first: a note ACL does not make Squid ask for
# credentials, so without it a request would meet "deny all" unauthenticated
# and get 403 instead of 407.)
#
# Squid 5.7 keeps a digest user's HA1 and annotations on its cached user and
# asks the helper again only once that user is dropped: authenticate_ttl
# after it was created, at the next authenticate_cache_garbage_interval run
# (src/auth/CredentialsCache.cc; the digest user's expiretime is set once,
# in src/auth/digest/Config.cc).  Both are 1 s here (1 hour by default).
#
# Squid, the origins and everything else live in a private directory under
# /tmp that Squid's user (proxy) can reach, on free ports; only what is
# started here is stopped, by PID (tests/lib/squid.bash).  The SQLite and
# LDAP stores are to be added the same way: one more squid_start with their
# program line and the same GROUP_ACCESS lines.

load lib/common
load lib/squid

REALM='DFA groups realm'

# --- helpers --------------------------------------------------------------------

# at ORIGIN USER PASSWORD: the status of a login to origin A or B
at() {
	local port_var="PORT_$1"
	proxy_login "$PORT_G" "http://127.0.0.1:${!port_var}/" "$2" "$3"
}

# groups_file: write $W/groups.txt from stdin, readable by Squid's user,
# replaced in one rename (as an admin's editor or script should)
groups_file() {
	cat >"$W/groups.txt.new"
	squid_readable "$W/groups.txt.new"
	mv "$W/groups.txt.new" "$W/groups.txt"
}

# lookups USER: how many times the helpers have looked USER up (-d lines in
# cache.log)
lookups() {
	grep -c "debug: user \"$1\" realm \"$REALM\": OK" "$W/cache-G.log" || true
}

# --- setup / teardown -----------------------------------------------------------

setup_file() {
	require_cmd squid
	require_cmd curl
	[ -x "$DFA" ] || { echo "$DFA is not built"; return 1; }
	squid_workdir dfa-groups
	HELPER=$(squid_helper "$DFA")

	# each origin serves its own token, so a 200 can be told from a Squid
	# page and from the other origin
	mkdir "$W/www-A" "$W/www-B"
	TOKEN_A="digest-helpers groups origin A $RANDOM$RANDOM"
	TOKEN_B="digest-helpers groups origin B $RANDOM$RANDOM"
	echo "$TOKEN_A" >"$W/www-A/index.html"
	echo "$TOKEN_B" >"$W/www-B/index.html"
	export TOKEN_A TOKEN_B

	local u
	for u in sam stu mover demoted nogroup quirk; do
		echo "$u:$REALM:$(md5hex "$u:$REALM:$u-pw")"
	done >"$W/ha1.txt"
	# quirk's groups are built to break the reply: only "students" must
	# count, and Squid must log every name byte for byte
	{
		echo "staff: sam demoted"
		echo "students: stu mover quirk"
		echo 'x" group="staff: quirk'
		echo 'a "b" c: quirk'
		echo 'back\slash: quirk'
		echo 'ü=x y: quirk'
		echo '%73taff: quirk'
	} >"$W/groups.txt"
	squid_readable "$W/ha1.txt" "$W/groups.txt"

	read -r PORT_G PORT_A PORT_B < <(squid_ports 3)
	export PORT_G PORT_A PORT_B
	origin_start A "$PORT_A" "$W/www-A"
	origin_start B "$PORT_B" "$W/www-B"

	# what Squid saw: a second log with the group annotations (%note,
	# quoted: '"' and '\' escaped by Squid)
	GROUP_ACCESS=(
		"authenticate_ttl 1 second"
		"authenticate_cache_garbage_interval 1 second"
		"logformat groups %ts.%03tu %Ss/%03>Hs %rm %ru %un groups=%\"{group}note"
		"access_log stdio:$W/groups-G.log groups"
		"acl authed proxy_auth REQUIRED"
		"acl staff note group staff"
		"acl students note group students"
		"acl allowed_sites port $PORT_A"
		"http_access deny !authed"
		"http_access allow staff"
		"http_access allow students allowed_sites"
		"http_access deny all"
	)
	squid_start G "$PORT_G" "$HELPER -d -c $W/ha1.txt --group-file $W/groups.txt" \
		"${GROUP_ACCESS[@]}"

	local o
	for o in "$PORT_A" "$PORT_B"; do
		origin_wait "$o" || { origin_stop A B; squid_stop G; return 1; }
	done
	squid_wait G "$PORT_G" || { origin_stop A B; squid_stop G; return 1; }
}

teardown_file() {
	squid_stop G
	origin_stop A B
	[ -z "${W:-}" ] || rm -rf "$W"
}

# --- tests ----------------------------------------------------------------------

@test "squid groups: staff get both origins, a student only the allowed one, a user in no group neither" {
	BODY="$BATS_TEST_TMPDIR/body"
	[ "$(at A sam sam-pw)" = 200 ]
	[ "$(cat "$BODY")" = "$TOKEN_A" ]
	[ "$(at B sam sam-pw)" = 200 ]
	[ "$(cat "$BODY")" = "$TOKEN_B" ]
	[ "$(at A stu stu-pw)" = 200 ]
	[ "$(cat "$BODY")" = "$TOKEN_A" ]
	[ "$(at B stu stu-pw)" = 403 ]
	[ "$(at A nogroup nogroup-pw)" = 403 ]
	[ "$(at B nogroup nogroup-pw)" = 403 ]
	# Squid logged each as the user's, with the groups it matched
	wait_for 5 grep -q "TCP_DENIED/403 .*:$PORT_B/ nogroup HIER_NONE" "$W/access-G.log"
	grep -q "TCP_MISS/200 .*:$PORT_A/ sam HIER_DIRECT" "$W/access-G.log"
	grep -q "TCP_MISS/200 .*:$PORT_B/ sam HIER_DIRECT" "$W/access-G.log"
	grep -q "TCP_MISS/200 .*:$PORT_A/ stu HIER_DIRECT" "$W/access-G.log"
	grep -q "TCP_DENIED/403 .*:$PORT_B/ stu HIER_NONE" "$W/access-G.log"
	wait_for 5 grep -q "TCP_DENIED/403 GET http://127.0.0.1:$PORT_B/ nogroup groups=-\$" "$W/groups-G.log"
	grep -q "TCP_MISS/200 GET http://127.0.0.1:$PORT_B/ sam groups=staff\$" "$W/groups-G.log"
	grep -q "TCP_DENIED/403 GET http://127.0.0.1:$PORT_B/ stu groups=students\$" "$W/groups-G.log"
	# the excerpt for the record
	grep -E " (sam|stu|nogroup) " "$W/access-G.log" | sed "s/^/# /" >&3 || true
}

@test "squid groups: a wrong password or an unknown user is asked to log in again (407), not refused (403)" {
	[ "$(at A sam wrong)" = 407 ]
	[ "$(at B stu wrong)" = 407 ]
	[ "$(at A nobody nobody-pw)" = 407 ]
}

@test "squid groups: names built to break the reply reach Squid byte for byte, and give no access of their own" {
	# quirk is a student: A yes; 'x" group="staff' and '%73taff' are not
	# staff, so B no
	[ "$(at A quirk quirk-pw)" = 200 ]
	[ "$(at B quirk quirk-pw)" = 403 ]
	# %note with '"': Squid escapes '"' and '\' with '\'; values joined by ','
	local want='%73taff,a \"b\" c,back\\slash,students,x\" group=\"staff,ü=x y'
	wait_for 5 grep -q "TCP_DENIED/403 GET http://127.0.0.1:$PORT_B/ quirk groups=" "$W/groups-G.log"
	grep "TCP_DENIED/403 GET http://127.0.0.1:$PORT_B/ quirk groups=" "$W/groups-G.log" |
		tail -n 1 | sed 's/.* groups=//' >"$BATS_TEST_TMPDIR/got"
	printf '%s\n' "$want" | cmp - "$BATS_TEST_TMPDIR/got"
}

@test "squid groups: parallel logins (channel IDs in use) each get their own user's access" {
	local i d="$BATS_TEST_TMPDIR"
	for i in 1 2 3 4; do
		BODY=/dev/null at A sam sam-pw >"$d/sam-A-$i" 3>&- &
		BODY=/dev/null at B sam sam-pw >"$d/sam-B-$i" 3>&- &
		BODY=/dev/null at A stu stu-pw >"$d/stu-A-$i" 3>&- &
		BODY=/dev/null at B stu stu-pw >"$d/stu-B-$i" 3>&- &
		BODY=/dev/null at A nogroup nogroup-pw >"$d/no-A-$i" 3>&- &
		BODY=/dev/null at B quirk quirk-pw >"$d/quirk-B-$i" 3>&- &
	done
	wait
	for i in 1 2 3 4; do
		[ "$(cat "$d/sam-A-$i")" = 200 ]
		[ "$(cat "$d/sam-B-$i")" = 200 ]
		[ "$(cat "$d/stu-A-$i")" = 200 ]
		[ "$(cat "$d/stu-B-$i")" = 403 ]
		[ "$(cat "$d/no-A-$i")" = 403 ]
		[ "$(cat "$d/quirk-B-$i")" = 403 ]
	done
}

@test "squid groups: Squid asks the helper again within a few seconds (authenticate_ttl 1 s)" {
	local n0 t0=$SECONDS
	[ "$(at A sam sam-pw)" = 200 ]
	n0=$(lookups sam)
	while [ "$(lookups sam)" -le "$n0" ]; do
		[ $((SECONDS - t0)) -le 10 ] || { echo "not asked again in 10 s"; false; }
		[ "$(at A sam sam-pw)" = 200 ]
		sleep 0.2
	done
	echo "# asked again after about $((SECONDS - t0)) s" >&3
}

@test "squid groups: users moved between groups in the file get their new access while Squid runs, without reconfigure" {
	BODY="$BATS_TEST_TMPDIR/body"
	[ "$(at B mover mover-pw)" = 403 ]
	[ "$(at B demoted demoted-pw)" = 200 ]
	# mover: students -> staff; demoted: staff -> students
	groups_file <<-EOF
		staff: sam mover
		students: stu demoted quirk
	EOF
	local t0 ms got_mover=403 got_demoted=200
	t0=$(date +%s%N)
	while :; do
		got_mover=$(at B mover mover-pw)
		got_demoted=$(at B demoted demoted-pw)
		[ "$got_mover" != 200 ] || [ "$got_demoted" != 403 ] || break
		[ $(( ($(date +%s%N) - t0) / 1000000 )) -le 15000 ] ||
			{ echo "after 15 s: mover $got_mover, demoted $got_demoted"; false; }
		sleep 0.2
	done
	ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	echo "# new access for both after ${ms} ms" >&3
	[ "$(at B mover mover-pw)" = 200 ]
	[ "$(cat "$BODY")" = "$TOKEN_B" ]
	[ "$(at A demoted demoted-pw)" = 200 ]
	[ "$(at B demoted demoted-pw)" = 403 ]
	# the helpers reloaded the file themselves; Squid was not reconfigured
	grep -q "reloaded $W/groups.txt" "$W/cache-G.log"
	refute_grep -i "reconfigur" "$W/cache-G.log"
}

# Squid kills a helper that writes what it was not asked for, logs one that
# dies, and warns about a reply it cannot use: none of that may have happened.
@test "squid groups: no helper died or was killed, no reply Squid could not use, Squid is still up" {
	alive "$SQUID_G_PID"
	local bad
	bad=$(grep -hiE 'digestauthenticator.*(exited|crash)|helper.*(unexpected|unrecoverable|too few)|did not produce a HA1|from-helper annotation|FATAL|Sanitizer|runtime error:' \
		"$W/cache-G.log" || true)
	[ -z "$bad" ] || { head -n 20 <<<"$bad"; false; }
	grep -q "Starting new digestauthenticator helpers" "$W/cache-G.log"
	# the helpers never warned about a dropped annotation: none was
	refute_grep "annotations dropped" "$W/cache-G.log"
}
