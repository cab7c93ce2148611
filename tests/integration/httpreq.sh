#!/usr/bin/env bash
# The httpreq solver (lego's convention) against a fake endpoint (tests/providers/httpreq.py) that publishes what it
# is asked to into acme-dnsd, with pebble validating there: `issue --solver httpreq` gets a wildcard + base
# certificate with only lego's variables (HTTPREQ_ENDPOINT, HTTPREQ_USERNAME, HTTPREQ_PASSWORD); one POST
# {"fqdn","value"} per value to ENDPOINT/present and ENDPOINT/cleanup with basic authentication, the name with its
# final dot; a 429 with Retry-After honoured; someone else's value at the same name kept; a wrong password (exit 4,
# "credentials refused by the httpreq endpoint"); lego's RAW mode and credentials in the URL refused before any
# request (exit 2); and a run killed with SIGKILL whose two values `cleanup --stale` asks the endpoint to remove.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/helpers/cloud_fake.sh"

USER_NAME=acme-hook
PASSWORD=pw-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
WRONG=pw-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
note_secret "$PASSWORD"
note_secret "$WRONG"
BASIC=$(printf '%s:%s' "$USER_NAME" "$PASSWORD" | openssl base64 -A)
note_secret "$BASIC"

cloud_start
FAKE_HTTPREQ_USER=$USER_NAME FAKE_HTTPREQ_PASSWORD=$PASSWORD fake_start httpreq --path-prefix /hooks/acme \
	--throttle 'POST ^/present$=1' || exit 1
ENDPOINT=$FAKE_URL/hooks/acme/
check "before any run: dig sees someone else's value" "$FOREIGN" "$(dig_txt "$NAME")"

# ---- 1. wildcard + base, everything from lego's variables ----
export HTTPREQ_ENDPOINT=$ENDPOINT HTTPREQ_USERNAME=$USER_NAME
cloud_cli_args "$T/state" httpreq
HTTPREQ_PASSWORD=$PASSWORD run_cli issue issue -d example.test -d '*.example.test' --accept-tos
check_rc "issue --solver httpreq -d example.test -d '*.example.test': exit 0" 0
check_cert "$T/state"
check_retry_after
check_only_foreign
check "  two presents and two cleanups, each one value at $NAME. (the endpoint's trailing slash dropped)" "2 2" \
	"$(fake_count ".path == \"/hooks/acme/present\" and .status == 200 and .body.fqdn == \"$NAME.\"") $(fake_count ".path == \"/hooks/acme/cleanup\" and .status == 200 and .body.fqdn == \"$NAME.\"")"
check "  the values cleaned up are the values presented" \
	"$(jq -r 'select(.path == "/hooks/acme/present" and .status == 200) | .body.value' "$FAKE_LOG" | sort | tr '\n' ' ')" \
	"$(jq -r 'select(.path == "/hooks/acme/cleanup") | .body.value' "$FAKE_LOG" | sort | tr '\n' ' ')"
check "  every request carried the basic credentials" 0 "$(fake_count '.status != 429 and .auth != "basic"')"

# ---- 2. refused: a wrong password, RAW mode, credentials in the URL ----
: >"$FAKE_LOG"
cloud_cli_args "$T/state-wrong" httpreq
HTTPREQ_PASSWORD=$WRONG run_cli wrong issue -d example.test --accept-tos
check_rc "issue with a wrong password: exit 4 (DNS)" 4
check_match "  the message says the endpoint refused the credentials" \
	'credentials refused by the httpreq endpoint \(HTTPREQ_USERNAME and HTTPREQ_PASSWORD\): HTTP 401' "$OUT$ERR"
HTTPREQ_PASSWORD=$PASSWORD HTTPREQ_MODE=RAW run_cli raw issue -d example.test --accept-tos
check_rc "issue with HTTPREQ_MODE=RAW: exit 2, before any request" 2
check_match "  the message says why RAW cannot be" 'HTTPREQ_MODE=RAW is not supported' "$OUT$ERR"
HTTPREQ_PASSWORD=$PASSWORD HTTPREQ_ENDPOINT="http://$USER_NAME:$PASSWORD@127.0.0.1:$FAKE_PORT/hooks/acme" \
	run_cli userinfo issue -d example.test --accept-tos
check_rc "issue with the credentials in the endpoint URL: exit 2" 2
check_match "  the message points to the variables" 'without credentials \(use HTTPREQ_USERNAME and HTTPREQ_PASSWORD\)' "$OUT$ERR"
run_cli no-password issue -d example.test --accept-tos
check_rc "issue with HTTPREQ_USERNAME but no HTTPREQ_PASSWORD: exit 2" 2
check "  nothing was presented by these runs" 0 "$(fake_count '.path == "/hooks/acme/present" and .status == 200')"
check_only_foreign

# ---- 3. killed with SIGKILL; cleanup --stale asks the endpoint to remove both values ----
: >"$FAKE_LOG"
cloud_cli_args "$T/state-kill" httpreq
ours_up() { [ "$(fake_txt "$NAME" | wc -w)" -eq 3 ]; }
cloud_kill_run "$T/state-kill" ours_up HTTPREQ_PASSWORD="$PASSWORD"
check "  after SIGKILL the endpoint holds someone else's value and our two" 3 "$(fake_txt "$NAME" | wc -w)"
cloud_cli_args "$T/state-kill" httpreq
HTTPREQ_PASSWORD=$PASSWORD run_cli stale cleanup --stale --json
check_stale_cleanup httpreq
check_only_foreign
check "  the journal is empty" 0 "$(ls "$T/state-kill/journal" 2>/dev/null | grep -c '\.json$')"
check "  it sent one cleanup per value, never for someone else's" "2 0" \
	"$(fake_count '.path == "/hooks/acme/cleanup"') $(fake_count ".path == \"/hooks/acme/cleanup\" and .body.value == \"$FOREIGN\"")"
unset HTTPREQ_ENDPOINT HTTPREQ_USERNAME

check_secret_nowhere "$PASSWORD" "$WRONG" "$BASIC"
cloud_stop
finish
