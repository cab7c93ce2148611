#!/usr/bin/env bash
# The cloudflare solver against a fake Cloudflare API v4 (tests/providers/cloudflare.py) that mirrors its records
# into acme-dnsd, with pebble validating there: `issue --solver cloudflare` gets a wildcard + base certificate with
# only lego's variables for credentials (CLOUDFLARE_DNS_API_TOKEN + CLOUDFLARE_ZONE_API_TOKEN, their CF_* names,
# then CLOUDFLARE_EMAIL + CLOUDFLARE_API_KEY), a 429 with Retry-After on the first POST honoured, the active zone chosen
# over its pending twin (whose records are never touched), someone else's TXT at the same name kept, only the ids
# we created deleted; the zone found by walking up without the checker; a wrong token, a malformed one and a DNS
# token without the zone permission (exit 4, "credentials refused by Cloudflare"); and a run killed with SIGKILL
# whose two records `cleanup --stale` finds by content (paging one record at a time) and removes.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/helpers/cloud_fake.sh"

rand() { head -c 30 /dev/urandom | od -An -tx1 | tr -d ' \n' | head -c "$1"; }
TOKEN=cfdns_$(rand 40)
ZONE_TOKEN=cfzone_$(rand 40)
WRONG=cfwrong_$(rand 40)
EMAIL=admin@example.test
KEY=$(rand 37)
note_secret "$TOKEN"
note_secret "$ZONE_TOKEN"
note_secret "$WRONG"
note_secret "$KEY"

cloud_start
# Pages of one entry: the twin zones come on two pages, and the records at a name on as many.
# The DNS token may edit records only; the zone token reads zones (lego's "paranoid" set-up).
FAKE_CF_DNS_TOKEN=$TOKEN FAKE_CF_ZONE_TOKEN=$ZONE_TOKEN FAKE_CF_EMAIL=$EMAIL FAKE_CF_KEY=$KEY fake_start cloudflare --page-size 1 \
	--throttle 'POST ^/zones/[0-9a-f]+/dns_records$=1' || exit 1
API=$FAKE_URL/client/v4
ACTIVE=$(fake_state | jq -r '.zones[] | select(.name == "example.test" and .status == "active") | .id')
TWIN=$(fake_state | jq -r '.zones[] | select(.name == "example.test" and .status == "pending") | .id')
FOREIGN_ID=$(fake_state | jq -r --arg z "$ACTIVE" '.records[] | select(.zone_id == $z and .content == "'$FOREIGN'") | .id')
IN_ACTIVE=".zone_id == \"$ACTIVE\""
check "before any run: dig sees someone else's value (the pending twin's is not served)" "$FOREIGN" "$(dig_txt "$NAME")"

# ---- 1. wildcard + base, the tokens from CLOUDFLARE_DNS_API_TOKEN and CLOUDFLARE_ZONE_API_TOKEN ----
cloud_cli_args "$T/state" cloudflare --cloudflare-base-url "$API"
CLOUDFLARE_DNS_API_TOKEN=$TOKEN CLOUDFLARE_ZONE_API_TOKEN=$ZONE_TOKEN run_cli issue issue -d example.test \
	-d '*.example.test' --accept-tos
check_rc "issue --solver cloudflare -d example.test -d '*.example.test': exit 0" 0
check_cert "$T/state"
check_retry_after
check_only_foreign "$IN_ACTIVE"
check "  the pending twin's record is as it was" pending-twin-value "$(fake_txt "$NAME" ".zone_id == \"$TWIN\"")"
check "  no request named the pending twin zone" 0 "$(fake_count "(.path + .query) | contains(\"$TWIN\")")"
check "  two records created (one POST answered 429 first)" 2 \
	"$(fake_count '.method == "POST" and .status == 200')"
created=$(jq -r 'select(.method == "POST" and .status == 200) | .body.content' "$FAKE_LOG" | sort | tr '\n' ' ')
check "  each POST carried one value, at the name, with TTL 120" "2 2" \
	"$(jq -s '[.[] | select(.method == "POST" and .status == 200 and .body.type == "TXT" and .body.name == "'$NAME'" and .body.ttl == 120)] | length' "$FAKE_LOG") $(printf '%s' "$created" | wc -w)"
check "  two DELETEs, of exactly the records it created" 2 \
	"$(fake_count '.method == "DELETE" and .status == 200')"
