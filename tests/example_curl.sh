#!/bin/sh
# example_curl.sh - build examples/digest_server.c against libdigestauth and
# log in to it with curl.  TAP output, one line per check; exits non-zero
# when a check fails.
#
#   sh tests/example_curl.sh              the build tree's library: installed
#                                         with DESTDIR into a scratch dir
#                                         (make check runs it this way)
#   sh tests/example_curl.sh --installed  the system's (libdigestauth-dev):
#                                         plain pkg-config, no LD_LIBRARY_PATH
#
# Without make check's environment, run it from the build directory (or set
# top_builddir and top_srcdir).  EXAMPLE_CURL_LOG=1 prints the server's log
# (why each login was refused) even when every check passes.
set -u

mode=build
[ "${1:-}" = --installed ] && mode=installed
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$(pwd)}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/example_curl.XXXXXX") || exit 1
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=1; echo "not ok $n - $1"; }
check() {	# check DESCRIPTION WANT GOT
	if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1 (wanted $2, got $3)"; fi
}
bail() { echo "Bail out! $*"; [ -f "$tmp/server.log" ] && sed 's/^/# /' "$tmp/server.log"; exit 1; }

echo "1..8"

# --- the library: the build tree's, installed under $tmp/dest; or the system's
cflags=
if [ "$mode" = build ]; then
	make -s -C "$top_builddir" DESTDIR="$tmp/dest" install-libLTLIBRARIES \
	    install-digestauthincludeHEADERS install-pkgconfigDATA \
	    >"$tmp/install.log" 2>&1 || { sed 's/^/# /' "$tmp/install.log"; bail "make install DESTDIR failed"; }
	pc=$(find "$tmp/dest" -name digestauth.pc | head -n 1)
	so=$(find "$tmp/dest" -name 'libdigestauth.so.0' | head -n 1)
	[ -n "$pc" ] && [ -n "$so" ] || bail "digestauth.pc or libdigestauth.so.0 not installed"
	PKG_CONFIG_PATH=$(dirname "$pc")${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
	PKG_CONFIG_SYSROOT_DIR=$tmp/dest
	LD_LIBRARY_PATH=$(dirname "$so")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
	export PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR LD_LIBRARY_PATH
	# a sanitizer build's library needs the runtime first: build the same way
	if readelf -d "$so" | grep -q 'libasan'; then
		cflags="-fsanitize=address,undefined -fno-omit-frame-pointer"
	fi
fi
pkg-config --exists digestauth || bail "pkg-config does not find digestauth"
ok "pkg-config finds digestauth ($mode): $(pkg-config --libs digestauth)"

mkdir "$tmp/ex"
if CFLAGS="-O2 -g -Werror $cflags" LDFLAGS="$cflags" make -s -C "$tmp/ex" \
    -f "$top_srcdir/examples/Makefile" VPATH="$top_srcdir/examples" \
    >"$tmp/build.log" 2>&1; then
	ok "examples/digest_server.c builds with -Wall -Wextra -Werror"
else
	sed 's/^/# /' "$tmp/build.log"
	bail "the example does not build"
fi

# --- a server on a free port; stopped by its PID
start() {	# start SERVER-OPTION...
	port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	url="http://127.0.0.1:$port/private"
	"$tmp/ex/digest_server" "$@" "$port" alice 's3cret pw' 2>>"$tmp/server.log" &
	pid=$!
	i=0
	until curl -s -o /dev/null "$url"; do
		i=$((i + 1))
		[ "$i" -lt 50 ] || bail "the server did not start"
		sleep 0.1
	done
}
stop() {
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	pid=
}
status() {	# status CURL-ARGS...: the HTTP status of one request
	curl -s -o /dev/null -w '%{http_code}' "$@" "$url"
}
# Our own Authorization header for a fresh challenge's nonce (python3
# hashlib, not the library): nonce count NC, qop=auth, GET $url's path.
nonce() {
	curl -s -D - -o /dev/null "$url" |
	    sed -n 's/^WWW-Authenticate: .*algorithm=MD5, nonce="\([^"]*\)".*/\1/p' | head -n 1
}
authorization() {	# authorization NONCE NC
	python3 - "$1" "$2" <<'EOF'
import hashlib, sys
nonce, nc = sys.argv[1], sys.argv[2]
H = lambda s: hashlib.md5(s.encode()).hexdigest()
user, realm, pw, uri, cnonce = "alice", "example", "s3cret pw", "/private", "0a4f113b"
resp = H(":".join([H(":".join([user, realm, pw])), nonce, nc, cnonce, "auth",
    H("GET:" + uri)]))
print('Authorization: Digest username="%s", realm="%s", nonce="%s", uri="%s", '
    'qop=auth, nc=%s, cnonce="%s", response="%s", algorithm=MD5'
    % (user, realm, nonce, uri, nc, cnonce, resp))
EOF
}

start -l 2
check "right password: 200" 200 "$(status --digest -u 'alice:s3cret pw')"
check "wrong password: 401" 401 "$(status --digest -u 'alice:wrong')"

hdr=$(authorization "$(nonce)" 00000001)
first=$(status -H "$hdr")
second=$(status -H "$hdr")
check "hand-made header, nc=00000001: 200" 200 "$first"
check "the same nc again (a replay): 401" 401 "$second"

hdr=$(authorization "$(nonce)" 00000001)
sleep 3		# past the 2 s lifetime (-l 2)
if curl -s -D - -o /dev/null -H "$hdr" "$url" | grep -q '^WWW-Authenticate: Digest .*stale=true'; then
	ok "an expired nonce: 401 with stale=true"
else
	not_ok "an expired nonce: 401 with stale=true"
fi
stop

# curl answers one of the offered challenges; offer SHA-256 alone
start -a SHA-256
if curl -s -v -o /dev/null --digest -u 'alice:s3cret pw' "$url" 2>"$tmp/curl.log" &&
    grep -q '^> Authorization: Digest .*algorithm=SHA-256' "$tmp/curl.log" &&
    grep -q '^< HTTP/1.1 200' "$tmp/curl.log"; then
	ok "SHA-256 only: curl --digest logs in (200)"
else
	not_ok "SHA-256 only: curl --digest logs in (200)"
	sed 's/^/# /' "$tmp/curl.log"
fi
stop

[ "$failed" = 0 ] && [ -z "${EXAMPLE_CURL_LOG:-}" ] || sed 's/^/# /' "$tmp/server.log"
exit "$failed"
