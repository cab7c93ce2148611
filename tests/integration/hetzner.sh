#!/usr/bin/env bash
# The hetzner solver against a fake Hetzner DNS API (tests/providers/hetzner.py) that mirrors its records into
# acme-dnsd, with pebble validating there: `issue --solver hetzner` gets a wildcard + base certificate with
# HETZNER_API_KEY alone for credentials (sent as Auth-API-Token); a 429 with Retry-After honoured; the zone asked
# by its exact name, the relative record name and TTL 60 sent; someone else's TXT at the same name kept and only the
# ids we created deleted; the zone found by walking up without the checker (each "zone not found" 404 taken as no
# zone); a wrong key (exit 4, "credentials refused by Hetzner"); and a run killed with SIGKILL whose two records
# `cleanup --stale` finds by content, reading every page of the zone's records, and removes.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/helpers/cloud_fake.sh"

KEY=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
WRONG=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
note_secret "$KEY"
note_secret "$WRONG"

cloud_start
FAKE_HETZNER_KEY=$KEY fake_start hetzner --page-size 2 --throttle 'POST ^/records$=1' || exit 1
API=$FAKE_URL/api/v1
ZID=$(fake_state | jq -r '.zones[] | select(.name == "example.test") | .id')
FOREIGN_ID=$(fake_state | jq -r '.records[] | select(.content == "'$FOREIGN'") | .id')
check "before any run: dig sees someone else's value" "$FOREIGN" "$(dig_txt "$NAME")"

# ---- 1. wildcard + base ----
cloud_cli_args "$T/state" hetzner --hetzner-base-url "$API"
HETZNER_API_KEY=$KEY run_cli issue issue -d example.test -d '*.example.test' --accept-tos
check_rc "issue --solver hetzner -d example.test -d '*.example.test': exit 0" 0
check_cert "$T/state"
check_retry_after
check_only_foreign
check "  the zone was asked for by its exact name, once" "name=example.test&per_page=100&page=1" \
	"$(jq -r 'select(.path == "/api/v1/zones") | .query' "$FAKE_LOG" | tr '\n' ' ' | sed 's/ $//')"
check "  two records created in zone $ZID, named relative to it, TTL 60" 2 \
	"$(fake_count ".method == \"POST\" and .status == 200 and .body.zone_id == \"$ZID\" and .body.name == \"_acme-challenge\" and .body.type == \"TXT\" and .body.ttl == 60")"
check "  two DELETEs, by the ids it was answered, no lookup" "2 0" \
	"$(fake_count '.method == "DELETE" and .status == 200') $(fake_count '.method == "GET" and .path == "/api/v1/records"')"
check "  someone else's record was never deleted" 0 "$(fake_count "(.path | endswith(\"/$FOREIGN_ID\"))")"

# ---- 2. no checker: the zone is found by walking up ----
: >"$FAKE_LOG"
cloud_cli_args "$T/state-walk" hetzner --hetzner-base-url "$API"
HETZNER_API_KEY=$KEY run_cli walk issue -d www.example.test --accept-tos --skip-propagation
check_rc "issue -d www.example.test --skip-propagation (zone found by walking up from the name): exit 0" 0
check "  it asked for each name up to example.test (404 \"zone not found\" for the first two)" \
	"_acme-challenge.www.example.test:404 www.example.test:404 example.test:200" \
	"$(jq -r 'select(.path == "/api/v1/zones") | "\(.query | capture("name=(?<n>[^&]*)").n):\(.status)"' "$FAKE_LOG" | tr '\n' ' ' | sed 's/ $//')"
check "  the record was named _acme-challenge.www in zone example.test" 1 \
	"$(fake_count ".method == \"POST\" and .body.zone_id == \"$ZID\" and .body.name == \"_acme-challenge.www\"")"
check "  someone else's value at _acme-challenge.www.example.test is still there" another-foreign-value \
	"$(fake_txt _acme-challenge.www.example.test)"
check_only_foreign

# ---- 3. refused credentials ----
: >"$FAKE_LOG"
cloud_cli_args "$T/state-wrong" hetzner --hetzner-base-url "$API"
HETZNER_API_KEY=$WRONG run_cli wrong issue -d example.test --accept-tos
check_rc "issue with a wrong key: exit 4 (DNS)" 4
check_match "  the message says Hetzner refused the key" 'credentials refused by Hetzner \(HETZNER_API_KEY\): HTTP 401' "$OUT$ERR"
run_cli none issue -d example.test --accept-tos
check_rc "issue without HETZNER_API_KEY: exit 2, before any request" 2
check_match "  the message names the variable" 'the API key is missing \(HETZNER_API_KEY\)' "$OUT$ERR"
check "  nothing was created by these runs" 0 "$(fake_count '.method == "POST" and .status == 200')"
check_only_foreign

# ---- 4. killed with SIGKILL; cleanup --stale finds the records by content (no ids) ----
: >"$FAKE_LOG"
cloud_cli_args "$T/state-kill" hetzner --hetzner-base-url "$API"
ours_up() { [ "$(fake_txt "$NAME" | wc -w)" -eq 3 ]; }
cloud_kill_run "$T/state-kill" ours_up HETZNER_API_KEY="$KEY"
check "  after SIGKILL the zone holds someone else's value and our two" 3 "$(fake_txt "$NAME" | wc -w)"
cloud_cli_args "$T/state-kill" hetzner --hetzner-base-url "$API"
HETZNER_API_KEY=$KEY run_cli stale cleanup --stale --json
check_stale_cleanup hetzner lookup
check_only_foreign
check "  the journal is empty" 0 "$(ls "$T/state-kill/journal" 2>/dev/null | grep -c '\.json$')"
pages=$(fake_state | jq --arg z "$ZID" '[.records[] | select(.zone_id == $z)] | length + 2 | (. + 1) / 2 | floor')
check "  the first lookup read every page of the zone's records ($pages, 2 a page)" "$pages" \
	"$(jq -r 'select(.method == "GET" and .path == "/api/v1/records") | .query' "$FAKE_LOG" | awk '/page=1$/ {n++} n == 1' | wc -l)"
check "  someone else's record was never deleted" 0 "$(fake_count "(.path | endswith(\"/$FOREIGN_ID\"))")"

check_secret_nowhere "$KEY" "$WRONG"
cloud_stop
finish
