#!/usr/bin/env bats
# digest_passwd on password files (digest_passwd(1)): htdigest parity through
# a real terminal, every verb, refusals, lines kept byte for byte, owner and
# mode, concurrent writers, a helper reading while the file is rewritten,
# full disks and read-only directories.

load lib/common

DPW="$top_builddir/digest_passwd"

setup() {
	W="$BATS_TEST_TMPDIR"
	PW="$W/pw"
	MOUNTED=
	RODIR=
}

teardown() {
	if [ -n "${HELPER_PID:-}" ]; then
		kill "$HELPER_PID" 2>/dev/null || true
		wait "$HELPER_PID" 2>/dev/null || true
	fi
	if [ -n "$MOUNTED" ]; then
		umount "$MOUNTED" 2>/dev/null || umount -l "$MOUNTED" 2>/dev/null || true
	fi
	if [ -n "$RODIR" ]; then
		rm -rf "$RODIR"
	fi
}

# pty_run ANSWER... -- COMMAND...: run COMMAND on a pseudo-terminal (its
# controlling terminal), type each ANSWER after the next password prompt,
# print what the terminal showed (CR LF as LF), exit with COMMAND's status.
PTY_PY=$(cat <<'EOF'
import os, pty, select, sys, time
args = sys.argv[1:]
sep = args.index("--")
answers, cmd = args[:sep], args[sep + 1:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(cmd[0], cmd)
out, typed, deadline = b"", 0, time.time() + 10
while True:
    if typed < len(answers) and out.lower().count(b"password: ") > typed:
        os.write(fd, answers[typed].encode() + b"\n")
        typed += 1
        continue
    ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.time()))
    if not ready:
        os.kill(pid, 9)
        out += b"\n[pty_run: timed out]\n"
        break
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.replace(b"\r\n", b"\n").decode("utf-8", "replace"))
sys.exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status))
EOF
)

pty_run() {
	python3 -c "$PTY_PY" "$@"
}

# set_pw FILE REALM USER PASSWORD [OPTIONS...]: -i, quietly
set_pw() {
	local f=$1 r=$2 u=$3 p=$4
	shift 4
	printf '%s\n' "$p" | "$DPW" -i "$@" "$f" "$r" "$u" 2>/dev/null
}

# entry USER REALM PASSWORD: the line htdigest writes, computed with md5sum
entry() {
	printf '%s:%s:%s' "$1" "$2" "$(md5hex "$1:$2:$3")"
}

# one_line_error PATTERN: status 1 and one "digest_passwd: " line
one_line_error() {
	[ "$status" -eq 1 ] || { echo "status $status: $output"; return 1; }
	[ "${#lines[@]}" -eq 1 ] || { echo "expected one line: $output"; return 1; }
	[[ "${lines[0]}" == "digest_passwd: "* ]] || { echo "bad line: $output"; return 1; }
	[[ "${lines[0]}" == *"$1"* ]] || { echo "expected '$1' in: $output"; return 1; }
}

@test "htdigest parity: -c through a terminal gives a byte-identical file" {
	require_cmd htdigest
	run pty_run 's3cr3t pw' 's3cr3t pw' -- htdigest -c "$W/ht" 'Squid proxy' alice
	[ "$status" -eq 0 ]
	run pty_run 's3cr3t pw' 's3cr3t pw' -- "$DPW" -c "$PW" 'Squid proxy' alice
	[ "$status" -eq 0 ]
	# both prompts, echo off: the password never appears on the terminal
	[[ "$output" == *"New password: "* ]]
	[[ "$output" == *"Re-type new password: "* ]]
	[[ "$output" != *"s3cr3t"* ]]
	cmp "$W/ht" "$PW"
	[ "$(cat "$PW")" = "$(entry alice 'Squid proxy' 's3cr3t pw')" ]
}

@test "htdigest parity: adding a user and changing a password in an existing file" {
	require_cmd htdigest
	printf '# staff\n%s\n%s\n' "$(entry alice R old)" "$(entry alice Other old)" >"$PW"
	cp "$PW" "$W/ht"
	run pty_run bob-pw bob-pw -- htdigest "$W/ht" R bob
	[ "$status" -eq 0 ]
	run pty_run bob-pw bob-pw -- "$DPW" "$PW" R bob
	[ "$status" -eq 0 ]
	cmp "$W/ht" "$PW"
	run pty_run 'n€w' 'n€w' -- htdigest "$W/ht" R alice
	[ "$status" -eq 0 ]
	run pty_run 'n€w' 'n€w' -- "$DPW" "$PW" R alice
	[ "$status" -eq 0 ]
	[[ "$output" != *"n€w"* ]]
	cmp "$W/ht" "$PW"
	[ "$(cat "$PW")" = "$(printf '# staff\n%s\n%s\n%s' "$(entry alice R 'n€w')" \
		"$(entry alice Other old)" "$(entry bob R bob-pw)")" ]
}

