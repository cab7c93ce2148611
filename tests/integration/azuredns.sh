#!/usr/bin/env bash
# The azuredns solver against a fake Microsoft identity platform and Azure Resource Manager (tests/providers/
# azuredns_fake.py: client credentials checked, bearer tokens checked, DNS zones one per page with nextLink,
# record sets with ETags, If-Match / If-None-Match enforced with 412), which mirrors its _acme-challenge TXT sets
# into acme-dnsd, where pebble validates them. `acme-dns-cli issue --solver azuredns` gets a wildcard + base
# certificate with lego's variables, beside someone else's value, which stays; one token per run. Then: 429 with
# Retry-After and a concurrent writer (412, read again, the other value survives); two zones of one name in two
# resource groups (an error naming them, unless AZURE_RESOURCE_GROUP says which); a wrong client secret (exit 4,
# "credentials refused", the secret nowhere); a run killed with SIGKILL whose records `cleanup --stale` removes.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/helpers/fakedns.sh"

require_tools dig curl openssl ss pebble timeout jq python3 nsupdate
require_daemon
require_cli

TENANT=$(cat /proc/sys/kernel/random/uuid)
CLIENT=$(cat /proc/sys/kernel/random/uuid)
SUB=$(cat /proc/sys/kernel/random/uuid)
SECRET=Q~$(head -c 30 /dev/urandom | openssl base64 -A | tr '+/=' '._-')
WRONG_SECRET=Q~$(head -c 30 /dev/urandom | openssl base64 -A | tr '+/=' '._-')
note_secret "$SECRET"
note_secret "$WRONG_SECRET"
NAME=_acme-challenge.example.test.
RG=rg-dns
ZID=$RG/example.test.

fakedns_dns_up || exit 1
free_port AZ_PORT && free_port DEAD_PORT || exit 1
AZ_URL=http://127.0.0.1:$AZ_PORT
fake_start azuredns "$AZ_PORT" --tenant "$TENANT" --client-id "$CLIENT" --client-secret "$SECRET" \
	--subscription "$SUB" --scope "$AZ_URL/.default" \
	--zone "example.test:$RG" --zone "other.test:$RG" --zone example.test:rg-staging || exit 1
check "the fake takes someone else's TXT value at $NAME" 200 \
	"$(fake_post seed '{"zone": "example.test", "name": "'$NAME'", "values": ["someone-elses-value"], "ttl": 120}')"
check "acme-dnsd serves it (the fake mirrors its sets by RFC 2136 UPDATE)" someone-elses-value "$(dig_txt "$NAME")"

start_pebble || exit 1
pebble_root "$T/root.pem" || { not_ok "pebble's root is served on /roots/0"; exit 1; }
cli_az_args() {
	cli_cloud_args "$1"
	CLI_ARGS+=(--solver azuredns --azure-authority-host "$AZ_URL" --azure-resource-manager-endpoint "$AZ_URL")
}
# az_run LABEL SECRET [ARGS...]: run_cli with lego's variables (and AZURE_RESOURCE_GROUP=$RG unless NORG=1).
az_run() {
	local label=$1 secret=$2 rg=$RG
	shift 2
	[ "${NORG:-}" = 1 ] && rg=""
	AZURE_TENANT_ID=$TENANT AZURE_CLIENT_ID=$CLIENT AZURE_CLIENT_SECRET=$secret AZURE_SUBSCRIPTION_ID=$SUB \
		AZURE_RESOURCE_GROUP=$rg run_cli "$label" "$@"
}
writes() { fake_count "^[0-9:]+ (PUT_SET|DELETE_SET) "; }

