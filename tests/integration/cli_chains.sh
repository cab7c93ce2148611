#!/usr/bin/env bash
# Alternate chains: pebble with PEBBLE_ALTERNATE_ROOTS=1 offers a second chain (Link rel="alternate");
# --preferred-chain ISSUER picks the one whose top is issued by that root, and the default stays the first.
. "$(dirname "$0")/lib.sh"

require_tools dig curl openssl ss pebble timeout
require_daemon
require_cli

free_port DNS_PORT && free_port API_PORT || exit 1
zone_init "$T/zones"
write_config "$T/acme-dnsd.yaml" zones_dir="$T/zones" log_level=info ns_addresses='[127.0.0.1, "::1"]'
start_acmednsd "$T/acme-dnsd.yaml" || exit 1
start_pebble PEBBLE_ALTERNATE_ROOTS=1 || exit 1
pebble_root "$T/root0.pem" 0 && pebble_root "$T/root1.pem" 1 || { not_ok "pebble serves /roots/0 and /roots/1"; exit 1; }
cn_of() { openssl x509 -in "$1" -noout -subject -nameopt multiline 2>/dev/null | sed -n 's/^ *commonName *= *//p'; }
ROOT0=$(cn_of "$T/root0.pem")
ROOT1=$(cn_of "$T/root1.pem")
check "the two roots have different names" yes "$([ -n "$ROOT0" ] && [ -n "$ROOT1" ] && [ "$ROOT0" != "$ROOT1" ] && echo yes || echo no)" "$ROOT0 / $ROOT1"
cli_default_args "$T/state"

run_cli register register -d example.test
check_rc "register -d example.test" 0
REC=$(cnames_in "$OUT")
TARGET=$(printf '%s\n' "$REC" | awk '{print $3}')
zone_add "$REC"
zone_reload _acme-challenge.example.test "${TARGET%.}" || { not_ok "acme-dnsd serves the CNAME"; exit 1; }

# verify_with DIR ROOTFILE: openssl verify of DIR's certificate with its chain against one root.
verify_with() { openssl verify -CAfile "$2" -untrusted "$1/chain.pem" "$1/cert.pem" >/dev/null 2>&1 && echo ok || echo fails; }

run_cli default issue -d example.test --cert-name default --accept-tos
check_rc "issue without a preference" 0
D=$T/state/certificates/default
check "  the default chain leads to /roots/0" "ok fails" "$(verify_with "$D" "$T/root0.pem") $(verify_with "$D" "$T/root1.pem")"

run_cli alt issue -d example.test --cert-name alt --preferred-chain "$ROOT1"
check_rc "issue --preferred-chain '$ROOT1'" 0
A=$T/state/certificates/alt
check "  the chosen chain leads to /roots/1" "fails ok" "$(verify_with "$A" "$T/root0.pem") $(verify_with "$A" "$T/root1.pem")"
check_match "  the log says the alternate chain was used" "alternate chain" "$ERR" "$(cli_ctx)"

run_cli same issue -d example.test --cert-name same --preferred-chain "$ROOT0"
check_rc "issue --preferred-chain naming the default chain's root" 0
check "  the default chain is kept" "ok fails" "$(verify_with "$T/state/certificates/same" "$T/root0.pem") $(verify_with "$T/state/certificates/same" "$T/root1.pem")"

run_cli none issue -d example.test --cert-name none --preferred-chain "No Such Root"
check_rc "issue --preferred-chain naming no offered root: still issued" 0
check_match "  with a warning that the default chain was kept" "keeping the default" "$ERR" "$(cli_ctx)"
check "no sanitizer report from the client" "" "$CLI_SAN"
stop_pebble
stop_acmednsd
finish
