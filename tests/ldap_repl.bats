#!/usr/bin/env bats
# digest_ldap_auth in front of a replicated directory (issue 16): a
# provider and a consumer (tests/lib/slapd_repl.bash: syncprov, syncrepl
# refreshAndPersist, both on 127.0.0.1), the helper given
# -H "CONSUMER PROVIDER" as a proxy next to a read replica would be.
# Passwords are changed on the provider only, as an admin would, with
# digest_passwd --ldap; every expected HA1 is computed here with md5sum.
#
# The directory (dc=example,dc=org, written to the provider):
#   ou=people
#     alice   userPassword $R1:HA1 and $R2:HA1 (-e, one value per realm)
#     bob     $R1
#     rita    $R1 and $R2: her $R1 password is changed (replication delay)
#     carl    $R1: changed while the consumer is down (catching up)
#
# Each test leaves both servers up, running and in step (teardown).

bats_require_minimum_version 1.5.0

load lib/common
load lib/bg
load lib/slapd
load lib/slapd_repl

DLA="$top_builddir/digest_ldap_auth"
DPW="$top_builddir/digest_passwd"
BG_PROG=$DLA BG_ASK_S=10 BG_FINISH_S=15	# lib/bg
PEOPLE="ou=people,$SLAPD_BASE"
R1='Main Realm'
R2='Second'
HA_ALICE1=$(md5hex "alice:$R1:alice pw")
HA_ALICE2=$(md5hex "alice:$R2:alice two")
HA_BOB1=$(md5hex "bob:$R1:bob pw")
NO_USER='ERR message="No such user"'
REPL_BOUND_S=15		# a change must reach the consumer's readers within this
J=16			# lookups in flight (-j): at most this many BH at a kill
# under valgrind (tests/valgrind.sh) every lookup costs more: the bounds
# that are not the helper's own time-outs grow
SLOW=1
[ -z "${DH_UNDER_VALGRIND:-}" ] || SLOW=5

# --- directory and tools --------------------------------------------------------

person() {	# person UID [LDIF attribute lines...]
	local uid=$1; shift
	printf 'dn: uid=%s,%s\nobjectClass: inetOrgPerson\nuid: %s\ncn: %s\nsn: %s\n' \
		"$uid" "$PEOPLE" "$uid" "$uid" "$uid"
	printf '%s\n' "$@"
	echo
}

