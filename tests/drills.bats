#!/usr/bin/env bats
# Fault drills (what the man pages promise on failures): the stores change, break and vanish
# under running helpers, and nothing is lost or answered wrongly.

load lib/common
load lib/slapd

DSA="$top_builddir/digest_sqlite_auth"
DLA="$top_builddir/digest_ldap_auth"
DPW="$top_builddir/digest_passwd"

teardown() {
	slapd_stop
}

@test "drill: 100000 lookups while the file is atomically replaced 1000 times: no wrong answer" {
	local d="$BATS_TEST_TMPDIR"
	python3 - "$DFA" "$d" <<'PY'
import hashlib, os, random, signal, subprocess, sys, threading, time
dfa, d = sys.argv[1], sys.argv[2]
pw = os.path.join(d, "pw")
md5 = lambda s: hashlib.md5(s.encode()).hexdigest()
versions = ["alice:R:one\nbob:R:bob\n# v1\n", "bob:R:bob\nalice:R:two\n# version two\n"]
with open(pw, "w") as f:
    f.write(versions[0])
ok = {"alice": {md5("alice:R:one"), md5("alice:R:two")}, "bob": {md5("bob:R:bob")}}
h = subprocess.Popen([dfa, pw], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                     stderr=subprocess.DEVNULL)
# the helper is up (signal handlers in place) once it answers
h.stdin.write(b'"bob":"R"\n'); h.stdin.flush()
assert h.stdout.readline().decode().startswith("OK ha1=")
N, CHUNK = 100000, 200
sent = []
replies = []
done = threading.Event()

def writer():
    for i in range(1000):
        tmp = pw + ".tmp"
        with open(tmp, "w") as f:
            f.write(versions[i % 2])
        os.rename(tmp, pw)
        if i % 10 == 0:
            h.send_signal(signal.SIGHUP)	# reload now, not once a second
        time.sleep(0.004)
    done.set()

def reader():
    for line in h.stdout:
        replies.append(line.decode().rstrip("\n"))

tw = threading.Thread(target=writer); tr = threading.Thread(target=reader)
tw.start(); tr.start()
i = 0
while i < N:
    batch = []
    for k in range(CHUNK):
        user = "alice" if (i + k) % 2 else "bob"
        sent.append(user)
        batch.append('%d "%s":"R"\n' % (i + k, user))
    h.stdin.write("".join(batch).encode()); h.stdin.flush()
    i += CHUNK
    if not done.is_set():
        time.sleep(0.002)
tw.join()
h.stdin.close(); tr.join(); h.wait()
assert len(replies) == N, "%d replies for %d requests" % (len(replies), N)
wrong = 0
for n, (user, r) in enumerate(zip(sent, replies)):
    want = [ '%d OK ha1="%s"' % (n, x) for x in ok[user] ]
    if r not in want:
        wrong += 1
        if wrong < 5: print("request", n, user, "->", r)
print("%d replies, %d wrong" % (len(replies), wrong))
sys.exit(1 if wrong else 0)
PY
}

@test "drill: SQLite writer updating and holding locks: only correct OK or BH, never ERR" {
	local d="$BATS_TEST_TMPDIR" db="$BATS_TEST_TMPDIR/u.db"
	"$DPW" --sqlite "$db" --init 2>/dev/null
	printf 'pa\n' | "$DPW" -i --sqlite "$db" R alice 2>/dev/null
	printf 'b1\n' | "$DPW" -i --sqlite "$db" R bob 2>/dev/null
	python3 - "$DSA" "$db" <<'PY'
import hashlib, sqlite3, subprocess, sys, threading, time
dsa, db = sys.argv[1], sys.argv[2]
md5 = lambda s: hashlib.md5(s.encode()).hexdigest()
ok = {"alice": {md5("alice:R:pa")}, "bob": {md5("bob:R:b1"), md5("bob:R:b2")}}
h = subprocess.Popen([dsa, db], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                     stderr=subprocess.DEVNULL)
stop = threading.Event()
def writer():
    c = sqlite3.connect(db, isolation_level=None, timeout=30)
    i = 0
    while not stop.is_set():
        c.execute("BEGIN IMMEDIATE")
        c.execute("UPDATE digest_users SET ha1 = ? WHERE user = 'bob'", (md5("bob:R:b%d" % (1 + i % 2)),))
        if i % 5 == 0:
            c.execute("BEGIN EXCLUSIVE") if False else None
            time.sleep(0.3)		# hold the write lock a while
        c.execute("COMMIT")
        i += 1
        time.sleep(0.01)
    print("writer: %d transactions" % i)
tw = threading.Thread(target=writer); tw.start()
n = 0; bad = 0; bh = 0
t_end = time.time() + 6
while time.time() < t_end:
    user = "alice" if n % 2 else "bob"
    h.stdin.write(('%d "%s":"R"\n' % (n, user)).encode()); h.stdin.flush()
    r = h.stdout.readline().decode().rstrip("\n")
    if r == '%d BH message="Database is locked"' % n:
        bh += 1
    elif r not in ['%d OK ha1="%s"' % (n, x) for x in ok[user]]:
        bad += 1; print("request", n, user, "->", r)
    n += 1
stop.set(); tw.join(); h.stdin.close(); h.wait()
print("%d lookups, %d BH while locked, %d wrong" % (n, bh, bad))
sys.exit(1 if bad or n < 50 else 0)
PY
}

