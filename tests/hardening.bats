#!/usr/bin/env bats
# Files are hostile until checked (doc/digest_passwd.1 and
# doc/digest_file_auth.8, "FILES AND LINKS"): links planted by another user
# in a sticky world-writable directory, FIFOs and devices where a file is
# expected, files that are not htdigest files, ACLs kept on rewrite, a file
# caught empty mid-rewrite, a UTF-8 byte-order mark, over-long names, a
# non-blocking stdin, and core dumps.  The tests play the hostile local
# user with lchown (the link is theirs) and setpriv.

load lib/common

DPW="$top_builddir/digest_passwd"

setup() {
	# a directory other users can reach (BATS_TEST_TMPDIR's parents are
	# private): the tests run programs as nobody in it
	W=$(mktemp -d /tmp/dh-hardening.XXXXXX)
	chmod 755 "$W"
	PW="$W/pw"
	# a /tmp of our own: sticky, world-writable, owned by root
	STICKY="$W/sticky"
	mkdir -m 1777 "$STICKY"
	# what the attacker wants root to write or show: root's, mode 0600
	mkdir -m 700 "$W/rootonly"
	VICTIM="$W/rootonly/f"
	printf 'root:$y$j9T$abcdefgh$ijklmnopqrstuvwxyz0123456789ABCDEF:19000:0:99999:7:::\n' >"$VICTIM"
	chmod 600 "$VICTIM"
	VICTIM_SUM=$(sha256sum <"$VICTIM")
}

teardown() {
	if [ -n "${HELPER_PID:-}" ]; then
		kill "$HELPER_PID" 2>/dev/null || true
		wait "$HELPER_PID" 2>/dev/null || true
	fi
	if [ -n "${FEED_PID:-}" ]; then
		kill "$FEED_PID" 2>/dev/null || true
	fi
	rm -rf "$W"
}

need_root() {
	if [ "$(id -u)" != 0 ]; then
		[ -z "${CI:-}" ] || { echo "FATAL: this test must run as root in CI" >&2; return 1; }
		echo "######## SKIPPING: needs root (the tools' hostile case is root's) ########" >&3
		skip "needs root"
	fi
}

# plant LINK TARGET OWNER: a symbolic link owned by OWNER
plant() {
	ln -s "$2" "$1"
	chown -h "$3" "$1"
}

victim_unchanged() {
	[ "$(sha256sum <"$VICTIM")" = "$VICTIM_SUM" ]
}

# refused LINK: the last command failed with one line naming LINK
refused() {
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "${lines[0]}" == *"refusing to follow the symbolic link $1"* ]]
}

entry() {	# entry USER REALM PASSWORD
	printf '%s:%s:%s' "$1" "$2" "$(md5hex "$1:$2:$3")"
}

# ask_alice PASSWORD: the coprocess helper answers alice with that password
ask_alice() {
	local reply=TIMEOUT
	printf '"alice":"R"\n' >&"${HELPER[1]}"
	read -r -t 5 reply <&"${HELPER[0]}" || true
	[ "$reply" = "OK ha1=\"$(md5hex "alice:R:$1")\"" ] || { echo "reply: $reply" >&2; return 1; }
}

@test "a link planted in a sticky world-writable dir: -c, add, -D, -v, -l, --sqlite, --import all refuse it" {
	need_root
	plant "$STICKY/pw" "$VICTIM" nobody
	run bash -c "printf 'pw\n' | '$DPW' -i -c '$STICKY/pw' R alice 2>&1"
	refused "$STICKY/pw"
	run bash -c "printf 'pw\n' | '$DPW' -i '$STICKY/pw' R alice 2>&1"
	refused "$STICKY/pw"
	run bash -c "'$DPW' -D '$STICKY/pw' R root 2>&1"
	refused "$STICKY/pw"
	run bash -c "printf 'pw\n' | '$DPW' -v -i '$STICKY/pw' R root 2>&1"
	refused "$STICKY/pw"
	run bash -c "'$DPW' -l '$STICKY/pw' 2>&1"
	refused "$STICKY/pw"
	refute_grep -q 'y\$j9T' <<<"$output"
	run bash -c "'$DPW' --sqlite '$STICKY/pw' --init 2>&1"
	refused "$STICKY/pw"
	"$DPW" --sqlite "$W/db" --init 2>/dev/null
	run bash -c "'$DPW' --sqlite '$W/db' --import '$STICKY/pw' 2>&1"
	refused "$STICKY/pw"
	victim_unchanged
	# the helper refuses it as well: one line, exit 1
	run bash -c "'$DFA' -c '$STICKY/pw' </dev/null 2>&1"
	refused "$STICKY/pw"
}

