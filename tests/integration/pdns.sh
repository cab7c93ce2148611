#!/usr/bin/env bash
# The pdns solver against a real PowerDNS Authoritative (gsqlite3 backend, HTTP API) on loopback, with pebble
# validating against it: `acme-dns-cli issue --solver pdns` gets a wildcard + base certificate, merging its two
# values into a TXT RRset that already holds a value and a disabled record of someone else's, which both stay; one
# PATCH per batch; a wrong API key (exit 4, "credentials refused", the key in no output), a zone PowerDNS does not
# have (exit 4, "no zone"), a change PowerDNS refuses (its 422 reason), and a run killed with SIGKILL whose two
# records `cleanup --stale` removes, and only them.
. "$(dirname "$0")/lib.sh"

require_tools dig curl openssl ss pebble timeout jq pdns_server sqlite3
require_cli

SCHEMA=/usr/share/doc/pdns-backend-sqlite3/schema.sqlite3.sql
[ -s "$SCHEMA" ] || { not_ok "the gsqlite3 schema is at $SCHEMA (package pdns-backend-sqlite3)"; exit 1; }
free_port PDNS_DNS_PORT && free_port WPORT && free_port DEAD_PORT || exit 1
KEY=pdnsKey$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')
WRONG_KEY=wrongKey$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')
PAPI=http://127.0.0.1:$WPORT/api/v1/servers/localhost
NAME=_acme-challenge.example.test

# ---- PowerDNS: its own directory, the schema, the API on loopback ----
mkdir -p "$T/pdns"
sqlite3 "$T/pdns/pdns.sqlite3" <"$SCHEMA" || { not_ok "sqlite3 loads the gsqlite3 schema"; exit 1; }
cat >"$T/pdns/pdns.conf" <<EOF
launch=gsqlite3
gsqlite3-database=$T/pdns/pdns.sqlite3
local-address=127.0.0.1
local-port=$PDNS_DNS_PORT
api=yes
api-key=$KEY
webserver=yes
webserver-address=127.0.0.1
webserver-port=$WPORT
webserver-allow-from=127.0.0.1
security-poll-suffix=
socket-dir=$T/pdns
guardian=no
daemon=no
disable-syslog=yes
loglevel=4
EOF
echo "# starting pdns_server --config-dir=$T/pdns (log $T/pdns/pdns.log)"
pdns_server --config-dir="$T/pdns" >"$T/pdns/pdns.log" 2>&1 &
PDNS_PID=$!
track_pid "$PDNS_PID"

# papi METHOD PATH [JSON]: the PowerDNS API with the right key; sets HTTP_CODE and HTTP_BODY.
papi() {
	local out data=()
	[ $# -gt 2 ] && data=(-H 'Content-Type: application/json' --data-binary "$3")
	out=$(curl -s -m 10 -X "$1" -H "X-API-Key: $KEY" "${data[@]}" -w '\n%{http_code}' "$PAPI$2" 2>&1)
	HTTP_CODE=${out##*$'\n'}
	HTTP_BODY=${out%$'\n'*}
}
pdns_up() { pid_alive "$PDNS_PID" && papi GET "" && [ "$HTTP_CODE" = 200 ]; }
if ! wait_for 20 pdns_up; then
	not_ok "pdns_server answers its API within 20 s" "$(tail -20 "$T/pdns/pdns.log")"
	exit 1
fi
ok "pdns_server answers its API"

papi POST /zones '{"name": "example.test.", "kind": "Native", "nameservers": ["ns1.example.test."],
	"rrsets": [{"name": "ns1.example.test.", "type": "A", "ttl": 300,
		"records": [{"content": "127.0.0.1", "disabled": false}]}]}'
check "the zone example.test is created through the API" 201 "$HTTP_CODE" "$HTTP_BODY"
papi PATCH /zones/example.test. '{"rrsets": [{"name": "'$NAME'.", "type": "TXT", "ttl": 120,
	"changetype": "REPLACE", "records": [{"content": "\"someone-elses-value\"", "disabled": false},
	{"content": "\"someone-elses-disabled-value\"", "disabled": true}]}]}'
check "a TXT RRset of someone else's is put at $NAME (one value, one disabled record)" 204 "$HTTP_CODE" "$HTTP_BODY"