# repl.py: "peers PID" prints the server ports of PID's established TCP
# connections (which slapd a helper talks to); "drill ..." is the stream
# of lookups with a consumer killed in the middle (below).
write_repl_py() {
	cat >"$BATS_FILE_TMPDIR/repl.py" <<-'PY'
	import os, select, subprocess, sys, time

	def peers(pid):
	    inodes = set()
	    for fd in os.listdir("/proc/%d/fd" % pid):
	        try:
	            link = os.readlink("/proc/%d/fd/%s" % (pid, fd))
	        except OSError:
	            continue
	        if link.startswith("socket:["):
	            inodes.add(link[8:-1])
	    # by inode: a read of /proc/net/tcp is not atomic, and a socket may
	    # be listed twice while the table changes
	    ports = {}
	    for line in open("/proc/%d/net/tcp" % pid).readlines()[1:]:
	        f = line.split()
	        if f[3] == "01" and f[9] in inodes:	# 01: ESTABLISHED
	            ports[f[9]] = int(f[2].split(":")[1], 16)
	    return sorted(ports.values())

	def drill(count, rate, kill_at, expect_file, pause_script, kill_script, helper):
	    """After one lookup to warm up (ID 0),
	    send COUNT lookups with channel IDs 1..COUNT, RATE a second,
	    cycling through EXPECT_FILE's lines (user TAB realm TAB the reply
	    after the ID).  After KILL_AT of them, run PAUSE_SCRIPT (the server
	    freezes), send HELD more, which stay in flight, note which lookups
	    are unanswered and run KILL_SCRIPT; then go on, end the input and
	    read every reply.  Every ID must be answered exactly once, with its
	    expected reply, or BH only if it was unanswered at the kill."""
	    expect = [l.rstrip("\n").split("\t") for l in open(expect_file)]
	    p = subprocess.Popen(helper, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
	    out = p.stdout.fileno()
	    seen, bh, bad, ok_at = {}, [], [], {}
	    kinds = {"OK": 0, "ERR": 0}
	    st = {"buf": b""}
	    def take(wait):
	        if not select.select([out], [], [], wait)[0]:
	            return True
	        d = os.read(out, 65536)
	        if not d:
	            return False
	        st["buf"] += d
	        while b"\n" in st["buf"]:
	            raw, st["buf"] = st["buf"].split(b"\n", 1)
	            line = raw.decode("utf-8", "replace")
	            i, _, rest = line.partition(" ")
	            if not i.isdigit() or not 0 <= int(i) <= count:
	                bad.append(line)
	                continue
	            i = int(i)
	            seen[i] = seen.get(i, 0) + 1
	            if rest.startswith("BH "):
	                bh.append(i)
	            elif rest == expect[(i - 1) % len(expect)][2]:
	                kinds[rest.split(" ")[0]] += 1
	                ok_at[i] = time.time()
	            else:
	                bad.append(line)
	        return True
	    def send(n):
	        u, r, _ = expect[(n - 1) % len(expect)]
	        p.stdin.write(('%d "%s":"%s"\n' % (n, u, r)).encode())
	        p.stdin.flush()
	    def wait_until(t):
	        while time.time() < t:
	            take(max(0, t - time.time()))
	    # the warm-up, ID 0 (not counted): the helper is up and connected
	    send(0)
	    t_end = time.time() + 30
	    while 0 not in seen and time.time() < t_end and take(1):
	        pass
	    if seen.pop(0, 0) != 1 or bad or bh:
	        print("no right answer to the warm-up lookup: %s" % (bad or bh or "none"))
	        sys.exit(1)
	    kinds["OK"] = kinds["ERR"] = 0
	    ok_at.clear()
	    HELD = 8
	    inflight, before, pause_rc, kill_rc, t_kill = set(), [], -1, -1, 0.0
	    t0, n = time.time(), 0
	    while n < count:
	        n += 1
	        send(n)
	        wait_until(t0 + n / rate)
	        if n == kill_at:
	            t_pause = time.time()
	            pause_rc = subprocess.call(["bash", pause_script])
	            for k in range(HELD):
	                n += 1
	                send(n)
	            wait_until(time.time() + 0.3)
	            inflight = set(range(1, n + 1)) - set(seen)
	            before = peers(p.pid)
	            t_kill = time.time()
	            kill_rc = subprocess.call(["bash", kill_script])
	            t0 += time.time() - t_pause	# the rate again from here
	    after = peers(p.pid)
	    p.stdin.close()
	    while take(30):
	        pass
	    rc = p.wait()
	    lost = [i for i in range(1, count + 1) if i not in seen]
	    twice = [i for i, v in seen.items() if v > 1]
	    outside = [i for i in bh if i not in inflight]
	    late = [t for i, t in ok_at.items() if i > kill_at + HELD]	# right replies
	    print("requests=%d OK=%d ERR=%d BH=%d lost=%d twice=%d wrong=%d "
	          "in_flight_at_kill=%d bh_not_in_flight=%d rc=%d pause_rc=%d kill_rc=%d" % (
	              count, kinds["OK"], kinds["ERR"], len(bh), len(lost), len(twice),
	              len(bad), len(inflight), len(outside), rc, pause_rc, kill_rc))
	    print("peers_before=%s peers_after=%s" % (
	        ",".join(map(str, before)), ",".join(map(str, after))))
	    print("first_right_after_kill_ms=%d right_after_kill=%d" % (
	        (min(late) - t_kill) * 1000 if late else -1, len(late)))
	    def ids(l):	# the first 20
	        l = sorted(l)
	        return ",".join(map(str, l[:20])) + (",..." if len(l) > 20 else "")
	    print("bh_ids=%s in_flight_ids=%s" % (ids(bh), ids(inflight)))
	    for b in bad[:5]:
	        print("unexpected: %s" % b)
	    good = (not lost and not twice and not bad and not outside and rc == 0
	            and pause_rc == 0 and kill_rc == 0)
	    sys.exit(0 if good else 1)

	if sys.argv[1] == "peers":
	    print("\n".join(map(str, peers(int(sys.argv[2])))))
	else:
	    drill(int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), sys.argv[5],
	          sys.argv[6], sys.argv[7], sys.argv[8:])
	PY
}

