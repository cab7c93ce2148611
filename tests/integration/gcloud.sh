#!/usr/bin/env bash
# The gcloud solver against a fake Google Cloud DNS API and token endpoint (tests/providers/gcloud_fake.py: the
# JWT's RS256 signature verified with the test key's public half, bearer tokens checked, managed zones one per
# page, a public and a private zone both named example.test, changes pending for two polls then done), which
# mirrors its _acme-challenge TXT sets into acme-dnsd, where pebble validates them. `acme-dns-cli issue --solver
# gcloud` gets a wildcard + base certificate with lego's variables and a key file written here, beside someone
# else's value, which stays; one token exchange per run; it waits for "done" before the CA is told. Then: 429 with
# Retry-After and a concurrent writer (412, read again, the other value survives); private zones allowed (two
# candidates: an error naming them) and one pinned with GCE_ZONE_ID; a key the provider does not know (exit 4,
# "credentials refused", no key anywhere); a run killed with SIGKILL whose records `cleanup --stale` removes.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/helpers/fakedns.sh"

require_tools dig curl openssl ss pebble timeout jq python3 nsupdate
require_daemon
require_cli

PROJECT=acme-test-1
EMAIL=ci-dns@$PROJECT.iam.gserviceaccount.com
NAME=_acme-challenge.example.test.
PUB=example-test
PRIV=example-test-private

fakedns_dns_up || exit 1
free_port GC_PORT && free_port DEAD_PORT || exit 1

# the service account's key, and one the fake does not know; their files point token_uri at the fake
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/sa.key" 2>/dev/null &&
	openssl pkey -in "$T/sa.key" -pubout -out "$T/sa.pub" 2>/dev/null &&
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/other.key" 2>/dev/null ||
	{ not_ok "openssl makes the test's RSA keys"; exit 1; }
write_account() { # FILE KEYFILE [PROJECT_ID]
	jq -n --arg pk "$(cat "$2")" --arg email "$EMAIL" --arg uri "http://127.0.0.1:$GC_PORT/token" --arg p "${3:-}" \
		'{type: "service_account", private_key_id: "0123abcd", private_key: ($pk + "\n"), client_email: $email,
		  client_id: "1234567890", token_uri: $uri} + (if $p == "" then {} else {project_id: $p} end)' >"$1"
	chmod 600 "$1"
}
write_account "$T/sa.json" "$T/sa.key" "$PROJECT"
write_account "$T/sa-noproject.json" "$T/sa.key"
write_account "$T/sa-wrong.json" "$T/other.key" "$PROJECT"
KEY_LINE=$(sed -n 5p "$T/sa.key")
OTHER_LINE=$(sed -n 5p "$T/other.key")
note_secret "$KEY_LINE"
note_secret "$OTHER_LINE"

fake_start gcloud "$GC_PORT" --project "$PROJECT" --client-email "$EMAIL" --public-key "$T/sa.pub" \
	--zone "$PRIV:example.test:private" --zone "$PUB:example.test:public" --zone other:other.test:public || exit 1
check "the fake takes someone else's TXT value at $NAME" 200 \
	"$(fake_post seed '{"zone": "example.test", "name": "'$NAME'", "values": ["someone-elses-value"], "ttl": 120}')"
check "acme-dnsd serves it (the fake mirrors its sets by RFC 2136 UPDATE)" someone-elses-value "$(dig_txt "$NAME")"

start_pebble || exit 1
pebble_root "$T/root.pem" || { not_ok "pebble's root is served on /roots/0"; exit 1; }
cli_gc_args() {
	cli_cloud_args "$1"
	CLI_ARGS+=(--solver gcloud --gcloud-base-url "$FAKE_URL/dns/v1")
}
changes() { fake_count "^[0-9:]+ CHANGE "; }
tokens() { fake_count "TOKEN issued"; }

# ---- 1. wildcard + base: GCE_SERVICE_ACCOUNT_FILE, the project from the file ----
cli_gc_args "$T/state"
GCE_SERVICE_ACCOUNT_FILE=$T/sa.json run_cli issue issue -d example.test -d '*.example.test' --accept-tos
check_rc "issue --solver gcloud -d example.test -d '*.example.test': exit 0" 0
check_issued "$T/state/certificates/example.test"
check "  Cloud DNS holds someone else's value, as it was" someone-elses-value "$(fake_values $PUB $NAME)"
check "  the rrset keeps its TTL (120)" 120 "$(fake_ttl $PUB $NAME)"
check "  dig sees only someone else's value" someone-elses-value "$(dig_txt $NAME)"
check "  the private zone of the same name was never written" "" \
	"$(fake_state | jq -r --arg z $PRIV '.zones[] | select(.id == $z) | .rrsets[]')"
