# slapd.bash - a throwaway OpenLDAP server for the tests.
#
#   slapd_setup DIR [tls] [memberof]
#                           write a config (mdb backend, suffix
#                           dc=example,dc=org) and start slapd on a free
#                           127.0.0.1 port; with "tls", also a certificate
#                           made with openssl for StartTLS; with
#                           "memberof", slapd's memberof overlay, which
#                           keeps memberOf on each member of a
#                           groupOfNames (entries added with slapd_add;
#                           SLAPD_MEMBEROF=yes, or no when the module is
#                           not installed)
#   slapd_stop              stop the slapd we started (by its pid file)
#   slapd_start             start it again on the same port and data
#   slapd_add LDIF-FILE     add entries as the root DN
#
# SLAPD_ACCESS, when set, holds access directives for the database.
#
# Sets SLAPD_URI, SLAPD_PORT, SLAPD_BASE, SLAPD_ROOTDN, SLAPD_SECRET_FILE
# (the root DN's password, for -W), SLAPD_MEMBEROF and, with tls,
# SLAPD_CACERT.

SLAPD_BIN=${SLAPD_BIN:-/usr/sbin/slapd}
SLAPD_BASE="dc=example,dc=org"
SLAPD_ROOTDN="cn=admin,$SLAPD_BASE"

slapd_setup() {
	SLAPD_DIR=$1
	local tls=${2:-}
	SLAPD_MEMBEROF=no
	if [[ " ${*:2} " == *" memberof "* ]] && [ -e /usr/lib/ldap/memberof.la ]; then
		SLAPD_MEMBEROF=yes
	fi
	require_cmd "$SLAPD_BIN"
	require_cmd ldapadd
	mkdir -p "$SLAPD_DIR/db"
	SLAPD_PORT=$(free_port)
	SLAPD_URI="ldap://127.0.0.1:$SLAPD_PORT"
	SLAPD_SECRET_FILE="$SLAPD_DIR/secret"
	head -c 18 /dev/urandom | base64 | tr -d '/+=\n' >"$SLAPD_SECRET_FILE"
	chmod 600 "$SLAPD_SECRET_FILE"
	{
		echo "include /etc/ldap/schema/core.schema"
		echo "include /etc/ldap/schema/cosine.schema"
		echo "include /etc/ldap/schema/inetorgperson.schema"
		echo "modulepath /usr/lib/ldap"
		echo "moduleload back_mdb"
		if [ "$SLAPD_MEMBEROF" = yes ]; then echo "moduleload memberof"; fi
		echo "pidfile $SLAPD_DIR/slapd.pid"
		echo "loglevel 0"	# no syslog here; logging each operation is slow
		echo "argsfile $SLAPD_DIR/slapd.args"
		if [ "$tls" = tls ]; then
			slapd_make_cert
			echo "TLSCertificateFile $SLAPD_DIR/cert.pem"
			echo "TLSCertificateKeyFile $SLAPD_DIR/key.pem"
		fi
		echo "database mdb"
		echo "maxsize 1073741824"
		echo "suffix \"$SLAPD_BASE\""
		echo "rootdn \"$SLAPD_ROOTDN\""
		echo "rootpw $(cat "$SLAPD_SECRET_FILE")"
		echo "directory $SLAPD_DIR/db"
		echo "index objectClass,uid,cn eq"
		echo "sizelimit unlimited"
		# SLAPD_ACCESS: access directives for the database (default:
		# everyone reads, only the root DN writes)
		if [ -n "${SLAPD_ACCESS:-}" ]; then printf '%s\n' "$SLAPD_ACCESS"; fi
		if [ "$SLAPD_MEMBEROF" = yes ]; then
			echo "overlay memberof"
			echo "memberof-group-oc groupOfNames"
			echo "memberof-member-ad member"
			echo "memberof-memberof-ad memberOf"
		fi
	} >"$SLAPD_DIR/slapd.conf"
	slapd_start || return 1
	cat >"$SLAPD_DIR/base.ldif" <<-LDIF
	dn: $SLAPD_BASE
	objectClass: dcObject
	objectClass: organization
	o: Example
	dc: example

	dn: ou=people,$SLAPD_BASE
	objectClass: organizationalUnit
	ou: people
	LDIF
	slapd_add "$SLAPD_DIR/base.ldif"
	export SLAPD_URI SLAPD_PORT SLAPD_BASE SLAPD_ROOTDN SLAPD_SECRET_FILE SLAPD_DIR SLAPD_MEMBEROF
}