setup_file() {
	# not built, or no slapd: setup() skips each test (loudly) when run by
	# hand, and fails it in CI
	[ -x "$DLA" ] && [ -x "$SLAPD_BIN" ] && command -v ldapadd >/dev/null || return 0
	write_repl_py
	repl_setup "$BATS_FILE_TMPDIR/repl" || { repl_stop; return 1; }
	{
		person alice "userPassword: $R1:$HA_ALICE1" "userPassword: $R2:$HA_ALICE2"
		person bob "userPassword: $R1:$HA_BOB1"
		person rita "userPassword: $R1:$(md5hex "rita:$R1:rita old")" \
			"userPassword: $R2:$(md5hex "rita:$R2:rita two")"
		person carl "userPassword: $R1:$(md5hex "carl:$R1:carl old")"
	} >"$BATS_FILE_TMPDIR/users.ldif"
	slapd_add "$BATS_FILE_TMPDIR/users.ldif" || { repl_stop; return 1; }
	repl_wait_synced || { repl_stop; return 1; }
}

teardown_file() {
	repl_stop
}

setup() {
	local cmd
	for cmd in "$DLA" "$SLAPD_BIN" ldapadd ldapsearch ldapmodify python3; do
		require_cmd "$cmd"
	done
	[ -n "${CONSUMER_URI:-}" ] || { echo "the replicated directory is not set up (setup_file)"; return 1; }
}

teardown() {
	[ -n "${PROVIDER_DIR:-}" ] || return 0
	bg_cleanup	# a helper left by a failed test
	# the tests freeze and kill the consumer: leave both up and in step
	repl_consumer_resume
	slapd_up || slapd_start
	SLAPD_URI=$CONSUMER_URI slapd_up || repl_consumer_start
	repl_wait_synced
}

# --- helpers --------------------------------------------------------------------

# the helper's arguments: -H as given, the root DN's bind (the consumer has
# the same root DN and password), -u uid -A userPassword -e
helper_args() {
	printf '%s\n' -H "$1" -D "$SLAPD_ROOTDN" -W "$SLAPD_SECRET_FILE" \
		-b "$PEOPLE" -u uid -A userPassword -e
}

req() { printf '"%s":"%s"\n' "$1" "${2:-$R1}"; }

ok() { printf 'OK ha1="%s"' "$1"; }

# set_pw_provider REALM USER PASSWORD: the user's password for REALM, set
# the way an admin does: digest_passwd --ldap with the helper's own
# arguments (consumer first, as the helpers have them), bound as the admin
# (root) DN.  The consumer refuses the write and the tool moves on to the
# provider.
set_pw_provider() {
	printf '%s\n' "$3" | "$DPW" --ldap \
		"-H $CONSUMER_URI $PROVIDER_URI -b $PEOPLE -u uid -A userPassword -e" \
		--bind-dn "$SLAPD_ROOTDN" --bind-secret-file "$SLAPD_SECRET_FILE" \
		-i "$1" "$2"
}

# values USER URI: the user's userPassword values on URI, sorted
values() {
	ldapsearch -x -LLL -o ldif-wrap=no -H "$2" -D "$SLAPD_ROOTDN" -y "$SLAPD_SECRET_FILE" \
		-s base -b "uid=$1,$PEOPLE" userPassword |
	sed -n 's/^userPassword:: //p' | while IFS= read -r v; do
		printf '%s' "$v" | base64 -d; echo
	done | sort
}

