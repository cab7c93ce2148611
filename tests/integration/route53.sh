#!/usr/bin/env bash
# The route53 solver against a fake Route 53 API (tests/providers/route53_fake.py: SigV4 recomputed for every
# request, hosted zones one per page, a public and a private twin for example.test, changes PENDING for two polls
# then INSYNC), which mirrors its _acme-challenge TXT sets into acme-dnsd, where pebble validates them.
# `acme-dns-cli issue --solver route53` gets a wildcard + base certificate with lego's variables, merging its values
# beside someone else's value, which stays; it waits for INSYNC before the CA is told. Then: the shared credentials
# file with a profile and a session token; 429 with Retry-After and Route 53's own 400 Throttling; a concurrent
# writer between our read and our write (the batch is refused, read again, and the other value survives); the
# private twin chosen on purpose; a wrong secret and an unknown key (exit 4, "credentials refused", no secret
# anywhere); a run killed with SIGKILL whose records `cleanup --stale` removes, and only them.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/helpers/fakedns.sh"

require_tools dig curl openssl ss pebble timeout jq python3 nsupdate
require_daemon
require_cli

rand_upper() { head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' | tr 'a-f' 'A-F' | cut -c1-"$1"; }
KEY_ID=AKIA$(rand_upper 16)
SECRET=$(head -c 30 /dev/urandom | openssl base64 -A)
TMP_KEY_ID=ASIA$(rand_upper 16)
TMP_SECRET=$(head -c 30 /dev/urandom | openssl base64 -A)
TOKEN=FwoGZXIvYXdz$(head -c 60 /dev/urandom | openssl base64 -A | tr -d '/+=')
WRONG_SECRET=$(head -c 30 /dev/urandom | openssl base64 -A)
for s in "$SECRET" "$TMP_SECRET" "$TOKEN" "$WRONG_SECRET"; do note_secret "$s"; done
NAME=_acme-challenge.example.test.
PUB=Z1PUBLICEXAMPLE
PRIV=Z0PRIVATEEXAMPLE       # sorts first: the public twin is on the second page

fakedns_dns_up || exit 1
free_port R53_PORT && free_port DEAD_PORT || exit 1
fake_start route53 "$R53_PORT" --key "$KEY_ID:$SECRET" --key "$TMP_KEY_ID:$TMP_SECRET:$TOKEN" \
	--zone "example.test:$PUB:public" --zone "example.test:$PRIV:private" --zone other.test:Z2OTHER:public || exit 1
check "the fake takes someone else's TXT value at $NAME" 200 \
	"$(fake_post seed '{"zone": "example.test", "name": "'$NAME'", "values": ["someone-elses-value"], "ttl": 120}')"
check "acme-dnsd serves it (the fake mirrors its sets by RFC 2136 UPDATE)" someone-elses-value "$(dig_txt "$NAME")"

start_pebble || exit 1
pebble_root "$T/root.pem" || { not_ok "pebble's root is served on /roots/0"; exit 1; }
cli_r53_args() {
	cli_cloud_args "$1"
	CLI_ARGS+=(--solver route53 --route53-endpoint "$FAKE_URL")
}
changes() { fake_count "^[0-9:]+ CHANGE "; }

# ---- 1. wildcard + base with AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY ----
cli_r53_args "$T/state"
AWS_ACCESS_KEY_ID=$KEY_ID AWS_SECRET_ACCESS_KEY=$SECRET run_cli issue issue -d example.test -d '*.example.test' --accept-tos
check_rc "issue --solver route53 -d example.test -d '*.example.test': exit 0" 0
check_issued "$T/state/certificates/example.test"
check "  Route 53 holds someone else's value, as it was" someone-elses-value "$(fake_values $PUB $NAME)"
check "  the set keeps its TTL (120)" 120 "$(fake_ttl $PUB $NAME)"
check "  dig sees only someone else's value" someone-elses-value "$(dig_txt $NAME)"
check "  the private twin was never written" "" "$(fake_state | jq -r --arg z $PRIV '.zones[] | select(.id == $z) | .rrsets[]')"
check "  one change batch to present (DELETE what was read + CREATE the merged set), one to clean up" 2 "$(changes)" \
	"$(grep -E 'CHANGE|INVALID' "$FAKE_LOG")"
check_match "  the first batch replaced the set with someone else's value and both of ours" \
	"CHANGE C0001FAKE zone=$PUB DELETE:$NAME:someone-elses-value CREATE:$NAME:someone-elses-value,[A-Za-z0-9_-]{43},[A-Za-z0-9_-]{43}$" \
	"$(grep -m1 ' CHANGE ' "$FAKE_LOG")"
check_match "  the clean-up batch put back someone else's value alone" \
	"CHANGE C0002FAKE zone=$PUB DELETE:$NAME:someone-elses-value,[^ ]+ CREATE:$NAME:someone-elses-value$" \
	"$(grep ' CHANGE ' "$FAKE_LOG" | sed -n 2p)"
check "  the change was PENDING twice, then INSYNC" "PENDING PENDING INSYNC" \
	"$(grep 'GETCHANGE C0001FAKE' "$FAKE_LOG" | awk '{print $4}' | tr '\n' ' ' | sed 's/ $//')"
insync=$(line_of "$ERR_FILE" 'route53: change C0001FAKE is INSYNC')
answer=$(line_of "$ERR_FILE" 'POST https?://[^ ]*/chalZ/')
if [ "$insync" -lt 999999 ] && [ "$insync" -lt "$answer" ]; then
	ok "  INSYNC (log line $insync) came before the first challenge was answered (line $answer)"
else
	not_ok "  INSYNC came before the first challenge was answered" "insync=$insync answer=$answer" "$(tail -30 "$ERR_FILE")"
fi
check_match "  the hosted zones were paged (the public twin is on the second page)" \
	'GET /2013-04-01/hostedzonesbyname\?dnsname=example\.test\.&hostedzoneid=Z1PUBLICEXAMPLE&maxitems=100 -> 200' \
	"$(grep hostedzonesbyname "$FAKE_LOG")"
check "  and looked up once for present and clean-up together" 2 "$(fake_count 'GET /2013-04-01/hostedzonesbyname')"
check "  every signature verified (no 403 in the fake's log)" 0 "$(fake_count ' -> 403')"
check "  the journal is empty" 0 "$(ls "$T/state/journal" 2>/dev/null | grep -c '\.json$')"

# ---- 2. the shared credentials file, a profile with a session token; 429, Throttling and a concurrent writer ----
mkdir -p "$T/aws"
printf '[default]\naws_access_key_id = AKIANOTTHISONE\naws_secret_access_key = notThisOne\n\n[ci]\naws_access_key_id = %s\naws_secret_access_key = %s\naws_session_token = %s\n' \
	"$TMP_KEY_ID" "$TMP_SECRET" "$TOKEN" >"$T/aws/credentials"
chmod 600 "$T/aws/credentials"
fake_post throttle '{"method": "POST", "path": "/rrset$", "count": 1, "retry_after": 2}' >/dev/null
fake_post throttle '{"method": "GET", "path": "/rrset$", "count": 1, "status": 400}' >/dev/null
fake_post race '{"name": "'$NAME'", "value": "raced-in-value"}' >/dev/null
before=$(changes)
cli_r53_args "$T/state-file"
AWS_SHARED_CREDENTIALS_FILE=$T/aws/credentials AWS_PROFILE=ci run_cli file issue -d example.test -d '*.example.test' \
	-d www.example.test --accept-tos
check_rc "issue with AWS_SHARED_CREDENTIALS_FILE + AWS_PROFILE (a session token), three names: exit 0" 0
D=$T/state-file/certificates/example.test
out=$(openssl verify -CAfile "$T/root.pem" -untrusted "$D/chain.pem" "$D/cert.pem" 2>&1) && rc=0 || rc=$?
check "  the certificate verifies against pebble's root" 0 "$rc" "$out"
check "  its names" "DNS:*.example.test DNS:example.test DNS:www.example.test " "$(sans_of "$D/cert.pem")"
check_match "  both names of the zone went in one batch (a new set CREATEd at www)" \
	"CREATE:$NAME:.* CREATE:_acme-challenge\\.www\\.example\\.test\\.:[A-Za-z0-9_-]{43}$|CREATE:_acme-challenge\\.www\\.example\\.test\\.:[A-Za-z0-9_-]{43} .*CREATE:$NAME:" \
	"$(grep ' CHANGE ' "$FAKE_LOG" | sed -n "$((before + 1))p")"
check_match "  and the clean-up batch DELETEd the www set (nothing else was there)" \
	"DELETE:_acme-challenge\\.www\\.example\\.test\\.:[A-Za-z0-9_-]{43}( |$)" "$(grep ' CHANGE ' "$FAKE_LOG" | sed -n "$((before + 2))p")"
check "  Route 53 holds nothing at www" "" "$(fake_values $PUB _acme-challenge.www.example.test.)"
check_match "  a 429 was answered with Retry-After 2 and the request tried again after it" \
	'route53: POST [^ ]*/rrset: HTTP 429, trying again in 2 s' "$ERR"
check_match "  Route 53's own 400 Throttling was tried again too" 'route53: GET [^ ]*/rrset: Throttling, trying again' "$ERR"
check_match "  the writer that came between our read and our write made Route 53 refuse the batch" \
	'INVALID_CHANGE_BATCH Tried to delete resource record set .* do not match the current values' "$(cat "$FAKE_LOG")"
check_match "  and the batch was built again from a new read" 'reading the sets again' "$ERR"
check "  the other writer's value survived, and someone else's" "raced-in-value someone-elses-value" "$(fake_values $PUB $NAME)"
check "  one accepted change to present, one to clean up" 2 "$(($(changes) - before))"

# ---- 3. the private twin, chosen on purpose (nothing publishes it: the CA cannot see it) ----
before=$(changes)
cli_r53_args "$T/state-private"
AWS_ACCESS_KEY_ID=$KEY_ID AWS_SECRET_ACCESS_KEY=$SECRET AWS_PRIVATE_ZONE=true run_cli private issue \
	-d example.test --accept-tos --skip-propagation
check_rc "issue into the private twin: exit 5 (the CA cannot see a private zone, as on AWS)" 5
check_match "  --route53-private-zone (AWS_PRIVATE_ZONE=true): the records went to the private twin $PRIV" \
	"CHANGE [A-Z0-9]+ zone=$PRIV CREATE:$NAME:" "$(grep ' CHANGE ' "$FAKE_LOG" | sed -n "$((before + 1))p")"
check "  and were removed from it again" "" "$(fake_values $PRIV $NAME)"
check "  the public twin is as it was" "raced-in-value someone-elses-value" "$(fake_values $PUB $NAME)"

# ---- 4. refused credentials: exit 4, a clear message, the secret nowhere ----
cli_r53_args "$T/state-wrong"
AWS_ACCESS_KEY_ID=$KEY_ID AWS_SECRET_ACCESS_KEY=$WRONG_SECRET run_cli wrong-secret issue -d example.test --accept-tos
check_rc "issue with a wrong secret access key: exit 4 (DNS)" 4
check_match "  the message says the credentials were refused, and why" \
	'credentials refused by Route 53 \(AWS access key\): HTTP 403 SignatureDoesNotMatch' "$OUT$ERR"
check "  the secret appears in no output" "" "$(grep -lF -e "$WRONG_SECRET" "$OUT_FILE" "$ERR_FILE")"
AWS_ACCESS_KEY_ID=AKIANOSUCHKEY0000000 AWS_SECRET_ACCESS_KEY=$SECRET run_cli unknown-key issue -d example.test --accept-tos
check_rc "issue with an access key Route 53 does not know: exit 4" 4
check_match "  credentials refused: InvalidClientTokenId" 'credentials refused by Route 53 .*InvalidClientTokenId' "$OUT$ERR"
AWS_ACCESS_KEY_ID=$KEY_ID run_cli half-key issue -d example.test --accept-tos
check_rc "an access key id without its secret: exit 2 (usage)" 2
check_match "  the message says they go together" 'AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY go together' "$OUT$ERR"
check "  Route 53 is unchanged" "raced-in-value someone-elses-value" "$(fake_values $PUB $NAME)"

# ---- 5. killed with SIGKILL: the journal lists both records, cleanup --stale removes exactly them ----
cli_r53_args "$T/state-kill"
cli_args_set --authoritative-port "$DEAD_PORT"
cli_args_set --propagation-timeout 120
ours_up() { [ "$(fake_values $PUB $NAME | wc -w)" -eq 4 ]; }
AWS_ACCESS_KEY_ID=$KEY_ID AWS_SECRET_ACCESS_KEY=$SECRET \
	kill_after_present kill ours_up "${CLI_ARGS[@]}" -d example.test -d '*.example.test' --accept-tos
check "  after SIGKILL Route 53 holds the two values of others and our two" 4 "$(fake_values $PUB $NAME | wc -w)"
check "  the journal lists 2 records of the route53 solver at $NAME" "route53 ${NAME%.} route53 ${NAME%.}" \
	"$(cat "$T/state-kill/journal"/*.json 2>/dev/null | jq -r '"\(.solver) \(.target)"' | tr '\n' ' ' | sed 's/ $//')"
cli_r53_args "$T/state-kill"
AWS_ACCESS_KEY_ID=$KEY_ID AWS_SECRET_ACCESS_KEY=$SECRET run_cli stale cleanup --stale --json
check_rc "cleanup --stale --solver route53: exit 0" 0
check "  it removed the two records" "removed removed" "$(printf '%s' "$OUT" | jq -r '[.records[].state] | join(" ")' 2>/dev/null)" "$OUT"
check "  Route 53 holds the values of others again, nothing else" "raced-in-value someone-elses-value" "$(fake_values $PUB $NAME)"
check "  and so does DNS" "raced-in-value someone-elses-value" "$(dig_txt $NAME)"
check "  the journal is empty" 0 "$(ls "$T/state-kill/journal" 2>/dev/null | grep -c '\.json$')"

# ---- the secrets never left the program ----
check "no output, log or state file of any run holds a secret" "" \
	"$(grep -rlF -e "$SECRET" -e "$TMP_SECRET" -e "$TOKEN" -e "$WRONG_SECRET" "$T"/cli.* "$T"/kill.* "$T"/state* "$FAKE_LOG" 2>/dev/null)"
check "every mirror into DNS worked" 0 "$(fake_count 'PUBLISH .* FAILED')"
check_cli_sanitizers
check "no sanitizer report in the killed run's output" "" "$(sanitizer_report "$T/kill.err")"
stop_pebble
kill_pid "$FAKE_PID" TERM 5
finish