@test "a mistyped re-type through the terminal changes nothing" {
	set_pw "$PW" R alice old -c
	cp "$PW" "$W/before"
	run pty_run one two -- "$DPW" "$PW" R alice
	[ "$status" -eq 1 ]
	[[ "$output" == *"digest_passwd: the passwords do not match; nothing changed"* ]]
	[[ "$output" != *"one"* && "$output" != *"two"* ]]
	cmp "$W/before" "$PW"
	# with -c on a missing file: no file appears
	run pty_run one two -- "$DPW" -c "$W/new" R alice
	[ "$status" -eq 1 ]
	[ ! -e "$W/new" ]
	# -v asks once
	run pty_run old -- "$DPW" -v "$PW" R alice
	[ "$status" -eq 0 ]
	[[ "$output" == *"Password: "* && "$output" != *"Re-type"* ]]
}

@test "without -i and without a terminal: an error that suggests -i" {
	set_pw "$PW" R alice old -c
	cp "$PW" "$W/before"
	run setsid -w "$DPW" "$PW" R alice </dev/null
	one_line_error "use -i"
	cmp "$W/before" "$PW"
}

@test "-i: one line from stdin, LF and a CR before it stripped" {
	printf 'pw one\r\n' | "$DPW" -i -c "$PW" R alice
	printf 'a:b c' | "$DPW" -i "$PW" R bob
	printf 'x\nsecond line ignored\n' | "$DPW" -i "$PW" R carol
	[ "$(cat "$PW")" = "$(printf '%s\n%s\n%s' "$(entry alice R 'pw one')" \
		"$(entry bob R 'a:b c')" "$(entry carol R x)")" ]
	run "$DPW" -i "$PW" R dave </dev/null
	one_line_error "no password on standard input"
	run bash -c "head -c 2000 /dev/zero | tr '\\0' x | '$DPW' -i '$PW' R dave"
	one_line_error "password too long"
	refute_grep -q '^dave:' "$PW"
}

@test "-D deletes every line of the user in that realm and nothing else" {
	printf '%s\n%s\n%s\n%s\n' "$(entry alice R a)" "$(entry bob R b)" \
		"$(entry alice Other a)" "$(entry alice R dup)" >"$PW"
	run "$DPW" -D "$PW" R alice
	[ "$status" -eq 0 ]
	[ "$output" = "digest_passwd: deleted user alice from realm R (2 lines)" ]
	[ "$(cat "$PW")" = "$(printf '%s\n%s' "$(entry bob R b)" "$(entry alice Other a)")" ]
}

@test "-D of a user that is not there: exit 1, the file not even rewritten" {
	printf '%s\n' "$(entry bob R b)" >"$PW"
	cp "$PW" "$W/before"
	inode=$(stat -c %i "$PW")
	run "$DPW" -D "$PW" R alice
	one_line_error "user alice not found in realm R"
	cmp "$W/before" "$PW"
	[ "$(stat -c %i "$PW")" = "$inode" ]
	run "$DPW" -D "$PW" Other bob
	one_line_error "user bob not found in realm Other"
}

@test "-v: 0 on a match, 3 on a mismatch, 1 for an unknown user; no hash shown" {
	set_pw "$PW" R alice 'right pw' -c
	set_pw "$PW" Other alice 'other pw'
	run bash -c "printf 'right pw\n' | '$DPW' -v -i '$PW' R alice"
	[ "$status" -eq 0 ]
	[ "$output" = "digest_passwd: password correct for user alice in realm R" ]
	run bash -c "printf 'other pw\n' | '$DPW' -v -i '$PW' R alice"
	[ "$status" -eq 3 ]
	[ "$output" = "digest_passwd: wrong password for user alice in realm R" ]
	run bash -c "printf 'right pw\n' | '$DPW' -v -i '$PW' R bob"
	one_line_error "user bob not found in realm R"
	run bash -c "printf 'x\n' | '$DPW' -v -i '$W/none' R bob"
	one_line_error "cannot open"
	# an empty password is only a mismatch for -v
	run bash -c "printf '\n' | '$DPW' -v -i '$PW' R alice"
	[ "$status" -eq 3 ]
}