@test "a planted link anywhere on the path is refused, not only the last one" {
	need_root
	mkdir -m 700 "$W/rootdir"
	printf '%s\n' "$(entry alice R pw)" >"$W/rootdir/pw"
	chmod 600 "$W/rootdir/pw"
	sum=$(sha256sum <"$W/rootdir/pw")
	plant "$STICKY/d" "$W/rootdir" nobody
	run bash -c "printf 'x\n' | '$DPW' -i '$STICKY/d/pw' R mallory 2>&1"
	refused "$STICKY/d"
	# a relative link chain ending in the sticky dir is caught too
	ln -s sticky/d "$W/hop"
	run bash -c "cd '$W' && printf 'x\n' | '$DPW' -i hop/pw R mallory 2>&1"
	refused "sticky/d"
	[ "$(sha256sum <"$W/rootdir/pw")" = "$sum" ]
}

@test "links the kernel's rule allows are followed: the caller's own, the sticky dir owner's, an admin's" {
	need_root
	printf '%s\n' "$(entry alice R pw)" >"$W/real"
	# root's own link in the sticky dir
	plant "$STICKY/mine" "$W/real" root
	printf 'b\n' | "$DPW" -i "$STICKY/mine" R bob 2>/dev/null
	[ -L "$STICKY/mine" ]
	grep -q '^bob:R:' "$W/real"
	# a sticky dir owned by nobody, with nobody's link in it
	mkdir -m 1777 "$W/nobodys"
	chown nobody "$W/nobodys"
	plant "$W/nobodys/pw" "$W/real" nobody
	printf 'c\n' | "$DPW" -i "$W/nobodys/pw" R carol 2>/dev/null
	grep -q '^carol:R:' "$W/real"
	# /etc/squid/digest.passwd -> /srv/...: the update goes to the target,
	# the link stays a link
	mkdir -p "$W/etc/squid" "$W/srv"
	mv "$W/real" "$W/srv/digest.passwd"
	ln -s ../../srv/digest.passwd "$W/etc/squid/digest.passwd"
	printf 'd\n' | "$DPW" -i "$W/etc/squid/digest.passwd" R dave 2>/dev/null
	[ -L "$W/etc/squid/digest.passwd" ]
	grep -q '^dave:R:' "$W/srv/digest.passwd"
	[ "$("$DPW" -l "$W/etc/squid/digest.passwd" R 2>/dev/null | tr '\n' ' ')" = "alice:R bob:R carol:R dave:R " ]
	[ "$(printf '"dave":"R"\n' | "$DFA" -c "$W/etc/squid/digest.passwd" 2>/dev/null)" = "OK ha1=\"$(md5hex dave:R:d)\"" ]
}

@test "a FIFO where a file is expected: every program fails at once with one line" {
	mkfifo "$W/fifo"
	for cmd in "'$DFA' '$W/fifo'" "'$DFA' -c '$W/fifo'" "'$DPW' -l '$W/fifo'" \
		"printf 'pw\n' | '$DPW' -v -i '$W/fifo' R alice" \
		"printf 'pw\n' | '$DPW' -i '$W/fifo' R alice" \
		"'$DPW' -D '$W/fifo' R alice"; do
		run timeout 5 bash -c "$cmd </dev/null 2>&1"
		[ "$status" -eq 1 ] || { echo "$cmd: status $status: $output" >&2; return 1; }
		[ "${#lines[@]}" -eq 1 ]
		[[ "$output" == *"$W/fifo is not a regular file"* ]]
	done
}