# ---- 1. wildcard + base ----
cli_az_args "$T/state"
az_run issue "$SECRET" issue -d example.test -d '*.example.test' --accept-tos
check_rc "issue --solver azuredns -d example.test -d '*.example.test': exit 0" 0
check_issued "$T/state/certificates/example.test"
check "  Azure holds someone else's value, as it was" someone-elses-value "$(fake_values "$ZID" $NAME)"
check "  the set keeps its TTL (120)" 120 "$(fake_ttl "$ZID" $NAME)"
check "  dig sees only someone else's value" someone-elses-value "$(dig_txt $NAME)"
check "  one token for present and clean-up together" 1 "$(fake_count 'TOKEN issued')"
check "  one PUT to present (the merged set, If-Match), one to clean up" 2 "$(writes)" "$(grep -E 'SET|ERROR' "$FAKE_LOG")"
check_match "  the first PUT carried someone else's value and both of ours" \
	"PUT_SET $ZID $NAME someone-elses-value,[A-Za-z0-9_-]{43},[A-Za-z0-9_-]{43}$" "$(grep -m1 ' PUT_SET ' "$FAKE_LOG")"
check_match "  the clean-up PUT put back someone else's value alone" "PUT_SET $ZID $NAME someone-elses-value$" \
	"$(grep ' PUT_SET ' "$FAKE_LOG" | sed -n 2p)"
check_match "  the zones were paged (nextLink followed)" \
	"GET /subscriptions/$SUB/resourceGroups/$RG/providers/Microsoft.Network/dnsZones\\?api-version=2018-05-01&%24skipToken=1 -> 200" \
	"$(grep dnsZones\? "$FAKE_LOG")"
check "  every request was authorized and every condition held (no 401 or 412)" 0 "$(fake_count ' -> 4(01|12)')"
check "  the zone of the same name in another resource group was never written" "" \
	"$(fake_values rg-staging/example.test. $NAME)"

# ---- 2. 429 + Retry-After; a concurrent writer; a new set (If-None-Match) at another name ----
fake_post throttle '{"method": "PUT", "path": "/TXT/", "count": 1, "retry_after": 2}' >/dev/null
fake_post race '{"name": "'$NAME'", "value": "raced-in-value"}' >/dev/null
cli_az_args "$T/state-2"
az_run second "$SECRET" issue -d example.test -d '*.example.test' -d www.example.test --accept-tos
check_rc "issue with 429, a concurrent writer and a new name: exit 0" 0
check_match "  a 429 was answered with Retry-After 2 and the request tried again after it" \
	'azuredns: PUT [^ ]*/TXT/[^ ]*: HTTP 429, trying again in 2 s' "$ERR"
check_match "  the writer that came between our read and our write made Azure answer 412" 'ERROR 412 PreconditionFailed' \
	"$(cat "$FAKE_LOG")"
check_match "  and the set was read again" 'changed since it was read\); reading it again' "$ERR"
check "  the other writer's value survived, and someone else's" "raced-in-value someone-elses-value" \
	"$(fake_values "$ZID" $NAME)"
check "  the set made for www was deleted again (nothing else was there)" "" \
	"$(fake_values "$ZID" _acme-challenge.www.example.test.)"
check_match "  with DELETE" "DELETE_SET $ZID _acme-challenge\\.www\\.example\\.test\\." "$(cat "$FAKE_LOG")"

# ---- 3. two zones named example.test in two resource groups ----
cli_az_args "$T/state-any"
NORG=1 az_run any-group "$SECRET" issue -d example.test --accept-tos
check_rc "without AZURE_RESOURCE_GROUP, example.test in two resource groups: exit 4" 4
check_match "  the error names both and AZURE_RESOURCE_GROUP" \
	'2 DNS zones are named example\.test\. \(resource groups rg-dns, rg-staging\): choose one with AZURE_RESOURCE_GROUP' "$ERR"
check_match "  the subscription's zones were listed" "GET /subscriptions/$SUB/providers/Microsoft.Network/dnsZones" \
	"$(cat "$FAKE_LOG")"

# ---- 4. a wrong client secret: exit 4, a clear message, the secret nowhere ----
cli_az_args "$T/state-wrong"
az_run wrong-secret "$WRONG_SECRET" issue -d example.test --accept-tos
check_rc "issue with a wrong client secret: exit 4 (DNS)" 4
check_match "  the message says the credentials were refused" \
	'credentials refused by Azure \(client secret\): HTTP 401 invalid_client' "$OUT$ERR"