@test "-l lists user:realm in file order, filtered by realm, never a hash" {
	printf '# c\n%s\n%s\n%s\n%s\nrealmless:%s\n' "$(entry alice R a)" \
		"$(entry bob Other b)" "$(entry carol R c)" "$(entry alice R dup)" \
		"$(md5hex x)" >"$PW"
	"$DPW" -l "$PW" >"$W/out" 2>"$W/err"
	[ "$(cat "$W/out")" = "$(printf 'alice:R\nbob:Other\ncarol:R\nrealmless (any realm)')" ]
	# the later duplicate is not listed; a warning names its line
	[ "$(cat "$W/err")" = "digest_passwd: warning: $PW:5: duplicate entry for the same user and realm; the earlier line is used" ]
	[ "$("$DPW" -l "$PW" R 2>/dev/null)" = "$(printf 'alice:R\ncarol:R\nrealmless (any realm)')" ]
	[ "$("$DPW" -l "$PW" Nope 2>/dev/null)" = "realmless (any realm)" ]
	"$DPW" -l "$PW" >"$W/out" 2>&1
	refute_grep -Eq '[0-9a-f]{32}' "$W/out"
	refute_grep -q "$(md5hex alice:R:a)" "$W/out"
}

@test "refused user and realm values: one line, nothing changed" {
	set_pw "$PW" R alice a -c
	cp "$PW" "$W/before"
	for bad in 'a:b' '' '#root' ' lead' $'\tlead' $'two\nlines' $'cr\r'; do
		run bash -c 'printf "pw\n" | "$1" -i "$2" R "$3"' _ "$DPW" "$PW" "$bad"
		one_line_error "invalid user name"
		cmp "$W/before" "$PW"
	done
	for bad in 'a:b' '' $'two\nlines'; do
		run bash -c 'printf "pw\n" | "$1" -i "$2" "$3" alice' _ "$DPW" "$PW" "$bad"
		one_line_error "invalid realm"
		cmp "$W/before" "$PW"
	done
	run "$DPW" -D "$PW" R 'a:b'
	one_line_error "must not contain ':'"
	# '#' or a space inside a name is fine
	set_pw "$PW" 'R #1' 'al ice#' pw
	grep -qx "$(entry 'al ice#' 'R #1' pw)" "$PW"
}

@test "an empty password is refused unless --allow-empty" {
	set_pw "$PW" R alice a -c
	cp "$PW" "$W/before"
	run bash -c "printf '\n' | '$DPW' -i '$PW' R bob"
	one_line_error "empty password refused"
	cmp "$W/before" "$PW"
	run bash -c "printf '\r\n' | '$DPW' -i '$PW' R bob"
	one_line_error "empty password refused"
	printf '\n' | "$DPW" -i --allow-empty "$PW" R bob
	grep -qx "bob:R:$(md5hex 'bob:R:')" "$PW"
	run bash -c "printf '\n' | '$DPW' -v -i '$PW' R bob"
	[ "$status" -eq 0 ]
}

@test "every other line is kept byte for byte: comments, CRLF, other realms, garbage" {
	local head tail
	head=$(printf '# users\n\n%s\r\n %s\ngarbage without a colon\n' \
		"$(entry alice Other o)" "$(entry alice R spaced)")
	tail=$(printf '%s\n%s\n%s\n%s\n#no newline at the end' "$(entry bob R b)" \
		"$(entry alice R dup)" "$(entry alice Rx x)" "$(entry aliceX R y)")
	printf '%s\n%s\r\n%s' "$head" "$(entry alice R old)" "$tail" >"$PW"

	set_pw "$PW" R alice new
	printf '%s\n%s\n%s' "$head" "$(entry alice R new)" "$tail" >"$W/expect"
	cmp "$W/expect" "$PW"

	set_pw "$PW" R carol c
	printf '%s\n%s\n%s\n%s\n' "$head" "$(entry alice R new)" "$tail" \
		"$(entry carol R c)" >"$W/expect"
	cmp "$W/expect" "$PW"

	"$DPW" -D "$PW" R alice 2>/dev/null
	printf '%s\n%s\n%s\n%s\n#no newline at the end\n%s\n' "$head" \
		"$(entry bob R b)" "$(entry alice Rx x)" "$(entry aliceX R y)" \
		"$(entry carol R c)" >"$W/expect"
	cmp "$W/expect" "$PW"
	# no temporary file left behind
	[ "$(ls -A "$W" | grep -c '^\.pw')" -eq 0 ]
}