# until_new LINE OLD NEW SECONDS: ask LINE every 20 ms until the reply is
# NEW (then print how many ms that took); every reply before must be OLD
until_new() {
	local t0 got n=0
	t0=$(now_ms)
	while got=$(bg_ask "$1"); [ "$got" != "$3" ]; do
		[ "$got" = "$2" ] || { echo "before the new value: '$got', not the old value '$2'" >&2; return 1; }
		[ $(($(now_ms) - t0)) -lt $(($4 * 1000)) ] || { echo "still the old value after $4 s" >&2; return 1; }
		n=$((n + 1))
		sleep 0.02
	done
	echo "$(($(now_ms) - t0)) ms ($n lookups with the old value)"
}

# --- replication ----------------------------------------------------------------

@test "the fixture: the consumer holds the provider's entries, read-only copies by syncrepl" {
	[ "$PROVIDER_URI" != "$CONSUMER_URI" ]
	diff <(values alice "$PROVIDER_URI") <(values alice "$CONSUMER_URI")
	[ "$(values bob "$CONSUMER_URI")" = "$R1:$HA_BOB1" ]
	[ -n "$(repl_csn "$CONSUMER_URI")" ]
	[ "$(repl_csn "$CONSUMER_URI")" = "$(repl_csn "$PROVIDER_URI")" ]
	# a write on the consumer is refused (it is a shadow): only the
	# provider's changes reach it
	run ldapmodify -x -H "$CONSUMER_URI" -D "$SLAPD_ROOTDN" -y "$SLAPD_SECRET_FILE" <<-LDIF
	dn: uid=bob,$PEOPLE
	changetype: modify
	replace: sn
	sn: changed on the consumer
	LDIF
	[ "$status" -ne 0 ]
	[[ "$output" == *"shadow context"* || "$output" == *"referral"* || "$output" == *"Server is unwilling"* ]]
}

@test "a password set on the provider reaches the consumer; the helper on the consumer answers the new HA1 within $REPL_BOUND_S s" {
	local pw old new took args
	pw="rita new $RANDOM$RANDOM"
	old=$(ok "$(md5hex "rita:$R1:rita old")")
	new=$(ok "$(md5hex "rita:$R1:$pw")")
	mapfile -t args < <(helper_args "$CONSUMER_URI $PROVIDER_URI")
	bg_start -j "$J" -c 2 -t 2 "${args[@]}"
	ask_expect "1 $(req rita)" "1 $old"
	[ "$(peer_ports "$BG_PID")" = "$CONSUMER_PORT" ]
	run set_pw_provider "$R1" rita "$pw"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	# the consumer, first in the list, refused the write: the tool said so
	# and wrote to the provider
	# (with a referral: the consumer has updateref, which the tool does
	# not chase, since libldap would follow it without our bind)
	[[ "$output" == *"$CONSUMER_URI does not take writes (Referral); trying $PROVIDER_URI"* ]]
	# the provider has it at once, with rita's other realm untouched
	[ "$(values rita "$PROVIDER_URI")" = "$(printf '%s\n' "$R1:$(md5hex "rita:$R1:$pw")" \
		"$R2:$(md5hex "rita:$R2:rita two")" | sort)" ]
	took=$(until_new "2 $(req rita)" "2 $old" "2 $new" "$REPL_BOUND_S")
	echo "replication delay: the helper on the consumer answered the new HA1 $took after the change on the provider (set with digest_passwd --ldap)" >&3
	# ... and it was the consumer that answered
	[ "$(peer_ports "$BG_PID")" = "$CONSUMER_PORT" ]
	diff <(values rita "$PROVIDER_URI") <(values rita "$CONSUMER_URI")
	ask_expect "3 $(req rita "$R2")" "3 $(ok "$(md5hex "rita:$R2:rita two")")"
	refute_grep -e 'now using' -e 'lost' "$BATS_TEST_TMPDIR/bg.err"
	bg_finish
}