check "  the secret appears in no output" "" "$(grep -lF -e "$WRONG_SECRET" "$OUT_FILE" "$ERR_FILE")"
AZURE_TENANT_ID=$(cat /proc/sys/kernel/random/uuid) AZURE_CLIENT_ID=$CLIENT AZURE_CLIENT_SECRET=$SECRET \
	AZURE_SUBSCRIPTION_ID=$SUB AZURE_RESOURCE_GROUP=$RG run_cli wrong-tenant issue -d example.test --accept-tos
check_rc "issue with a tenant the identity platform does not know: exit 4" 4
check_match "  the error quotes the platform's description" "POST token: HTTP 400: AADSTS90002: Tenant '[0-9a-f-]+' not found" "$ERR"
AZURE_TENANT_ID=$TENANT AZURE_CLIENT_ID=$CLIENT AZURE_SUBSCRIPTION_ID=$SUB run_cli no-secret issue -d example.test --accept-tos
check_rc "no AZURE_CLIENT_SECRET: exit 2 (usage)" 2
check "  Azure is unchanged" "raced-in-value someone-elses-value" "$(fake_values "$ZID" $NAME)"

# ---- 5. killed with SIGKILL: the journal lists both records, cleanup --stale removes exactly them ----
cli_az_args "$T/state-kill"
cli_args_set --authoritative-port "$DEAD_PORT"
cli_args_set --propagation-timeout 120
ours_up() { [ "$(fake_values "$ZID" $NAME | wc -w)" -eq 4 ]; }
AZURE_TENANT_ID=$TENANT AZURE_CLIENT_ID=$CLIENT AZURE_CLIENT_SECRET=$SECRET AZURE_SUBSCRIPTION_ID=$SUB \
	AZURE_RESOURCE_GROUP=$RG kill_after_present kill ours_up "${CLI_ARGS[@]}" -d example.test -d '*.example.test' --accept-tos
check "  after SIGKILL Azure holds the two values of others and our two" 4 "$(fake_values "$ZID" $NAME | wc -w)"
check "  the journal lists 2 records of the azuredns solver at $NAME" "azuredns ${NAME%.} azuredns ${NAME%.}" \
	"$(cat "$T/state-kill/journal"/*.json 2>/dev/null | jq -r '"\(.solver) \(.target)"' | tr '\n' ' ' | sed 's/ $//')"
cli_az_args "$T/state-kill"
az_run stale "$SECRET" cleanup --stale --json
check_rc "cleanup --stale --solver azuredns: exit 0" 0
check "  it removed the two records" "removed removed" "$(printf '%s' "$OUT" | jq -r '[.records[].state] | join(" ")' 2>/dev/null)" "$OUT"
check "  Azure holds the values of others again, nothing else" "raced-in-value someone-elses-value" \
	"$(fake_values "$ZID" $NAME)"
check "  and so does DNS" "raced-in-value someone-elses-value" "$(dig_txt $NAME)"
check "  the journal is empty" 0 "$(ls "$T/state-kill/journal" 2>/dev/null | grep -c '\.json$')"

# ---- the secrets never left the program ----
check "no output, log or state file of any run holds the secret or an access token" "" \
	"$(grep -rlF -e "$SECRET" -e "$WRONG_SECRET" -e "eyJ0eXAiOiJKV1Qi.fake-" "$T"/cli.* "$T"/kill.* "$T"/state* "$FAKE_LOG" 2>/dev/null)"
check "every mirror into DNS worked" 0 "$(fake_count 'PUBLISH .* FAILED')"
check_cli_sanitizers
check "no sanitizer report in the killed run's output" "" "$(sanitizer_report "$T/kill.err")"
stop_pebble
kill_pid "$FAKE_PID" TERM 5
finish