check "  someone else's record was never deleted" 0 "$(fake_count "(.path | contains(\"$FOREIGN_ID\"))")"
check "  clean-up needed no lookup: it deleted by the ids it was answered" 0 \
	"$(fake_count '.method == "GET" and (.path | endswith("/dns_records"))')"
check "  the zone was looked up once, over its two pages, with the zone token" "2 2" \
	"$(fake_count '.method == "GET" and .path == "/client/v4/zones"') $(fake_count '.path == "/client/v4/zones" and .auth == "zone-token"')"
check "  the records were written with the DNS token" 4 \
	"$(fake_count '(.method == "POST" or .method == "DELETE") and .auth == "dns-token"')"

# ---- 2. no checker: the zone is found by walking up; lego's second names CF_DNS_API_TOKEN, CF_ZONE_API_TOKEN ----
: >"$FAKE_LOG"
cloud_cli_args "$T/state-walk" cloudflare --cloudflare-base-url "$API"
CF_DNS_API_TOKEN=$TOKEN CF_ZONE_API_TOKEN=$ZONE_TOKEN run_cli walk issue -d example.test -d '*.example.test' \
	--accept-tos --skip-propagation
check_rc "issue --skip-propagation (zone found by walking up from the name; CF_* variables): exit 0" 0
check_cert "$T/state-walk"
check "  it asked for _acme-challenge.example.test, then example.test" \
	"name=_acme-challenge.example.test&per_page=50&page=1 name=example.test&per_page=50&page=1 name=example.test&per_page=50&page=2" \
	"$(jq -r 'select(.path == "/client/v4/zones") | .query' "$FAKE_LOG" | tr '\n' ' ' | sed 's/ $//')"
check_only_foreign "$IN_ACTIVE"

# ---- 3. the global key: CLOUDFLARE_EMAIL + CLOUDFLARE_API_KEY ----
: >"$FAKE_LOG"
cloud_cli_args "$T/state-key" cloudflare --cloudflare-base-url "$API"
CLOUDFLARE_EMAIL=$EMAIL CLOUDFLARE_API_KEY=$KEY run_cli key issue -d example.test --accept-tos
check_rc "issue with CLOUDFLARE_EMAIL + CLOUDFLARE_API_KEY (X-Auth-Email/X-Auth-Key): exit 0" 0
check_only_foreign "$IN_ACTIVE"

# ---- 4. refused credentials: exit 4, a clear message, nothing written ----
: >"$FAKE_LOG"
cloud_cli_args "$T/state-wrong" cloudflare --cloudflare-base-url "$API"
CLOUDFLARE_DNS_API_TOKEN=$WRONG run_cli wrong issue -d example.test --accept-tos
check_rc "issue with a wrong token: exit 4 (DNS)" 4
check_match "  the message says Cloudflare refused the token (403, code 9109)" \
	'credentials refused by Cloudflare \(DNS API token\): HTTP 403: Invalid access token' "$OUT$ERR"
CLOUDFLARE_DNS_API_TOKEN='not a token' run_cli malformed issue -d example.test --accept-tos
check_rc "issue with a token that is not one: exit 2 (usage: refused before any request)" 2
CLOUDFLARE_DNS_API_TOKEN=short run_cli malformed issue -d example.test --accept-tos
check_rc "issue with a malformed token (Cloudflare answers 400, code 6003): exit 4" 4
check_match "  that 400 counts as refused credentials too" 'credentials refused by Cloudflare \(DNS API token\): HTTP 400' "$OUT$ERR"
CLOUDFLARE_DNS_API_TOKEN=$TOKEN run_cli no-zone-read issue -d example.test --accept-tos
check_rc "issue with the DNS token alone (it may not read zones): exit 4" 4
check_match "  the message names the token Cloudflare refused (403, code 10000)" \
	'credentials refused by Cloudflare \(DNS API token\): HTTP 403: Authentication error' "$OUT$ERR"
check "  nothing was created by these runs" 0 "$(fake_count '.method == "POST" and .status == 200')"
check_only_foreign "$IN_ACTIVE"

# ---- 5. killed with SIGKILL; cleanup --stale finds the records by content (no ids) ----
: >"$FAKE_LOG"
cloud_cli_args "$T/state-kill" cloudflare --cloudflare-base-url "$API"
ours_up() { [ "$(fake_txt "$NAME" "$IN_ACTIVE" | wc -w)" -eq 3 ]; }
cloud_kill_run "$T/state-kill" ours_up CLOUDFLARE_DNS_API_TOKEN="$TOKEN" CLOUDFLARE_ZONE_API_TOKEN="$ZONE_TOKEN"
check "  after SIGKILL the zone holds someone else's value and our two" 3 "$(fake_txt "$NAME" "$IN_ACTIVE" | wc -w)"
cloud_cli_args "$T/state-kill" cloudflare --cloudflare-base-url "$API"
CLOUDFLARE_DNS_API_TOKEN=$TOKEN CLOUDFLARE_ZONE_API_TOKEN=$ZONE_TOKEN run_cli stale cleanup --stale --json
check_stale_cleanup cloudflare lookup
check_only_foreign "$IN_ACTIVE"
check "  the journal is empty" 0 "$(ls "$T/state-kill/journal" 2>/dev/null | grep -c '\.json$')"
check "  the lookups paged through the name's records one by one (3 pages for the first)" 3 \
	"$(jq -r 'select(.method == "GET" and (.path | endswith("/dns_records"))) | .query' "$FAKE_LOG" | head -3 | grep -c 'name=_acme-challenge.example.test')"
check "  someone else's record was never deleted" 0 "$(fake_count "(.path | contains(\"$FOREIGN_ID\"))")"

check_secret_nowhere "$TOKEN" "$ZONE_TOKEN" "$WRONG" "$KEY"
cloud_stop
finish