# The drill: 3000 lookups with channel IDs at 1500 a second, four kinds
# (alice in both realms, bob, an unknown user).  After 1000 the consumer is
# frozen, 8 more go out and stay in flight, and it is killed (SIGKILL): a
# consumer on loopback answers within a fraction of a millisecond, so a
# bare kill would almost never find a lookup in flight.  Every ID must be
# answered once, right; BH only for the lookups unanswered at the kill.
# Then, with the consumer down, carl's password changes on the provider;
# the consumer restarted catches up, and a helper pointed at the consumer
# alone serves carl's new HA1.
@test "drill: the consumer killed (-9) under a stream; the helper moves to the provider, no line lost, none wrong; restarted, the consumer catches up" {
	local out="$BATS_TEST_TMPDIR/drill" exp="$BATS_TEST_TMPDIR/expect" lib="$BATS_TEST_DIRNAME/lib"
	local bh pw took rc=0 args n
	printf '%s\t%s\t%s\n' alice "$R1" "$(ok "$HA_ALICE1")" alice "$R2" "$(ok "$HA_ALICE2")" \
		bob "$R1" "$(ok "$HA_BOB1")" "nobody" "$R1" "$NO_USER" >"$exp"
	# the freeze and the kill, by the fixture, each in a shell of its own
	# (run by the driver)
	for n in pause kill; do
		printf '. "%s"; . "%s"; . "%s"; repl_consumer_%s\n' "$lib/common.bash" \
			"$lib/slapd.bash" "$lib/slapd_repl.bash" "$n" >"$BATS_TEST_TMPDIR/$n.sh"
	done
	mapfile -t args < <(helper_args "$CONSUMER_URI $PROVIDER_URI")
	python3 "$BATS_FILE_TMPDIR/repl.py" drill 3000 1500 1000 "$exp" \
		"$BATS_TEST_TMPDIR/pause.sh" "$BATS_TEST_TMPDIR/kill.sh" \
		"$DLA" -j "$J" -c 2 -t 2 "${args[@]}" >"$out" 2>"$BATS_TEST_TMPDIR/drill.err" || rc=$?
	echo "drill: $(sed -n 1p "$out")" >&3
	echo "drill: $(sed -n '2,3p' "$out" | tr '\n' ' ')(consumer $CONSUMER_PORT, provider $PROVIDER_PORT)" >&3
	echo "drill: $(sed -n 4p "$out")" >&3
	[ "$rc" -eq 0 ] || { cat "$out" "$BATS_TEST_TMPDIR/drill.err"; false; }
	# killed: the consumer is gone
	if SLAPD_URI=$CONSUMER_URI slapd_up; then echo "the consumer survived the kill"; false; fi
	# the helper was on the consumer before the kill, on the provider after
	grep -qx "peers_before=$CONSUMER_PORT peers_after=$PROVIDER_PORT" "$out" ||
		{ cat "$out" "$BATS_TEST_TMPDIR/drill.err"; false; }
	grep -q "LDAP connection to $CONSUMER_URI lost" "$BATS_TEST_TMPDIR/drill.err"
	grep -q "now using $PROVIDER_URI instead of $CONSUMER_URI" "$BATS_TEST_TMPDIR/drill.err"
	# the held lookups were in flight at the kill; only what was in flight
	# may be BH (at most -j of them); the provider answered every one of
	# the 1992 sent after the kill, right
	[ "$(sed -n 's/.* in_flight_at_kill=\([0-9]*\) .*/\1/p' "$out")" -ge 8 ]
	bh=$(sed -n 's/.* BH=\([0-9]*\) .*/\1/p' "$out")
	[ "$bh" -le "$J" ]
	[ "$(sed -n 's/.* right_after_kill=\([0-9]*\)$/\1/p' "$out")" -eq 1992 ]

	# carl's password changes while the consumer is down ...
	pw="carl new $RANDOM$RANDOM"
	set_pw_provider "$R1" carl "$pw"
	[ "$(values carl "$PROVIDER_URI")" = "$R1:$(md5hex "carl:$R1:$pw")" ]
	# ... the consumer restarted catches up, and a helper on it alone
	# (no fail-over possible) serves the new HA1
	repl_consumer_start
	mapfile -t args < <(helper_args "$CONSUMER_URI")
	bg_start "${args[@]}"
	took=$(until_new "$(req carl)" "$(ok "$(md5hex "carl:$R1:carl old")")" \
		"$(ok "$(md5hex "carl:$R1:$pw")")" "$REPL_BOUND_S")
	echo "catching up: the restarted consumer served carl's new HA1 $took after its start" >&3
	repl_wait_synced
	[ "$(values carl "$CONSUMER_URI")" = "$R1:$(md5hex "carl:$R1:$pw")" ]
	ask_expect "7 $(req alice)" "7 $(ok "$HA_ALICE1")"
	ask_expect "$(req nobody)" "$NO_USER"
	[ "$(peer_ports "$BG_PID")" = "$CONSUMER_PORT" ]
	bg_finish
}