# txt_records: the TXT records at $NAME as PowerDNS holds them, "content/disabled", sorted, one line.
txt_records() {
	papi GET /zones/example.test.
	printf '%s' "$HTTP_BODY" | jq -r --arg n "$NAME." \
		'[.rrsets[] | select(.name == $n and .type == "TXT") | .records[] | "\(.content)/\(.disabled)"] | sort | join(" ")'
}
txt_ttl() {
	papi GET /zones/example.test.
	printf '%s' "$HTTP_BODY" | jq -r --arg n "$NAME." '.rrsets[] | select(.name == $n and .type == "TXT") | .ttl'
}
pdig() { dig @127.0.0.1 -p "$PDNS_DNS_PORT" +time=2 +tries=1 +norec "$@" 2>&1; }
BEFORE='"someone-elses-disabled-value"/true "someone-elses-value"/false'
check "the RRset before any run" "$BEFORE" "$(txt_records)"

start_pebble dnsserver="127.0.0.1:$PDNS_DNS_PORT" || exit 1
pebble_root "$T/root.pem" || { not_ok "pebble's root is served on /roots/0"; exit 1; }

# cli_pdns_args STATE_DIR: the flags of a run against pebble and PowerDNS (the key is given per run).
cli_pdns_args() {
	CLI_ARGS=(--state-dir "$1" --server "$PEBBLE_DIR" --ca-file "$PEBBLE_CA" --email admin@example.test
		--dns-resolvers "127.0.0.1:$PDNS_DNS_PORT" --authoritative-port "$PDNS_DNS_PORT"
		--propagation-interval 1 --propagation-timeout 30 --timeout 60 --log-level debug
		--solver pdns --pdns-api-url "http://127.0.0.1:$WPORT")
}
sans_of() { openssl x509 -in "$1" -noout -ext subjectAltName 2>/dev/null | tail -n +2 | tr -d ' ' | tr ',' '\n' | sort | tr '\n' ' '; }

# ---- 1. wildcard + base ----
cli_pdns_args "$T/state"
run_cli issue issue -d example.test -d '*.example.test' --accept-tos --pdns-api-key "$KEY"
check_rc "issue --solver pdns -d example.test -d '*.example.test': exit 0" 0
D=$T/state/certificates/example.test
out=$(openssl verify -CAfile "$T/root.pem" -untrusted "$D/chain.pem" "$D/cert.pem" 2>&1) && rc=0 || rc=$?
check "  the certificate verifies against pebble's root" 0 "$rc" "$out"
check "  its names are the wildcard and the base" "DNS:*.example.test DNS:example.test " "$(sans_of "$D/cert.pem")"
check "  PowerDNS holds someone else's value and disabled record, as they were" "$BEFORE" "$(txt_records)"
check "  the RRset keeps its TTL (120)" 120 "$(txt_ttl)"
check "  dig sees only someone else's value" '"someone-elses-value"' "$(pdig +short TXT "$NAME")"
check "  one PATCH to present the batch, one to clean it up" 2 "$(grep -c 'http: PATCH .*/zones/example.test.: 204' "$ERR_FILE")" \
	"$(grep 'http: ' "$ERR_FILE" | tail -20)"
check_match "  the log says both values were merged into one RRset" 'zone example\.test\.: merged our values into 1 TXT RRset' \
	"$(cat "$ERR_FILE")"
check "  the journal is empty" 0 "$(ls "$T/state/journal" 2>/dev/null | grep -c '\.json$')"
papi GET /zones/example.test.
check "  the zone's other records are untouched (ns1 A)" 127.0.0.1 \
	"$(printf '%s' "$HTTP_BODY" | jq -r '.rrsets[] | select(.name == "ns1.example.test." and .type == "A") | .records[].content')"

# ---- 2. a wrong key: exit 4, a clear message, no key anywhere ----
cli_pdns_args "$T/state-wrong"
run_cli wrong-key issue -d example.test --accept-tos --pdns-api-key "$WRONG_KEY"
check_rc "issue with a wrong API key: exit 4 (DNS)" 4
check_match "  the message says the credentials were refused" 'credentials refused by PowerDNS \(X-API-Key\)' "$OUT$ERR"
check "  the key appears in no output" "" "$(grep -lF -e "$WRONG_KEY" "$OUT_FILE" "$ERR_FILE")"
check "  PowerDNS is unchanged" "$BEFORE" "$(txt_records)"

# ---- 3. a zone PowerDNS does not have ----
# Without the checker (--skip-propagation) the adapter looks for the zone itself, up from the name.
cli_pdns_args "$T/state-nozone"
run_cli no-zone issue -d www.nozone.test --accept-tos --skip-propagation --pdns-api-key "$KEY"
check_rc "issue for a name in no zone of PowerDNS: exit 4 (DNS)" 4
check_match "  the error says there is no zone for the name" 'no zone for _acme-challenge\.www\.nozone\.test\. at PowerDNS' \
	"$OUT$ERR"