check "  the JWT was exchanged for a token once, for present and clean-up together" 1 "$(tokens)"
check "  one change to present (the old set in deletions, the merged one in additions), one to clean up" 2 \
	"$(changes)" "$(grep -E 'CHANGE|ERROR' "$FAKE_LOG")"
check_match "  the first change replaced the set with someone else's value and both of ours" \
	"CHANGE 1 zone=$PUB DELETE:$NAME:someone-elses-value ADD:$NAME:someone-elses-value,[A-Za-z0-9_-]{43},[A-Za-z0-9_-]{43}$" \
	"$(grep -m1 ' CHANGE ' "$FAKE_LOG")"
check_match "  the clean-up change put back someone else's value alone" \
	"CHANGE 2 zone=$PUB DELETE:$NAME:someone-elses-value,[^ ]+ ADD:$NAME:someone-elses-value$" \
	"$(grep ' CHANGE ' "$FAKE_LOG" | sed -n 2p)"
check "  the change was pending twice, then done" "pending pending done" \
	"$(grep 'GETCHANGE 1 ' "$FAKE_LOG" | awk '{print $4}' | tr '\n' ' ' | sed 's/ $//')"
done_line=$(line_of "$ERR_FILE" 'gcloud: change 1 is done')
answer=$(line_of "$ERR_FILE" 'POST https?://[^ ]*/chalZ/')
if [ "$done_line" -lt 999999 ] && [ "$done_line" -lt "$answer" ]; then
	ok "  done (log line $done_line) came before the first challenge was answered (line $answer)"
else
	not_ok "  done came before the first challenge was answered" "done=$done_line answer=$answer" "$(tail -30 "$ERR_FILE")"
fi
check_match "  the managed zones were paged (the public one is on the second page)" \
	"GET /dns/v1/projects/$PROJECT/managedZones\\?dnsName=example\\.test\\.&pageToken=1 -> 200" "$(grep managedZones "$FAKE_LOG")"
check "  every request was authorized (no 400 or 401 in the fake's log)" 0 "$(fake_count ' -> 40[01]')"
check "  the journal is empty" 0 "$(ls "$T/state/journal" 2>/dev/null | grep -c '\.json$')"

# ---- 2. GCE_PROJECT with a file without project_id; 429 + Retry-After; a concurrent writer ----
fake_post throttle '{"method": "POST", "path": "/changes$", "count": 1, "retry_after": 2}' >/dev/null
fake_post race '{"name": "'$NAME'", "value": "raced-in-value"}' >/dev/null
before=$(changes)
cli_gc_args "$T/state-2"
GCE_SERVICE_ACCOUNT_FILE=$T/sa-noproject.json GCE_PROJECT=$PROJECT run_cli second issue -d example.test -d '*.example.test' \
	-d www.example.test --accept-tos
check_rc "issue with GCE_PROJECT, 429, a concurrent writer, three names: exit 0" 0
D=$T/state-2/certificates/example.test
out=$(openssl verify -CAfile "$T/root.pem" -untrusted "$D/chain.pem" "$D/cert.pem" 2>&1) && rc=0 || rc=$?
check "  the certificate verifies against pebble's root" 0 "$rc" "$out"
check "  its names" "DNS:*.example.test DNS:example.test DNS:www.example.test " "$(sans_of "$D/cert.pem")"
check_match "  both names of the zone went in one change" \
	"ADD:$NAME:.*ADD:_acme-challenge\\.www\\.example\\.test\\.:|ADD:_acme-challenge\\.www\\.example\\.test\\.:.*ADD:$NAME:" \
	"$(grep ' CHANGE ' "$FAKE_LOG" | sed -n "$((before + 1))p")"
check "  Cloud DNS holds nothing at www afterwards" "" "$(fake_values $PUB _acme-challenge.www.example.test.)"
check_match "  a 429 was answered with Retry-After 2 and the request tried again after it" \
	'gcloud: POST [^ ]*/changes: HTTP 429, trying again in 2 s' "$ERR"
check_match "  the writer that came between our read and our write made Cloud DNS refuse the change (412)" \
	'ERROR 412 conditionNotMet' "$(cat "$FAKE_LOG")"
check_match "  and the change was built again from a new read" 'reading the sets again' "$ERR"
check "  the other writer's value survived, and someone else's" "raced-in-value someone-elses-value" "$(fake_values $PUB $NAME)"
check "  one accepted change to present, one to clean up" 2 "$(($(changes) - before))"

