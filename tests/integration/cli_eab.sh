#!/usr/bin/env bash
# acme-dns-cli against a pebble that requires External Account Binding (-strict, externalAccountBindingRequired
# with the keys of pebble's example configuration): without EAB the client must stop with a clear message (exit 2
# or 5); with --eab-kid / --eab-hmac-key it must get an account and a certificate; a wrong HMAC key is refused.
. "$(dirname "$0")/lib.sh"

require_tools dig curl openssl ss pebble timeout
require_daemon
require_cli

free_port DNS_PORT && free_port API_PORT || exit 1
zone_init "$T/zones"
write_config "$T/acme-dnsd.yaml" zones_dir="$T/zones" log_level=info ns_addresses='[127.0.0.1, "::1"]'
start_acmednsd "$T/acme-dnsd.yaml" || exit 1
start_pebble eab=1 strict=1 || exit 1
pebble_root "$T/root.pem" || { not_ok "pebble's root is served on /roots/0"; exit 1; }
STATE=$T/state
cli_default_args "$STATE"

run_cli register register -d example.test
check_rc "register -d example.test: exit 0" 0
REC=$(cnames_in "$OUT")
zone_add "$REC"
if zone_reload "${REC%% *}" "${REC##* }"; then ok "acme-dnsd serves $REC"; else
	not_ok "acme-dnsd serves the CNAME register printed" "$(cli_ctx)"
	exit 1
fi
if curl -s -m 5 --cacert "$PEBBLE_CA" "$PEBBLE_DIR" | grep -q '"externalAccountRequired": *true'; then
	ok "pebble's directory says externalAccountRequired"
else
	not_ok "pebble's directory says externalAccountRequired" "$(curl -s -m 5 --cacert "$PEBBLE_CA" "$PEBBLE_DIR")"
fi

# Without EAB: refused before any order, with a message that says EAB is what is missing.
run_cli no-eab issue -d example.test -d '*.example.test' --accept-tos
case $RC in
2 | 5) ok "issue without EAB against a CA that requires it: exit $RC (2 or 5)" ;;
*) not_ok "issue without EAB against a CA that requires it: exit 2 or 5" "$(cli_ctx)" ;;
esac
check_match "  the message says External Account Binding is required (and names --eab-kid)" \
	'([Ee]xternal [Aa]ccount|EAB|eab).*(--eab-kid|required)|(--eab-kid|required).*([Ee]xternal [Aa]ccount|EAB)' \
	"$(printf '%s\n%s' "$OUT" "$ERR" | tr '\n' ' ')" "$(cli_ctx)"
check "  no account is saved" "" "$(find "$STATE/accounts" -name account.json 2>/dev/null)"

# A wrong HMAC key: the CA refuses the binding.
run_cli bad-eab issue -d example.test --cert-name bad --accept-tos --eab-kid "$PEBBLE_EAB_KID" \
	--eab-hmac-key b10lLJs8l1GPIzsLP0s6pMt8O0XVGnfTaCeROxQM0BIt2XrJMDHJZBM5NuQmQJQH
check_rc "issue with a wrong EAB HMAC key (kid-2's key for kid-1): exit 5" 5
check "  no account is saved" "" "$(find "$STATE/accounts" -name account.json 2>/dev/null)"

# With the right pair: an account bound to kid-1, then a certificate.
run_cli eab issue -d example.test -d '*.example.test' --accept-tos --eab-kid "$PEBBLE_EAB_KID" \
	--eab-hmac-key "$PEBBLE_EAB_KEY"
check_rc "issue with --eab-kid $PEBBLE_EAB_KID --eab-hmac-key (from pebble's config): exit 0" 0 \
	"--- pebble ---" "$(tail -15 "$PEBBLE_LOG")"
C=$STATE/certificates/example.test
out=$(openssl verify -CAfile "$T/root.pem" -untrusted "$C/chain.pem" "$C/cert.pem" 2>&1) && rc=0 || rc=$?
check "  the certificate verifies against pebble's root" 0 "$rc" "$out"
if [ -n "$(find "$STATE/accounts" -name account.json 2>/dev/null)" ]; then ok "  the account is saved"; else
	not_ok "  the account is saved" "$(find "$STATE" 2>&1)"
fi
for f in $(find "$STATE" -type f 2>/dev/null); do
	if grep -qF "$PEBBLE_EAB_KEY" "$f"; then
		not_ok "  the EAB HMAC key is not written to the state directory" "found in $f"
	fi
done

# The account exists now: a second issue needs no EAB any more (the CA finds the account by its key).
run_cli again issue -d example.test --cert-name again --accept-tos
check_rc "a second issue with the bound account, without EAB flags: exit 0" 0

# The same through the environment (every flag has a variable).
cli_default_args "$T/state-env"
ACME_DNS_CLI_EAB_KID=$PEBBLE_EAB_KID ACME_DNS_CLI_EAB_HMAC_KEY=$PEBBLE_EAB_KEY \
	run_cli env-eab issue -d example.test --accept-tos
check_rc "issue with ACME_DNS_CLI_EAB_KID / ACME_DNS_CLI_EAB_HMAC_KEY in the environment: exit 0" 0

check_cli_sanitizers
stop_pebble
stop_acmednsd
finish