@test "a device node through a link is never opened: not a regular file" {
	ln -s /dev/zero "$PW"
	run timeout 5 bash -c "printf 'pw\n' | '$DPW' -i '$PW' R alice 2>&1"
	[ "$status" -eq 1 ]
	[[ "$output" == *"$PW is not a regular file"* ]]
	run timeout 5 "$DPW" -l "$PW"
	[ "$status" -eq 1 ]
	run timeout 5 "$DFA" "$PW" </dev/null
	[ "$status" -eq 1 ]
	# digest_passwd never opened it, to read or to write
	require_cmd strace
	strace -f -e trace=open,openat -o "$W/trace" "$DPW" -l "$PW" 2>/dev/null || true
	printf 'pw\n' | strace -f -e trace=open,openat -o "$W/trace2" "$DPW" -i "$PW" R alice 2>/dev/null || true
	grep -q openat "$W/trace"	# the trace saw the program at all
	refute_grep -q 'pw"\|"zero"' "$W/trace" "$W/trace2"
}

@test "SIGHUP with the password file replaced by a FIFO: the old table keeps serving, one error line" {
	printf '%s\n' "$(entry alice R pw)" >"$PW"
	coproc HELPER { exec "$DFA" -c "$PW" 2>"$W/err"; }
	HELPER_PID=$HELPER_PID
	ask_alice pw	# up and answering: SIGHUP is handled from here on
	mkfifo "$W/f"
	mv "$W/f" "$PW"
	kill -HUP "$HELPER_PID"
	for _ in 1 2 3; do
		printf '"alice":"R"\n' >&"${HELPER[1]}"
		read -r -t 5 reply <&"${HELPER[0]}"
		[ "$reply" = "OK ha1=\"$(md5hex alice:R:pw)\"" ]
		sleep 1.1
	done
	[ "$(grep -c 'is not a regular file; still serving the 1 entries' "$W/err")" -eq 1 ]
}

@test "-l and -v of a file that is not an htdigest file: an error, nothing listed" {
	cp "$VICTIM" "$W/shadow"
	printf 'daemon:*:19000:0:99999:7:::\n' >>"$W/shadow"
	run "$DPW" -l "$W/shadow"
	[ "$status" -eq 1 ]
	[[ "${lines[-1]}" == *"$W/shadow is not an htdigest file"* ]]
	refute_grep -q 'y\$j9T\|^root\|^daemon' <<<"$output"
	run bash -c "printf 'x\n' | '$DPW' -v -i '$W/shadow' R root 2>&1"
	[ "$status" -eq 1 ]
	[[ "${lines[-1]}" == *"is not an htdigest file"* ]]
	# an htdigest file with one bad line still lists the good ones
	printf '%s\nnot a line\n' "$(entry alice R pw)" >"$PW"
	[ "$("$DPW" -l "$PW" 2>/dev/null)" = "alice:R" ]
}

@test "a rewrite keeps the POSIX ACL (Squid's user may read) and extended attributes" {
	need_root
	require_cmd setfacl
	require_cmd getfattr
	printf '%s\n' "$(entry alice R pw)" >"$PW"
	chmod 640 "$PW"
	setfacl -m u:nobody:r "$PW"
	setfattr -n user.origin -v admin "$PW"
	before=$(getfacl -cp "$PW")
	setpriv --reuid=nobody --regid=nogroup --clear-groups cat "$PW" >/dev/null
	printf 'b\n' | "$DPW" -i "$PW" R bob 2>/dev/null
	printf 'c\n' | "$DPW" -i "$PW" R alice 2>/dev/null
	"$DPW" -D "$PW" R bob 2>/dev/null
	[ "$(getfacl -cp "$PW")" = "$before" ]
	[ "$(getfattr --only-values -n user.origin "$PW")" = admin ]
	[ "$(stat -c %a "$PW")" = 640 ]
	# Squid's helper, running as nobody, still reads the new table
	[ "$(printf '"alice":"R"\n' | setpriv --reuid=nobody --regid=nogroup --clear-groups "$DFA" -c "$PW" 2>/dev/null)" = "OK ha1=\"$(md5hex alice:R:c)\"" ]
}