# A consumer that accepts TCP connections and answers nothing (SIGSTOP: the
# kernel still completes handshakes).  -t 2: a search is given up on after
# 2 + 2 s (LB_SEARCH_GRACE_S); -c 2: a bind after 2 s.
@test "a consumer that hangs (SIGSTOP): BH within -t for the lookups in flight, the helper lives, the next lookups from the provider" {
	local f="$BATS_TEST_TMPDIR/replies" t0 took i args
	mapfile -t args < <(helper_args "$CONSUMER_URI $PROVIDER_URI")
	bg_start -j "$J" -c 2 -t 2 "${args[@]}"
	ask_expect "1 $(req alice)" "1 $(ok "$HA_ALICE1")"
	[ "$(peer_ports "$BG_PID")" = "$CONSUMER_PORT" ]
	repl_consumer_pause
	t0=$(now_ms)
	for i in 2 3 4 5; do printf '%d %s\n' "$i" "$(req bob)" >&7; done
	collect 4 10 "$f"
	took=$(($(now_ms) - t0))
	echo "the lookups in flight on the frozen consumer answered in $took ms: $(cut -d' ' -f2- "$f" | sort | uniq -c | tr -s ' \n' ' ')" >&3
	diff <(seq 2 5) <(cut -d' ' -f1 "$f" | sort -n)
	# BH (the consumer did not answer), never ERR, never a wrong HA1 ...
	refute_grep -v -E "^[0-9]+ (BH message=\"[^\"]*\"|$(ok "$HA_BOB1"))\$" "$f"
	grep -q '^[0-9]* BH ' "$f"
	# ... within -t and its grace (4 s), with a second to spare
	[ "$took" -lt $((4000 + 1000 * SLOW)) ]
	kill -0 "$BG_PID"
	grep -q "LDAP server $CONSUMER_URI did not answer a search within 4 s; dropping the connection, trying $PROVIDER_URI" \
		"$BATS_TEST_TMPDIR/bg.err"
	# the next lookups: the provider, at once
	t0=$(now_ms)
	for i in $(seq 10 29); do
		ask_expect "$i $(req bob)" "$i $(ok "$HA_BOB1")"
	done
	ask_expect "$(req nobody)" "$NO_USER"
	echo "20 lookups after the fail-over: $(($(now_ms) - t0)) ms" >&3
	[ $(($(now_ms) - t0)) -lt $((2000 * SLOW)) ]
	[ "$(peer_ports "$BG_PID")" = "$PROVIDER_PORT" ]
	grep -q "now using $PROVIDER_URI instead of $CONSUMER_URI" "$BATS_TEST_TMPDIR/bg.err"
	bg_finish

	# a helper started while the consumer hangs: its bind there times out
	# (-c 2) and the provider answers the first lookup
	bg_start -j "$J" -c 2 -t 2 "${args[@]}"
	t0=$(now_ms)
	ask_expect "40 $(req alice "$R2")" "40 $(ok "$HA_ALICE2")"
	took=$(($(now_ms) - t0))
	echo "a new helper, the consumer hanging: first lookup answered in $took ms" >&3
	[ "$took" -lt $((2000 + 2500 * SLOW)) ]	# -c 2, then the provider
	[ "$(peer_ports "$BG_PID")" = "$PROVIDER_PORT" ]
	grep -q "($CONSUMER_URI): .*; trying $PROVIDER_URI" "$BATS_TEST_TMPDIR/bg.err"
	bg_finish
	repl_consumer_resume
	# thawed, it is in step again
	repl_wait_synced
}