# ---- 4. PowerDNS refuses the change (422): its reason is the error ----
papi PATCH /zones/example.test. '{"rrsets": [{"name": "_acme-challenge.cname.example.test.", "type": "CNAME",
	"ttl": 120, "changetype": "REPLACE", "records": [{"content": "elsewhere.example.test.", "disabled": false}]}]}'
check "a CNAME is put at _acme-challenge.cname.example.test" 204 "$HTTP_CODE" "$HTTP_BODY"
run_cli conflict issue -d cname.example.test --accept-tos --skip-propagation --pdns-api-key "$KEY"
check_rc "issue where a TXT cannot go (the name is a CNAME; unchecked with --skip-propagation): exit 4" 4
check_match "  the error is PowerDNS's (422)" 'PATCH zone example\.test\.: PowerDNS refused it: .*(onflict|CNAME)' "$OUT$ERR"

# ---- 5. killed with SIGKILL: the journal lists both records, cleanup --stale removes exactly them ----
cli_pdns_args "$T/state-kill"
cli_args_set --authoritative-port "$DEAD_PORT"
cli_args_set --propagation-timeout 120
"$ACME_CLI" issue "${CLI_ARGS[@]}" --pdns-api-key "$KEY" -d example.test -d '*.example.test' --accept-tos \
	>"$T/kill.out" 2>"$T/kill.err" </dev/null &
CLI_PID=$!
track_pid "$CLI_PID"
ours_up() { [ "$(txt_records | tr ' ' '\n' | grep -c '/false$')" -eq 3 ]; }
if wait_for 30 ours_up; then ok "SIGKILL run: both values are merged in while it waits"; else
	not_ok "SIGKILL run: both values are merged in while it waits" "$(txt_records)" "$(tail -20 "$T/kill.err")"
fi
kill -KILL "$CLI_PID"
wait "$CLI_PID" 2>/dev/null
untrack_pid "$CLI_PID"
check "  after SIGKILL PowerDNS holds 3 values and the disabled record" "4 3" \
	"$(txt_records | wc -w) $(txt_records | tr ' ' '\n' | grep -c '/false$')"
check "  the journal lists 2 records" 2 "$(ls "$T/state-kill/journal" 2>/dev/null | grep -c '\.json$')"
check "  they are the pdns solver's, at $NAME" "pdns $NAME pdns $NAME" \
	"$(cat "$T/state-kill/journal"/*.json 2>/dev/null | jq -r '"\(.solver) \(.target)"' | tr '\n' ' ' | sed 's/ $//')"
cli_pdns_args "$T/state-kill"
# PowerDNS answers 404 for the zones of a server id it does not have, as for a zone it does not have: that must
# not pass for "nothing left to remove".
run_cli stale-wrong-id cleanup --stale --pdns-api-key "$KEY" --pdns-server-id nosuchserver
check_rc "cleanup --stale with a server id PowerDNS does not have: exit 4" 4
check_match "  the error says so" 'has no server id nosuchserver' "$ERR"
check "  both records stay in the journal and in PowerDNS" "2 3" \
	"$(ls "$T/state-kill/journal" 2>/dev/null | grep -c '\.json$') $(txt_records | tr ' ' '\n' | grep -c '/false$')"
PDNS_API_KEY=$KEY run_cli stale cleanup --stale --json
check_rc "cleanup --stale --solver pdns (key from PDNS_API_KEY): exit 0" 0
check "  it removed the two records" "removed removed" \
	"$(printf '%s' "$OUT" | jq -r '[.records[].state] | join(" ")' 2>/dev/null)" "$OUT"
check "  PowerDNS holds someone else's value and disabled record again, nothing else" "$BEFORE" "$(txt_records)"
check "  the journal is empty" 0 "$(ls "$T/state-kill/journal" 2>/dev/null | grep -c '\.json$')"

# ---- the key never left the program ----
check "no output or state file of any run holds the API key" "" \
	"$(grep -rlF -e "$KEY" "$T"/cli.*.out "$T"/cli.*.err "$T/kill.out" "$T/kill.err" "$T"/state* 2>/dev/null)"
check_cli_sanitizers
check "no sanitizer report in the killed run's output" "" "$(sanitizer_report "$T/kill.err")"
stop_pebble
kill_pid "$PDNS_PID" TERM 10
check "pdns_server stops on SIGTERM" 0 "$KILL_FORCED"
finish