@test "a file caught empty mid-rewrite keeps the table until it settles, then loads" {
	printf '%s\n' "$(entry alice R pw)" >"$PW"
	coproc HELPER { exec "$DFA" -c "$PW" 2>"$W/err"; }
	HELPER_PID=$HELPER_PID
	ask_alice pw	# up and answering: SIGHUP is handled from here on
	: >"$PW"
	kill -HUP "$HELPER_PID"
	printf '"alice":"R"\n' >&"${HELPER[1]}"
	read -r -t 5 reply <&"${HELPER[0]}"
	[ "$reply" = "OK ha1=\"$(md5hex alice:R:pw)\"" ]
	grep -q 'now empty (still being written?); still serving the 1 entries' "$W/err"
	# the writer finishes: the new contents are served
	printf '%s\n' "$(entry alice R new)" >"$PW"
	kill -HUP "$HELPER_PID"
	printf '"alice":"R"\n' >&"${HELPER[1]}"
	read -r -t 5 reply <&"${HELPER[0]}"
	[ "$reply" = "OK ha1=\"$(md5hex alice:R:new)\"" ]
	# emptied for good: loaded once it has stayed so for 5 s
	: >"$PW"
	kill -HUP "$HELPER_PID"
	printf '"alice":"R"\n' >&"${HELPER[1]}"
	read -r -t 5 reply <&"${HELPER[0]}"
	[ "$reply" = "OK ha1=\"$(md5hex alice:R:new)\"" ]
	sleep 5.5
	printf '"alice":"R"\n' >&"${HELPER[1]}"
	read -r -t 5 reply <&"${HELPER[0]}"
	[[ "$reply" == ERR* ]]
	grep -q 'unchanged for 5 s and empty; loading it' "$W/err"
}

@test "a UTF-8 byte-order mark before the first user is ignored with a warning" {
	printf '\xef\xbb\xbf%s\n%s\n' "$(entry alice R pw)" "$(entry bob R b)" >"$PW"
	run bash -c "printf '\"alice\":\"R\"\n\"bob\":\"R\"\n' | '$DFA' -c '$PW'"
	[ "${lines[0]}" = "OK ha1=\"$(md5hex alice:R:pw)\"" ] || [ "${lines[1]}" = "OK ha1=\"$(md5hex alice:R:pw)\"" ]
	run bash -c "printf '\"alice\":\"R\"\n' | '$DFA' -c '$PW' 2>&1 >/dev/null"
	[[ "$output" == *"$PW:1: a UTF-8 byte-order mark; ignored"* ]]
	[ "$(printf 'pw\n' | "$DPW" -v -i "$PW" R alice 2>/dev/null; echo $?)" = 0 ]
	[ "$("$DPW" -l "$PW" 2>/dev/null | head -1)" = "alice:R" ]
	# --import drops it too: alice is stored as alice
	"$DPW" --sqlite "$W/db" --init 2>/dev/null
	run "$DPW" --sqlite "$W/db" --import "$PW"
	[[ "$output" == *"$PW:1: a UTF-8 byte-order mark; ignored"* ]]
	[ "$("$DPW" --sqlite "$W/db" -l R 2>/dev/null | head -1)" = "alice:R" ]
}