slapd_make_cert() {
	require_cmd openssl
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=127.0.0.1" \
		-addext "subjectAltName=IP:127.0.0.1" \
		-keyout "$SLAPD_DIR/key.pem" -out "$SLAPD_DIR/cert.pem" >/dev/null 2>&1
	SLAPD_CACERT="$SLAPD_DIR/cert.pem"
	export SLAPD_CACERT
}

slapd_up() {
	ldapsearch -x -LLL -H "$SLAPD_URI" -s base -b "" namingContexts >/dev/null 2>&1
}

slapd_start() {
	rm -f "$SLAPD_DIR/slapd.pid"
	# slapd keeps inherited descriptors open when it daemonizes: close the
	# ones a test may hold (bats on 3, fifos to helpers), or readers wait
	"$SLAPD_BIN" -h "$SLAPD_URI/" -f "$SLAPD_DIR/slapd.conf" -n dh-test-slapd \
		3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- || return 1
	wait_for 15 slapd_up || { echo "slapd did not come up on $SLAPD_URI" >&2; return 1; }
}

slapd_stop() {
	local pid
	[ -f "${SLAPD_DIR:-}/slapd.pid" ] || return 0
	pid=$(cat "$SLAPD_DIR/slapd.pid")
	kill "$pid" 2>/dev/null || true
	# slapd removes its pid file when it has shut down
	wait_for 15 test ! -e "/proc/$pid" || kill -9 "$pid" 2>/dev/null || true
	rm -f "$SLAPD_DIR/slapd.pid"
}

slapd_add() {
	ldapadd -x -H "$SLAPD_URI" -D "$SLAPD_ROOTDN" -y "$SLAPD_SECRET_FILE" -f "$1" >/dev/null
}

# A second server for the fail-over tests:
#
#   slapd_twin DIR          a copy of the slapd slapd_setup started: the
#                           same configuration, root DN password and
#                           entries, with its own database in DIR and its
#                           own free 127.0.0.1 port; started
#   slapd_twin_stop         stop it (by its pid file); slapd_twin_start
#                           starts it again on the same port and data
#
# Sets TWIN_DIR, TWIN_PORT and TWIN_URI.  The SLAPD_* variables keep
# naming the first server.

slapd_twin() {
	TWIN_DIR=$1
	mkdir -p "$TWIN_DIR/db"
	TWIN_PORT=$(free_port)
	while [ "$TWIN_PORT" = "$SLAPD_PORT" ]; do TWIN_PORT=$(free_port); done
	TWIN_URI="ldap://127.0.0.1:$TWIN_PORT"
	sed -e "s|^pidfile .*|pidfile $TWIN_DIR/slapd.pid|" \
		-e "s|^argsfile .*|argsfile $TWIN_DIR/slapd.args|" \
		-e "s|^directory .*|directory $TWIN_DIR/db|" \
		"$SLAPD_DIR/slapd.conf" >"$TWIN_DIR/slapd.conf"
	"$SLAPD_BIN" -Tcat -f "$SLAPD_DIR/slapd.conf" -l "$TWIN_DIR/data.ldif" || return 1
	"$SLAPD_BIN" -Tadd -q -f "$TWIN_DIR/slapd.conf" -l "$TWIN_DIR/data.ldif" || return 1
	export TWIN_DIR TWIN_PORT TWIN_URI
	slapd_twin_start
}

slapd_twin_start() {
	SLAPD_DIR=$TWIN_DIR SLAPD_URI=$TWIN_URI slapd_start
}

slapd_twin_stop() {
	[ -n "${TWIN_DIR:-}" ] || return 0
	SLAPD_DIR=$TWIN_DIR SLAPD_URI=$TWIN_URI slapd_stop
}