@test "the file's owner and mode are kept; it is replaced by a rename" {
	set_pw "$PW" R alice old -c
	chmod 0604 "$PW"
	chown nobody:nogroup "$PW"
	inode=$(stat -c %i "$PW")
	set_pw "$PW" R alice new
	[ "$(stat -c '%a %U %G' "$PW")" = "604 nobody nogroup" ]
	[ "$(stat -c %i "$PW")" != "$inode" ]
	grep -qx "$(entry alice R new)" "$PW"
	set_pw "$PW" R bob b
	"$DPW" -D "$PW" R alice 2>/dev/null
	[ "$(stat -c '%a %U %G' "$PW")" = "604 nobody nogroup" ]
	[ "$(cat "$PW")" = "$(entry bob R b)" ]
	# -c on an existing file keeps them too, and says it emptied it
	run bash -c "printf 'c\n' | '$DPW' -i -c '$PW' R carol"
	[ "$status" -eq 0 ]
	[[ "$output" == *"warning: -c: the previous contents of $PW were replaced"* ]]
	[ "$(stat -c '%a %U %G' "$PW")" = "604 nobody nogroup" ]
	[ "$(cat "$PW")" = "$(entry carol R c)" ]
}

@test "new files are created 0640, or stricter under a stricter umask" {
	(umask 022 && set_pw "$W/a" R u p -c)
	[ "$(stat -c %a "$W/a")" = 640 ]
	(umask 077 && set_pw "$W/b" R u p -c)
	[ "$(stat -c %a "$W/b")" = 600 ]
	(umask 027 && set_pw "$W/c" R u p -c)
	[ "$(stat -c %a "$W/c")" = 640 ]
	(umask 000 && set_pw "$W/d" R u p -c)
	[ "$(stat -c %a "$W/d")" = 640 ]
}

@test "a missing file without -c: an error that suggests -c, no prompt, no file" {
	run "$DPW" "$W/none" R alice </dev/null
	one_line_error "does not exist (-c creates it)"
	[ ! -e "$W/none" ]
	run "$DPW" -D "$W/none" R alice
	one_line_error "does not exist (-c creates it)"
	run "$DPW" -l "$W/none"
	one_line_error "cannot open"
}

@test "a symbolic link is followed: its target changes, the link stays" {
	set_pw "$W/target" R alice old -c
	ln -s target "$PW"
	set_pw "$PW" R alice new
	[ -L "$PW" ]
	grep -qx "$(entry alice R new)" "$W/target"
}

@test "50 concurrent additions to one file: none lost, each verifies" {
	set_pw "$PW" R seed seed -c
	for i in $(seq 1 50); do
		set_pw "$PW" R "user$i" "pw$i" 3>&- &
	done
	wait
	[ "$(grep -c '^user' "$PW")" -eq 50 ]
	for i in $(seq 1 50); do
		grep -qx "$(entry "user$i" R "pw$i")" "$PW"
		printf 'pw%s\n' "$i" | "$DPW" -v -i "$PW" R "user$i" 2>/dev/null
	done
	grep -qx "$(entry seed R seed)" "$PW"
	[ "$(wc -l <"$PW")" -eq 51 ]
}