# ---- 3. private zones: allowed, two candidates is an error; pinned, it is written ----
cli_gc_args "$T/state-private"
GCE_SERVICE_ACCOUNT_FILE=$T/sa.json GCE_ALLOW_PRIVATE_ZONE=true run_cli ambiguous issue -d example.test --accept-tos
check_rc "GCE_ALLOW_PRIVATE_ZONE=true with a public and a private example.test: exit 4" 4
check_match "  the error names both and GCE_ZONE_ID" "2 managed zones are named example\\.test\\. \\($PRIV, $PUB\\): choose one with GCE_ZONE_ID" "$ERR"
before=$(changes)
GCE_SERVICE_ACCOUNT_FILE=$T/sa.json GCE_ZONE_ID=$PRIV run_cli pinned issue -d example.test --accept-tos --skip-propagation
check_rc "GCE_ZONE_ID=$PRIV: the CA cannot see a private zone: exit 5" 5
check_match "  the records went to the pinned private zone" "CHANGE [0-9]+ zone=$PRIV ADD:$NAME:" \
	"$(grep ' CHANGE ' "$FAKE_LOG" | sed -n "$((before + 1))p")"
check "  and were removed from it again" "" "$(fake_values $PRIV $NAME)"

# ---- 4. a key Google does not know: exit 4, a clear message, the key nowhere ----
cli_gc_args "$T/state-wrong"
GCE_SERVICE_ACCOUNT_FILE=$T/sa-wrong.json run_cli wrong-key issue -d example.test --accept-tos
check_rc "issue with a service account key the token endpoint refuses: exit 4 (DNS)" 4
check_match "  the message says the credentials were refused" \
	'credentials refused by Google Cloud \(service account key\): HTTP 400 invalid_grant' "$OUT$ERR"
check_match "  the fake refused the JWT's signature" 'TOKEN refused: Invalid JWT Signature' "$(cat "$FAKE_LOG")"
GCE_SERVICE_ACCOUNT_FILE=$T/nonexistent.json run_cli no-file issue -d example.test --accept-tos
check_rc "a key file that is not there: exit 2 (usage)" 2
check "  Cloud DNS is unchanged" "raced-in-value someone-elses-value" "$(fake_values $PUB $NAME)"

# ---- 5. killed with SIGKILL: the journal lists both records, cleanup --stale removes exactly them ----
cli_gc_args "$T/state-kill"
cli_args_set --authoritative-port "$DEAD_PORT"
cli_args_set --propagation-timeout 120
ours_up() { [ "$(fake_values $PUB $NAME | wc -w)" -eq 4 ]; }
GCE_SERVICE_ACCOUNT_FILE=$T/sa.json \
	kill_after_present kill ours_up "${CLI_ARGS[@]}" -d example.test -d '*.example.test' --accept-tos
check "  after SIGKILL Cloud DNS holds the two values of others and our two" 4 "$(fake_values $PUB $NAME | wc -w)"
check "  the journal lists 2 records of the gcloud solver at $NAME" "gcloud ${NAME%.} gcloud ${NAME%.}" \
	"$(cat "$T/state-kill/journal"/*.json 2>/dev/null | jq -r '"\(.solver) \(.target)"' | tr '\n' ' ' | sed 's/ $//')"
cli_gc_args "$T/state-kill"
GCE_SERVICE_ACCOUNT_FILE=$T/sa.json run_cli stale cleanup --stale --json
check_rc "cleanup --stale --solver gcloud: exit 0" 0
check "  it removed the two records" "removed removed" "$(printf '%s' "$OUT" | jq -r '[.records[].state] | join(" ")' 2>/dev/null)" "$OUT"
check "  Cloud DNS holds the values of others again, nothing else" "raced-in-value someone-elses-value" "$(fake_values $PUB $NAME)"
check "  and so does DNS" "raced-in-value someone-elses-value" "$(dig_txt $NAME)"
check "  the journal is empty" 0 "$(ls "$T/state-kill/journal" 2>/dev/null | grep -c '\.json$')"

# ---- the secrets never left the program ----
check "no output, log or state file of any run holds a private key or an access token" "" \
	"$(grep -rlF -e "$KEY_LINE" -e "$OTHER_LINE" -e "ya29.fake-" "$T"/cli.* "$T"/kill.* "$T"/state* "$FAKE_LOG" 2>/dev/null)"
check "every mirror into DNS worked" 0 "$(fake_count 'PUBLISH .* FAILED')"
check_cli_sanitizers
check "no sanitizer report in the killed run's output" "" "$(sanitizer_report "$T/kill.err")"
stop_pebble
kill_pid "$FAKE_PID" TERM 5
finish
