#!/usr/bin/env bash
# The digitalocean solver against a fake DigitalOcean API v2 (tests/providers/digitalocean.py) that mirrors its
# records into acme-dnsd, with pebble validating there: `issue --solver digitalocean` gets a wildcard + base
# certificate with DO_AUTH_TOKEN alone for credentials; the account's domains read once over three pages whose next
# links name the real API's host (followed on ours, by page number); a 429 with Retry-After honoured; the relative
# record name and TTL 30 sent; someone else's TXT at the same name kept and only the ids we created deleted; the
# domain found by walking up without the checker (not "ample.test" nor "test-example.test"); a wrong token (exit 4,
# "credentials refused by DigitalOcean"); a TTL under DigitalOcean's minimum refused before any request; and a run
# killed with SIGKILL whose two records `cleanup --stale` finds by content and removes.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/helpers/cloud_fake.sh"

TOKEN=dop_v1_$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
WRONG=dop_v1_$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
note_secret "$TOKEN"
note_secret "$WRONG"

cloud_start
FAKE_DO_TOKEN=$TOKEN fake_start digitalocean --page-size 2 --throttle 'POST ^/domains/example.test/records$=1' || exit 1
API=$FAKE_URL/v2
FOREIGN_ID=$(fake_state | jq -r '.records[] | select(.content == "'$FOREIGN'") | .id')
check "before any run: dig sees someone else's value" "$FOREIGN" "$(dig_txt "$NAME")"

# ---- 1. wildcard + base ----
cloud_cli_args "$T/state" digitalocean --digitalocean-base-url "$API"
DO_AUTH_TOKEN=$TOKEN run_cli issue issue -d example.test -d '*.example.test' --accept-tos
check_rc "issue --solver digitalocean -d example.test -d '*.example.test': exit 0" 0
check_cert "$T/state"
check_retry_after
check_only_foreign
check "  the domains were read once: pages 1, 2, 3 of 2 each, asked of this server" \
	"per_page=200&page=1 per_page=200&page=2 per_page=200&page=3" \
	"$(jq -r 'select(.path == "/v2/domains") | .query' "$FAKE_LOG" | tr '\n' ' ' | sed 's/ $//')"
check "  two records created, named relative to the domain, TTL 30" 2 \
	"$(fake_count '.method == "POST" and .status == 201 and .body.name == "_acme-challenge" and .body.type == "TXT" and .body.ttl == 30')"
check "  two DELETEs (204), by the ids it was answered, no lookup" "2 0" \
	"$(fake_count '.method == "DELETE" and .status == 204') $(fake_count '.method == "GET" and (.path | endswith("/records"))')"
check "  someone else's record was never deleted" 0 "$(fake_count ".method == \"DELETE\" and (.path | endswith(\"/$FOREIGN_ID\"))")"
check "  no other domain was touched" 0 "$(fake_count '(.path | startswith("/v2/domains/")) and (.path | startswith("/v2/domains/example.test/") | not)')"

# ---- 2. no checker: the domain is found by walking up (the listing is read once for every candidate) ----
: >"$FAKE_LOG"
cloud_cli_args "$T/state-walk" digitalocean --digitalocean-base-url "$API"
DO_AUTH_TOKEN=$TOKEN run_cli walk issue -d www.example.test --accept-tos --skip-propagation
check_rc "issue -d www.example.test --skip-propagation (domain found by walking up from the name): exit 0" 0
check "  the record went to domain example.test as _acme-challenge.www" 1 \
	"$(fake_count '.method == "POST" and .path == "/v2/domains/example.test/records" and .body.name == "_acme-challenge.www"')"
check "  the domains were read once" 3 "$(fake_count '.path == "/v2/domains"')"
check "  someone else's value at _acme-challenge.www.example.test is still there" another-foreign-value \
	"$(fake_txt _acme-challenge.www.example.test)"
check_only_foreign

# ---- 3. refused credentials, a TTL DigitalOcean does not take ----
: >"$FAKE_LOG"
cloud_cli_args "$T/state-wrong" digitalocean --digitalocean-base-url "$API"
DO_AUTH_TOKEN=$WRONG run_cli wrong issue -d example.test --accept-tos
check_rc "issue with a wrong token: exit 4 (DNS)" 4
check_match "  the message says DigitalOcean refused the token" \
	'credentials refused by DigitalOcean \(DO_AUTH_TOKEN\): HTTP 401' "$OUT$ERR"
DO_AUTH_TOKEN=$TOKEN DO_TTL=10 run_cli ttl issue -d example.test --accept-tos
check_rc "issue with DO_TTL=10 (under DigitalOcean's 30): exit 2, before any request" 2
check_match "  the message names the variable and the range" 'DO_TTL: 10 is out of range \(30 to 86400\)' "$OUT$ERR"
check "  nothing was created by these runs" 0 "$(fake_count '.method == "POST" and .status == 201')"
check_only_foreign

# ---- 4. killed with SIGKILL; cleanup --stale finds the records by content (no ids) ----
: >"$FAKE_LOG"
cloud_cli_args "$T/state-kill" digitalocean --digitalocean-base-url "$API"
ours_up() { [ "$(fake_txt "$NAME" | wc -w)" -eq 3 ]; }
cloud_kill_run "$T/state-kill" ours_up DO_AUTH_TOKEN="$TOKEN"
check "  after SIGKILL the domain holds someone else's value and our two" 3 "$(fake_txt "$NAME" | wc -w)"
cloud_cli_args "$T/state-kill" digitalocean --digitalocean-base-url "$API"
DO_AUTH_TOKEN=$TOKEN run_cli stale cleanup --stale --json
check_stale_cleanup digitalocean lookup
check_only_foreign
check "  the journal is empty" 0 "$(ls "$T/state-kill/journal" 2>/dev/null | grep -c '\.json$')"
check "  the lookups asked for the full name, type TXT, over both pages of the three records" \
	"type=TXT&name=_acme-challenge.example.test&per_page=200&page=1 type=TXT&name=_acme-challenge.example.test&per_page=200&page=2" \
	"$(jq -r 'select(.method == "GET" and (.path | endswith("/records"))) | .query' "$FAKE_LOG" | head -2 |
		tr '\n' ' ' | sed 's/ $//')"
check "  someone else's record was never deleted" 0 "$(fake_count ".method == \"DELETE\" and (.path | endswith(\"/$FOREIGN_ID\"))")"

check_secret_nowhere "$TOKEN" "$WRONG"
cloud_stop
finish