@test "a helper keeps answering while the file is rewritten 200 times" {
	local ha hb1 hb2 writer n=0 ra rb
	set_pw "$PW" R A a-pw -c
	set_pw "$PW" R B b1
	ha="OK ha1=\"$(md5hex A:R:a-pw)\""
	hb1="OK ha1=\"$(md5hex B:R:b1)\""
	hb2="OK ha1=\"$(md5hex B:R:b2)\""
	coproc HELPER { exec "$DFA" -c "$PW" 2>"$W/helper.err"; }
	HELPER_PID=$HELPER_PID
	(
		start=${EPOCHREALTIME/./}
		for i in $(seq 1 200); do
			set_pw "$PW" R B "b$((i % 2 + 1))" || echo "rewrite $i failed"
			# at least 15 ms a rewrite: the run spans several reloads
			ahead=$((i * 15000 - (${EPOCHREALTIME/./} - start)))
			[ "$ahead" -le 0 ] || sleep "0.$(printf '%06d' "$ahead")"
		done
	) >"$W/writer.out" 3>&- &
	writer=$!
	while kill -0 "$writer" 2>/dev/null; do
		printf '"A":"R"\n"B":"R"\n' >&"${HELPER[1]}"
		ra=TIMEOUT rb=TIMEOUT
		read -r -t 5 ra <&"${HELPER[0]}" || true
		read -r -t 5 rb <&"${HELPER[0]}" || true
		[ "$ra" = "$ha" ] || { echo "A: $ra"; return 1; }
		[ "$rb" = "$hb1" ] || [ "$rb" = "$hb2" ] || { echo "B: $rb"; return 1; }
		n=$((n + 1))
		sleep 0.01
	done
	wait "$writer"
	[ ! -s "$W/writer.out" ] || { cat "$W/writer.out"; return 1; }
	[ "$n" -ge 50 ] || { echo "only $n queries"; return 1; }
	# the helper looked at the file at least twice during the run
	[ "$(grep -c 'reloaded' "$W/helper.err")" -ge 2 ] || { cat "$W/helper.err"; return 1; }
	refute_grep -q 'warning\|cannot' "$W/helper.err"
	grep -qx "$(entry A R a-pw)" "$PW"
	grep -qx "$(entry B R b1)" "$PW"	# i = 200 wrote b1
}

@test "a full disk: exit 1, one line, the original intact, no temporary file" {
	local dir="$W/mnt" limit="" errtext="No space left on device" left="fill pw "
	mkdir "$dir"
	if mount -t tmpfs -o size=64k,mode=0755 tmpfs "$dir" 2>/dev/null; then
		MOUNTED=$dir
	else
		# no mount here (an unprivileged container): a file size limit
		# makes the same write fail, with EFBIG
		echo "# cannot mount a tmpfs: ulimit -f stands in for the full disk" >&3
		limit="ulimit -f 1;"
		errtext="File too large"
		left="pw "
	fi
	set_pw "$dir/pw" R alice a -c
	printf 'user%d:R:%032d\n' $(seq 1 30 | sed 's/.*/& &/') >>"$dir/pw"
	cp "$dir/pw" "$W/before"
	if [ -n "$MOUNTED" ]; then
		dd if=/dev/zero of="$dir/fill" bs=4096 2>/dev/null || true
	fi
	run bash -c "$limit printf 'new\n' | '$DPW' -i '$dir/pw' R alice"
	one_line_error "$errtext"
	[[ "$output" == *"$dir/pw unchanged"* ]]
	cmp "$W/before" "$dir/pw"
	[ "$(ls -A "$dir" | tr '\n' ' ')" = "$left" ]
	# -D fails the same way
	run bash -c "$limit '$DPW' -D '$dir/pw' R user1"
	one_line_error "$errtext"
	cmp "$W/before" "$dir/pw"
	[ "$(ls -A "$dir" | tr '\n' ' ')" = "$left" ]
	[ -n "$MOUNTED" ] || return 0
	# and a read-only file system
	rm -f "$dir/fill"
	mount -o remount,ro "$dir"
	run bash -c "printf 'new\n' | '$DPW' -i '$dir/pw' R alice"
	one_line_error "Read-only file system"
	cmp "$W/before" "$dir/pw"
}

@test "a file size limit (ulimit -f): EFBIG, exit 1, the original intact" {
	set_pw "$PW" R alice a -c
	printf 'user%d:R:%032d\n' $(seq 1 30 | sed 's/.*/& &/') >>"$PW"
	[ "$(stat -c %s "$PW")" -gt 1024 ]
	cp "$PW" "$W/before"
	run bash -c "ulimit -f 1; printf 'new\n' | '$DPW' -i '$PW' R alice"
	one_line_error "File too large"
	cmp "$W/before" "$PW"
	[ "$(ls -A "$W" | grep -c '^\.pw')" -eq 0 ]
}