@test "a user or realm over 1024 bytes is refused at add time; 1024 bytes works end to end" {
	long=$(head -c 1025 /dev/zero | tr '\0' u)
	run bash -c "printf 'pw\n' | '$DPW' -i -c '$PW' R '$long' 2>&1"
	[ "$status" -eq 1 ]
	[[ "$output" == *"must not be longer than 1024 bytes"* ]]
	[ ! -e "$PW" ]
	run bash -c "printf 'pw\n' | '$DPW' -i -c '$PW' '$long' alice 2>&1"
	[ "$status" -eq 1 ]
	[[ "$output" == *"invalid realm: it must not be longer than 1024 bytes"* ]]
	run bash -c "'$DPW' --sqlite '$W/db' --init && printf 'pw\n' | '$DPW' --sqlite '$W/db' -i R '$long' 2>&1"
	[ "$status" -eq 1 ]
	ok=${long:1}
	printf 'pw\n' | "$DPW" -i -c "$PW" "$ok" "$ok" 2>/dev/null
	[ "$(printf 'pw\n' | "$DPW" -v -i "$PW" "$ok" "$ok" 2>/dev/null; echo $?)" = 0 ]
	[ "$("$DPW" -l "$PW" 2>/dev/null)" = "$ok:$ok" ]
	[ "$(printf '"%s":"%s"\n' "$ok" "$ok" | "$DFA" -c "$PW" 2>/dev/null)" = "OK ha1=\"$(md5hex "$ok:$ok:pw")\"" ]
}

@test "a non-blocking stdin: an idle helper sleeps in poll, then answers" {
	printf '%s\n' "$(entry alice R pw)" >"$PW"
	run python3 - "$DFA" "$PW" <<-'EOF'
	import os, subprocess, sys, time
	r, w = os.pipe()
	os.set_blocking(r, False)
	p = subprocess.Popen([sys.argv[1], "-c", sys.argv[2]], stdin=r,
	                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
	os.close(r)
	def ticks():
	    f = open("/proc/%d/stat" % p.pid).read().rsplit(")", 1)[1].split()
	    return int(f[11]) + int(f[12])
	time.sleep(1)
	t0 = ticks()
	time.sleep(2)
	ticks = ticks() - t0
	os.write(w, b'"alice":"R"\n')
	line = p.stdout.readline().decode().strip()
	os.close(w)
	p.wait(5)
	print(ticks, line)
	EOF
	[ "$status" -eq 0 ]
	set -- $output
	echo "CPU ticks while idle for 2 s: $1" >&3
	[ "$1" -lt 20 ]
	[ "$2" = "OK" ]
}

@test "no core dumps: RLIMIT_CORE 0 and not dumpable in every program that holds secrets" {
	need_root
	printf '%s\n' "$(entry alice R pw)" >"$PW"
	chmod 644 "$PW"
	mkfifo "$W/in"
	sleep 30 >"$W/in" &
	FEED_PID=$!
	cd "$STICKY"	# where nobody could write a core
	(ulimit -c unlimited; exec setpriv --reuid=nobody --regid=nogroup --clear-groups "$DFA" -c "$PW" <"$W/in" >/dev/null 2>&1) &
	HELPER_PID=$!
	wait_for 5 grep -q '^Name:.*digest_file' "/proc/$HELPER_PID/status"
	# main() turns them off first thing; a sanitizer's start-up comes before
	wait_for 5 grep -qE '^Max core file size +0 +0 ' "/proc/$HELPER_PID/limits"
	# a dumpable process of nobody's has its /proc files owned by nobody
	[ "$(stat -c %U "/proc/$HELPER_PID/status")" = root ]
	kill -QUIT "$HELPER_PID"
	wait "$HELPER_PID" || true
	HELPER_PID=
	[ -z "$(ls "$STICKY" | grep '^core')" ]
	# digest_passwd waiting for its password on stdin
	(ulimit -c unlimited; exec "$DPW" -i "$PW" R bob <"$W/in" 2>/dev/null) &
	HELPER_PID=$!
	wait_for 5 grep -q '^Name:.*digest_passwd' "/proc/$HELPER_PID/status"
	# main() turns them off first thing; a sanitizer's start-up comes before
	wait_for 5 grep -qE '^Max core file size +0 +0 ' "/proc/$HELPER_PID/limits"
}
