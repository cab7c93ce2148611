#!/usr/bin/env bash
# End to end over RFC 2136: Debian's lego (4.9.1) with its rfc2136 provider writes the challenge values into
# acme-dnsd with a TSIG key, pebble validates a base + wildcard order against acme-dnsd. Twice: with
# LEGO_DISABLE_CNAME_SUPPORT=true lego writes _acme-challenge.example.test in zone example.test; with CNAME
# support it follows _acme-challenge.example.test CNAME <uuid>.auth.example.test and writes the account
# subdomain in zone auth.example.test (granted to the key).
. "$(dirname "$0")/lib.sh"

require_tools dig curl openssl ss pebble lego
require_daemon

free_port DNS_PORT && free_port API_PORT || exit 1
zone_init "$T/zones"
CFG=$T/acme-dnsd.yaml

# An account first (its subdomain goes to the key), then the daemon with the key.
write_config "$CFG" zones_dir="$T/zones" log_level=info
start_acmednsd "$CFG" || exit 1
register || { not_ok "POST /register: 201" "got $HTTP_CODE $HTTP_BODY"; exit 1; }
stop_acmednsd "acme-dnsd without keys stops cleanly"
SECRET=$(openssl rand -base64 32 | tr -d '\n')
write_config "$CFG" zones_dir="$T/zones" log_level=info
cat >>"$CFG" <<EOF
update:
  keys:
    - name: lego-key
      algorithm: hmac-sha256
      secret: "$SECRET"
      subdomains: [$REG_SUB]
      zones: [example.test]
EOF
start_acmednsd "$CFG" || exit 1
if start_pebble; then ok "pebble answers its directory"; else exit 1; fi
pebble_root "$T/root.pem" && pebble_intermediate "$T/intermediate.pem" ||
	not_ok "pebble's root and intermediate can be fetched"

export LEGO_CA_CERTIFICATES=$PEBBLE_CA
export RFC2136_NAMESERVER=127.0.0.1:$DNS_PORT RFC2136_TSIG_KEY=lego-key RFC2136_TSIG_SECRET=$SECRET
export RFC2136_TSIG_ALGORITHM=hmac-sha256. RFC2136_SEQUENCE_INTERVAL=0 RFC2136_PROPAGATION_TIMEOUT=30
export RFC2136_POLLING_INTERVAL=1 RFC2136_TTL=60

# lego_run LABEL [ENV=VALUE...]: a base + wildcard order for example.test through the rfc2136 provider.
lego_run() {
	local label=$1 start rc
	shift
	start=$(date +%s)
	env "$@" timeout 180 lego --server "$PEBBLE_DIR" --email admin@example.test --accept-tos \
		--path "$T/lego-$label" --domains example.test --domains '*.example.test' --dns rfc2136 \
		--dns.resolvers "127.0.0.1:$DNS_PORT" --dns.disable-cp run >"$T/lego-$label.log" 2>&1 && rc=0 || rc=$?
	if [ "$rc" -eq 0 ]; then ok "lego ($label) issues base + wildcard in $(($(date +%s) - start)) s"; else
		not_ok "lego ($label) issues base + wildcard" "exit $rc" "--- lego ---" "$(tail -25 "$T/lego-$label.log")" \
			"--- pebble ---" "$(tail -15 "$PEBBLE_LOG")"
	fi
}

# cert_check LABEL: the certificate names both, and verifies against pebble's root for TLS server use.
cert_check() {
	local crt=$T/lego-$1/certificates/example.test.crt sans out rc
	if [ ! -s "$crt" ]; then
		not_ok "lego ($1) wrote $crt" "$(ls -lR "$T/lego-$1" 2>&1 | head -20)"
		return
	fi
	openssl x509 -in "$crt" -out "$T/leaf-$1.pem"
	sans=$(openssl x509 -in "$T/leaf-$1.pem" -noout -ext subjectAltName 2>&1 | tail -n +2 | tr -d ' ' | tr ',' '\n' |
		sort | tr '\n' ' ')
	check "($1) the certificate names example.test and *.example.test" "DNS:*.example.test DNS:example.test " "$sans"
	cat "$T/lego-$1/certificates/example.test.issuer.crt" "$T/intermediate.pem" >"$T/chain-$1.pem" 2>/dev/null
	out=$(openssl verify -CAfile "$T/root.pem" -untrusted "$T/chain-$1.pem" -purpose sslserver "$T/leaf-$1.pem" 2>&1) &&
		rc=0 || rc=$?
	check "($1) the certificate verifies against pebble's root for TLS server use" 0 "$rc" "$out"
}

# ---- 1: no CNAME, lego writes _acme-challenge.example.test in zone example.test ----
lego_run direct LEGO_DISABLE_CNAME_SUPPORT=true
cert_check direct
n=$(grep -c 'update: key lego-key, zone example.test, .*+TXT _acme-challenge.example.test .* -> NOERROR' "$ADNS_LOG")
check "lego's two presents went through UPDATE in zone example.test" 2 "$n" "$(grep 'update:' "$ADNS_LOG")"
out=$(qdig TXT _acme-challenge.example.test)
check "lego's cleanup removed its values: the name is gone" NXDOMAIN "$(d_status "$out")" "$out"

# ---- 2: the CNAME into the challenge apex, lego follows it and writes the account subdomain ----
zone_add "_acme-challenge.example.test. IN CNAME $REG_SUB.auth.example.test."
if zone_reload _acme-challenge.example.test "$REG_SUB.auth.example.test"; then
	ok "the zone's CNAME to the account subdomain is served after SIGHUP"
else
	not_ok "the zone's CNAME to the account subdomain is served after SIGHUP" "$(qdig CNAME _acme-challenge.example.test)"
fi
lego_run cname
cert_check cname
n=$(grep -c "update: key lego-key, zone auth.example.test, .*+TXT $REG_SUB.auth.example.test .* -> NOERROR" "$ADNS_LOG")
check "lego's two presents went to the account subdomain in zone auth.example.test" 2 "$n" \
	"$(grep 'update:' "$ADNS_LOG" | tail -8)"
out=$(qdig TXT "$REG_SUB.auth.example.test")
check "lego's cleanup emptied the subdomain (NODATA)" "NOERROR|0" "$(d_status "$out")|$(d_count "$out" ANSWER)" "$out"

stop_pebble
stop_acmednsd
finish