@test "a directory the user may not write in: exit 1, the original intact" {
	RODIR=$(mktemp -d /tmp/dpw-ro.XXXXXX)
	chmod 0755 "$RODIR"
	set_pw "$RODIR/pw" R alice a -c
	chown nobody "$RODIR/pw"
	chmod 0600 "$RODIR/pw"
	cp "$RODIR/pw" "$W/before"
	run setpriv --reuid=nobody --regid=nogroup --clear-groups \
		bash -c "printf 'new\n' | '$DPW' -i '$RODIR/pw' R alice"
	one_line_error "Permission denied"
	[[ "$output" == *"cannot create a temporary file in $RODIR"* ]]
	cmp "$W/before" "$RODIR/pw"
	[ "$(ls -A "$RODIR")" = pw ]
	# nobody may read it: -v and -l work
	run setpriv --reuid=nobody --regid=nogroup --clear-groups \
		bash -c "printf 'a\n' | '$DPW' -v -i '$RODIR/pw' R alice"
	[ "$status" -eq 0 ]
}

@test "files written by digest_passwd read the same in our helper and Squid's" {
	require_cmd "$SQUID_DFA"
	set_pw "$PW" 'Squid proxy' alice 'wonder land' -c
	set_pw "$PW" 'Squid proxy' bob 'b:o:b'
	set_pw "$PW" 'Other realm' alice other
	set_pw "$PW" 'Squid proxy' carol 'c€'
	set_pw "$PW" 'Squid proxy' bob 'b2'
	set_pw "$PW" 'Squid proxy' dave dave
	"$DPW" -D "$PW" 'Squid proxy' dave 2>/dev/null
	printf '"%s":"%s"\n' alice 'Squid proxy' bob 'Squid proxy' alice 'Other realm' \
		carol 'Squid proxy' dave 'Squid proxy' bob 'Other realm' >"$W/req"
	"$DFA" -c "$PW" <"$W/req" >"$W/ours" 2>/dev/null
	"$SQUID_DFA" -c "$PW" <"$W/req" >"$W/squid" 2>/dev/null
	printf 'OK ha1="%s"\n' "$(md5hex 'alice:Squid proxy:wonder land')" \
		"$(md5hex 'bob:Squid proxy:b2')" "$(md5hex 'alice:Other realm:other')" \
		"$(md5hex 'carol:Squid proxy:c€')" >"$W/expect"
	printf 'ERR message="No such user"\n' >>"$W/expect"
	printf 'ERR message="No such user"\n' >>"$W/expect"
	cmp "$W/expect" "$W/ours"
	cmp "$W/expect" "$W/squid"
}

@test "--help, -h and -V; bad options and bad usage are one line and exit 1" {
	for opt in --help -h; do
		run "$DPW" $opt
		[ "$status" -eq 0 ]
		[[ "${lines[0]}" == "Usage: digest_passwd [-c] [-i] [--allow-empty] FILE REALM USER" ]]
		[[ "$output" == *"--sqlite DB --import FILE"* ]]
		[[ "$output" == *"--allow-empty"* && "$output" == *"exit 0 if it matches, 3 if not"* ]]
	done
	[ -z "$("$DPW" --help 2>&1 >/dev/null)" ]
	for opt in -V --version; do
		run "$DPW" $opt
		[ "$status" -eq 0 ]
		[ "$output" = "digest_passwd (digest-helpers) $PACKAGE_VERSION" ]
	done
	run "$DPW" -x "$PW" R u
	one_line_error "unknown option -x"
	run "$DPW" --bogus "$PW" R u
	one_line_error "unknown option --bogus"
	run "$DPW" --sqlite
	one_line_error "option --sqlite needs a value"
	run "$DPW"
	one_line_error "takes FILE REALM USER"
	run "$DPW" "$PW" R
	one_line_error "takes FILE REALM USER"
	run "$DPW" -D "$PW" R
	one_line_error "-D takes FILE REALM USER"
	run "$DPW" -l "$PW" R extra
	one_line_error "-l takes FILE [REALM]"
	run "$DPW" -c -D "$PW" R u
	one_line_error "-c cannot be combined with -D"
	run "$DPW" -i -l "$PW"
	one_line_error "-i cannot be combined with -l"
	run "$DPW" -v -D "$PW" R u
	one_line_error "-v and -D cannot be combined"
	run "$DPW" --init "$PW"
	one_line_error "--init needs --sqlite DB"
	run "$DPW" --disable "$PW" R u
	one_line_error "--disable needs --sqlite DB"
	[ ! -e "$PW" ]
}
