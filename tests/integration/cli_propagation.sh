#!/usr/bin/env bash
# `acme-dns-cli issue` runs the propagation checker between presenting the records and answering the CA: every
# address of every NS of the zone that holds the challenge name (here acme-dnsd's apex, its NS addresses from
# dns.ns_addresses: 127.0.0.1 and ::1) must answer both values (wildcard + base) before a challenge is answered;
# an NS address that never answers stops the run with exit 4 naming it, before the CA is told anything; a fixed
# wait (--propagation-wait) replaces the check with --skip-propagation.
. "$(dirname "$0")/lib.sh"

require_tools dig curl openssl ss pebble timeout jq
require_daemon
require_cli

free_port DNS_PORT && free_port API_PORT || exit 1
zone_init "$T/zones"
write_config "$T/acme-dnsd.yaml" zones_dir="$T/zones" log_level=info ns_addresses='[127.0.0.1, "::1"]'
start_acmednsd "$T/acme-dnsd.yaml" || exit 1
start_pebble || exit 1
cli_default_args "$T/state"

# The NS addresses come from the configuration.
check "acme-dnsd serves dns.ns_addresses as the A and AAAA of dns.ns_name" "127.0.0.1 ::1" \
	"$(qdig +short A ns1.auth.example.test) $(qdig +short AAAA ns1.auth.example.test)"

run_cli register register -d example.test
check_rc "register -d example.test" 0
REC=$(cnames_in "$OUT")
TARGET=$(printf '%s\n' "$REC" | awk '{print $3}')
TARGET=${TARGET%.}
zone_add "$REC"
zone_reload _acme-challenge.example.test "$TARGET" || { not_ok "acme-dnsd serves the CNAME"; exit 1; }

# line_of FILE REGEX: the number of the first line of FILE matching REGEX, or 999999.
line_of() { local n; n=$(grep -n -E -m1 "$2" "$1" | cut -d: -f1); echo "${n:-999999}"; }

# ---- 1. every NS address has both values before the CA is told ----
run_cli checked issue -d example.test -d '*.example.test' --accept-tos --json --propagation-serial --check-resolvers
check_rc "issue with the checker (--propagation-serial --check-resolvers): exit 0" 0
P=$(printf '%s' "$OUT" | jq -c '.propagation' 2>/dev/null)
check "  --json has the checker's report: one name, its CNAME target, zone auth.example.test, done" \
	"_acme-challenge.example.test $TARGET auth.example.test true" \
	"$(printf '%s' "$P" | jq -r 'if length == 1 then .[0] | "\(.name) \(.final) \(.zone) \(.done)" else "\(length) names" end' 2>/dev/null)" \
	"$P"
check "  both values (wildcard and base) were expected at the one name" 2 \
	"$(printf '%s' "$P" | jq -r '.[0].values | unique | length' 2>/dev/null)" "$P"
check "  both NS addresses (127.0.0.1 and ::1) were asked and answered both" "127.0.0.1=ok ::1=ok" \
	"$(printf '%s' "$P" | jq -r '[.[0].servers[] | "\(.address)=\(.state)"] | sort | join(" ")' 2>/dev/null)" "$P"
check "  the SOA serial of each address was read (serials must match)" true \
	"$(printf '%s' "$P" | jq -r '[.[0].servers[].serial > 0] | all' 2>/dev/null)" "$P"
agree=$(line_of "$ERR_FILE" 'every authoritative server of auth\.example\.test answers')
answer=$(line_of "$ERR_FILE" 'POST https?://[^ ]*/chalZ/')
if [ "$agree" -lt 999999 ] && [ "$agree" -lt "$answer" ]; then
	ok "  the log shows the servers agreeing (line $agree) before the first challenge is answered (line $answer)"
else
	not_ok "  the log shows the servers agreeing before the first challenge is answered" "agree=$agree answer=$answer" \
		"$(tail -30 "$ERR_FILE")"
fi

# ---- 2. an NS address that never answers: exit 4 naming it, the CA never told ----
stop_acmednsd "acme-dnsd stops (first configuration)"
write_config "$T/acme-dnsd.yaml" zones_dir="$T/zones" log_level=info ns_addresses='[127.0.0.1, "::1", 127.0.0.2]'
start_acmednsd "$T/acme-dnsd.yaml" || exit 1
cli_args_set --propagation-timeout 3
start=$(date +%s)
run_cli dead-ns issue -d example.test -d '*.example.test' --cert-name dead --accept-tos --json
took=$(($(date +%s) - start))
check_rc "issue when one NS address (127.0.0.2) never answers: exit 4 (DNS)" 4
check_match "  the error names the silent address" '127\.0\.0\.2' "$(printf '%s' "$OUT" | jq -r '.error.detail' 2>/dev/null)" \
	"$OUT"
check "  the report marks it (timeout or error) and the others ok" "127.0.0.1=ok 127.0.0.2=bad ::1=ok" \
	"$(printf '%s' "$OUT" | jq -r '[.propagation[0].servers[] | "\(.address)=\(if .state == "ok" then "ok" elif .state == "timeout" or .state == "error" then "bad" else .state end)"] | sort | join(" ")' 2>/dev/null)" \
	"$OUT"
check "  no challenge was answered at the CA" 999999 "$(line_of "$ERR_FILE" 'POST https?://[^ ]*/chalZ/')"
check "  the deadline holds (3 s asked, done within 15 s)" yes "$([ "$took" -le 15 ] && echo yes || echo no)" "$took s"
check "  the challenge values were removed" "" "$(qdig +short TXT "$TARGET")"
check "  no certificate was written" no "$([ -e "$T/state/certificates/dead" ] && echo yes || echo no)"

# ---- 3. --skip-propagation --propagation-wait: a fixed wait instead ----
start=$(date +%s%N)
run_cli fixed-wait issue -d example.test -d '*.example.test' --cert-name fixed --accept-tos --skip-propagation \
	--propagation-wait 2
took=$((($(date +%s%N) - start) / 1000000))
check_rc "issue --skip-propagation --propagation-wait 2: exit 0" 0
check "  it waited at least 2 s" yes "$([ "$took" -ge 2000 ] && echo yes || echo no)" "$took ms"
check_match "  the log says so" 'waiting 2 s before answering' "$(cat "$ERR_FILE")"
check "  the checker did not run" 999999 "$(line_of "$ERR_FILE" 'every authoritative server')"

check_cli_sanitizers
stop_pebble
stop_acmednsd
finish
