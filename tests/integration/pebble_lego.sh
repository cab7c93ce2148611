#!/usr/bin/env bash
# A real issuance: pebble (the ACME test CA) validates dns-01 against acme-dnsd, lego (exec provider +
# acmedns-hook.sh) publishes through acme-dnsd's HTTP API; a base + wildcard certificate must come out.
. "$(dirname "$0")/lib.sh"

require_tools dig curl openssl ss pebble lego
require_daemon

free_port DNS_PORT && free_port API_PORT || exit 1
ZONES=$T/zones
mkdir -p "$ZONES"

# example.test delegates its challenge name to the apex through a CNAME in its zone file.
write_zone() {
	cat >"$ZONES/example.test.zone" <<EOF
\$ORIGIN example.test.
\$TTL 300
@               IN SOA  ns1.auth.example.test. hostmaster.example.test. $1 3600 600 604800 60
                IN NS   ns1.auth.example.test.
                IN A    127.0.0.1
${2:-}
EOF
}
write_zone 1
write_config "$T/acme-dnsd.yaml" zones_dir="$ZONES"
start_acmednsd "$T/acme-dnsd.yaml" || exit 1

register || { not_ok "POST /register: 201" "got $HTTP_CODE $HTTP_BODY"; exit 1; }
ok "POST /register: 201 ($REG_SUB)"
write_zone 2 "_acme-challenge  IN CNAME $REG_SUB.auth.example.test."
reload_acmednsd
cname_loaded() { qdig +short CNAME _acme-challenge.example.test | grep -qi "^$REG_SUB.auth.example.test.$"; }
if wait_for 10 cname_loaded; then ok "the zone file's CNAME to the challenge subdomain is served after SIGHUP"; else
	not_ok "the zone file's CNAME to the challenge subdomain is served after SIGHUP" "$(qdig CNAME _acme-challenge.example.test)"
	exit 1
fi

# ---- pebble with its own CA and a localhost certificate (lib.sh) ----
if start_pebble; then ok "pebble answers its directory"; else exit 1; fi

# ---- lego: base + wildcard through the exec hook ----
export ACMEDNS_API=$API_URL ACMEDNS_USERNAME=$REG_USER ACMEDNS_PASSWORD=$REG_KEY ACMEDNS_SUBDOMAIN=$REG_SUB
export ACMEDNS_HOOK_LOG=$T/hook.log ACMEDNS_CLEANUP_DELETE=1
export EXEC_PATH=$LIB_DIR/helpers/acmedns-hook.sh EXEC_POLLING_INTERVAL=1 EXEC_PROPAGATION_TIMEOUT=30 EXEC_SEQUENCE_INTERVAL=0
export LEGO_CA_CERTIFICATES=$PEBBLE_CA
start=$(date +%s)
timeout 180 lego --server "$PEBBLE_DIR" --email admin@example.test --accept-tos \
	--path "$T/lego" --domains example.test --domains '*.example.test' --dns exec \
	--dns.resolvers "127.0.0.1:$DNS_PORT" --dns.disable-cp run >"$T/lego.log" 2>&1 && rc=0 || rc=$?
took=$(($(date +%s) - start))
if [ "$rc" -eq 0 ]; then ok "lego run (base + wildcard, dns-01 via acme-dnsd) exits 0 in ${took} s"; else
	not_ok "lego run (base + wildcard, dns-01 via acme-dnsd) exits 0" "exit $rc after ${took} s" \
		"--- lego ---" "$(tail -30 "$T/lego.log")" "--- hook ---" "$(cat "$T/hook.log" 2>/dev/null)" \
		"--- pebble ---" "$(tail -20 "$PEBBLE_LOG")"
fi

CRT=$T/lego/certificates/example.test.crt
if [ -s "$CRT" ]; then
	openssl x509 -in "$CRT" -out "$T/leaf.pem"
	sans=$(openssl x509 -in "$T/leaf.pem" -noout -ext subjectAltName 2>&1 | tail -n +2 | tr -d ' ' | tr ',' '\n' | sort | tr '\n' ' ')
	check "the certificate names example.test and *.example.test" "DNS:*.example.test DNS:example.test " "$sans" \
		"$(openssl x509 -in "$T/leaf.pem" -noout -text)"
	pebble_root "$T/root.pem"
	pebble_intermediate "$T/intermediate.pem"
	cat "$T/lego/certificates/example.test.issuer.crt" "$T/intermediate.pem" >"$T/chain.pem" 2>/dev/null
	out=$(openssl verify -CAfile "$T/root.pem" -untrusted "$T/chain.pem" "$T/leaf.pem" 2>&1) && rc=0 || rc=$?
	check "the certificate verifies against pebble's root (/roots/0)" 0 "$rc" "$out"
	out=$(openssl verify -CAfile "$T/root.pem" -untrusted "$T/chain.pem" -purpose sslserver "$T/leaf.pem" 2>&1) && rc=0 || rc=$?
	check "  for TLS server use" 0 "$rc" "$out"
else
	not_ok "lego wrote $CRT" "$(ls -lR "$T/lego" 2>&1 | head -20)"
fi

presents=$(grep -c '^present .* -> 200' "$T/hook.log" 2>/dev/null)
check "the hook published two values with POST /update (200 each)" 2 "$presents" "$(cat "$T/hook.log" 2>/dev/null)"
cleanups=$(grep -c '^cleanup .* -> 200' "$T/hook.log" 2>/dev/null)
check "the hook removed both with DELETE /update (200 each)" 2 "$cleanups" "$(cat "$T/hook.log" 2>/dev/null)"
out=$(qdig TXT _acme-challenge.example.test)
check "after cleanup the challenge name has no TXT left (CNAME, then NODATA)" "NOERROR|CNAME" \
	"$(d_status "$out")|$(d_types "$out" ANSWER)" "$out"

stop_pebble
stop_acmednsd
finish