@test "drill: slapd killed and restarted 5 times under load: one reply per line, BH only while it is down" {
	slapd_setup "$BATS_TEST_TMPDIR/slapd"
	printf 'dn: uid=alice,ou=people,%s\nobjectClass: inetOrgPerson\nuid: alice\ncn: a\nsn: a\nuserPassword: R:pw\n' \
		"$SLAPD_BASE" >"$BATS_TEST_TMPDIR/a.ldif"
	slapd_add "$BATS_TEST_TMPDIR/a.ldif"
	local ha1 out="$BATS_TEST_TMPDIR/out" req="$BATS_TEST_TMPDIR/req" marks="$BATS_TEST_TMPDIR/marks"
	ha1=$(md5hex 'alice:R:pw')
	mkfifo "$req"
	"$DLA" -H "$SLAPD_URI" -b "ou=people,$SLAPD_BASE" -F '(uid=%s)' -A userPassword \
		-D "$SLAPD_ROOTDN" -W "$SLAPD_SECRET_FILE" <"$req" >"$out" 2>"$BATS_TEST_TMPDIR/err" &
	local helper=$! n=0 cycle
	exec 7>"$req"
	send() {	# send K requests, 20 ms apart
		local k
		for k in $(seq "$1"); do
			printf '%d "alice":"R"\n' "$n" >&7
			n=$((n + 1))
			sleep 0.02
		done
	}
	for cycle in 1 2 3 4 5; do
		send 20
		echo "down $n" >>"$marks"
		slapd_stop
		send 20
		slapd_start
		echo "up $n" >>"$marks"
		sleep 1	# the back-off may still hold for a moment
		send 20
	done
	send 50
	exec 7>&-
	wait "$helper"
	[ "$(wc -l <"$out")" -eq "$n" ]
	# every reply is OK with the right HA1 or BH (unreachable), never ERR
	[ "$(grep -Evc "^[0-9]+ (OK ha1=\"$ha1\"|BH message=\"LDAP server unreachable\")\$" "$out")" -eq 0 ]
	# the lines sent while slapd was up and settled were all OK: the last 50
	[ "$(tail -n 50 "$out" | grep -c "OK ha1=\"$ha1\"")" -eq 50 ]
	# and some requests did hit the outages
	grep -q 'BH message="LDAP server unreachable"' "$out"
	# every ID exactly once
	[ "$(cut -d' ' -f1 "$out" | sort -n | uniq | wc -l)" -eq "$n" ]
}

@test "drill: stdout closed by the reader: the helper exits at once, status 0, no core" {
	printf 'alice:pw\n' >"$BATS_TEST_TMPDIR/pw"
	run bash -c 'yes "\"alice\":\"R\"" | timeout 10 "$1" "$2" 2>"$3" | head -n 1; echo "helper=${PIPESTATUS[1]}"' \
		sh "$DFA" "$BATS_TEST_TMPDIR/pw" "$BATS_TEST_TMPDIR/err"
	[[ "$output" == *'helper=0'* ]]
	grep -q 'the reader closed standard output' "$BATS_TEST_TMPDIR/err"
	[ ! -e core ]
}

@test "drill: SIGTERM ends a helper cleanly (status 0); SIGHUP makes it look at the file now" {
	local pw="$BATS_TEST_TMPDIR/pw" fifo="$BATS_TEST_TMPDIR/in" out="$BATS_TEST_TMPDIR/out"
	printf 'alice:R:old\n' >"$pw"
	mkfifo "$fifo"
	"$DFA" "$pw" <"$fifo" >"$out" 2>"$BATS_TEST_TMPDIR/err" &
	local pid=$!
	exec 7>"$fifo"
	printf '1 "alice":"R"\n' >&7
	wait_for 5 grep -q '^1 ' "$out"
	# change the file and ask at once: within the second the old answer
	# may stand; after SIGHUP the new one must
	printf 'alice:R:new\n' >"$pw.tmp"; mv "$pw.tmp" "$pw"
	kill -HUP "$pid"
	wait_for 5 grep -q 'SIGHUP' "$BATS_TEST_TMPDIR/err"
	printf '2 "alice":"R"\n' >&7
	wait_for 5 grep -q '^2 ' "$out"
	grep -q "^2 OK ha1=\"$(md5hex 'alice:R:new')\"" "$out"
	kill -TERM "$pid"
	local rc=0
	wait "$pid" || rc=$?
	exec 7>&-
	[ "$rc" -eq 0 ]
	grep -q 'stopping on signal 15' "$BATS_TEST_TMPDIR/err"
}

@test "drill: digest_passwd killed with SIGKILL at random points in 200 updates: the file is always whole" {
	local pw="$BATS_TEST_TMPDIR/pw" i before after bad=0
	printf 'seed:R:%s\n' "$(md5hex 'seed:R:x')" >"$pw"
	for i in $(seq 200); do
		before=$(cat "$pw")
		printf 'pw%d\n' "$i" | "$DPW" -i "$pw" R "user$((i % 20))" 2>/dev/null &
		local p=$!
		sleep "0.00$((RANDOM % 9))"
		kill -9 "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
		after=$(cat "$pw")
		# old or new: every line a whole htdigest line, the seed kept,
		# and at most the one user changed
		if ! grep -Eqv '^[a-z0-9]+:R:[0-9a-f]{32}$' <<<"$after" && grep -q '^seed:R:' <<<"$after"; then
			local changed
			changed=$(diff <(sort <<<"$before") <(sort <<<"$after") | grep -c '^[<>]' || true)
			[ "$changed" -le 2 ] || bad=$((bad + 1))
		else
			bad=$((bad + 1))
			echo "iteration $i: partial file:" >&2
			cat "$pw" >&2
		fi
	done
	[ "$bad" -eq 0 ]
	# the helpers read the survivor
	run "$DFA" -c "$pw" <<<'"seed":"R"'
	[ "$output" = "OK ha1=\"$(md5hex 'seed:R:x')\"" ]
}
