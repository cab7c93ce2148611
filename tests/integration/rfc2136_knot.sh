#!/usr/bin/env bash
# acme-dns-cli --solver rfc2136 against Knot DNS on loopback: knotd serves example.test and takes TXT updates signed
# with any of four TSIG keys (hmac-sha512, -sha384, -sha224, -sha1); pebble validates against it. The wildcard +
# base order is configured with lego's RFC2136_* variables alone and ends clean beside someone else's value; the
# other algorithms each sign one order; a wrong secret is named BADSIG.
. "$(dirname "$0")/lib.sh"

require_tools knotd kdig knsupdate openssl ss pebble timeout jq
require_cli

free_port KNOT_PORT || exit 1
K=$T/knot
mkdir -p "$K/run" "$K/db" "$K/zones"
declare -A SECRETS
for alg in sha512 sha384 sha224 sha1; do
	SECRETS[$alg]=$(openssl rand -base64 32)
done
cat >"$K/knot.conf" <<EOF
server:
    rundir: "$K/run"
    listen: 127.0.0.1@$KNOT_PORT
log:
  - target: stderr
    any: info
database:
    storage: "$K/db"
key:
  - id: acme-sha512
    algorithm: hmac-sha512
    secret: ${SECRETS[sha512]}
  - id: acme-sha384
    algorithm: hmac-sha384
    secret: ${SECRETS[sha384]}
  - id: acme-sha224
    algorithm: hmac-sha224
    secret: ${SECRETS[sha224]}
  - id: acme-sha1
    algorithm: hmac-sha1
    secret: ${SECRETS[sha1]}
acl:
  - id: acme-update
    key: [acme-sha512, acme-sha384, acme-sha224, acme-sha1]
    action: update
    update-type: [TXT]
template:
  - id: default
    storage: "$K/zones"
    file: "%s.zone"
    zonefile-sync: -1
    journal-content: changes
zone:
  - domain: example.test
    acl: acme-update
EOF
cat >"$K/zones/example.test.zone" <<'EOF'
$ORIGIN example.test.
$TTL 300
@ IN SOA ns1.example.test. hostmaster.example.test. 1 3600 600 604800 60
  IN NS ns1.example.test.
ns1 IN A 127.0.0.1
EOF
kq() { kdig @127.0.0.1 -p "$KNOT_PORT" +time=2 +retry=0 +norec "$@" 2>&1; }
knot_up() { kq SOA example.test | grep -q 'status: NOERROR'; }
echo "# starting knotd -c $K/knot.conf (port $KNOT_PORT)"
knotd -c "$K/knot.conf" >"$K/knotd.log" 2>&1 &
KNOT_PID=$!
track_pid "$KNOT_PID"
if ! wait_for 20 knot_up; then
	not_ok "knotd serves example.test within 20 s" "$(tail -20 "$K/knotd.log")"
	exit 1
fi
ok "knotd serves example.test on 127.0.0.1:$KNOT_PORT"

txt_at() { kq +short TXT "$1" | tr -d '"' | sort | tr '\n' ' ' | sed 's/ $//'; }
printf 'server 127.0.0.1 %s\nzone example.test.\nupdate add _acme-challenge.example.test. 300 TXT "not-ours-keep-me"\nsend\n' \
	"$KNOT_PORT" | knsupdate -t 5 -y "hmac-sha512:acme-sha512:${SECRETS[sha512]}"
check "knsupdate put an unrelated TXT value at _acme-challenge.example.test" "not-ours-keep-me" \
	"$(txt_at _acme-challenge.example.test)"

start_pebble dnsserver="127.0.0.1:$KNOT_PORT" || exit 1
pebble_root "$T/root.pem" || { not_ok "pebble's root is served on /roots/0"; exit 1; }
STATE=$T/state
CLI_ARGS=(--state-dir "$STATE" --server "$PEBBLE_DIR" --ca-file "$PEBBLE_CA" --email admin@example.test
	--solver rfc2136 --dns-resolvers "127.0.0.1:$KNOT_PORT" --authoritative-port "$KNOT_PORT"
	--propagation-interval 1 --propagation-timeout 30 --timeout 60 --log-level debug)
sans_of() { openssl x509 -in "$1" -noout -ext subjectAltName 2>/dev/null | tail -n +2 | tr -d ' ' | tr ',' '\n' | sort | tr '\n' ' '; }
journal_count() { ls "$STATE/journal" 2>/dev/null | grep -c '\.json$'; }

# ---- 1. wildcard + base, configured with lego's variables only ----
export RFC2136_NAMESERVER=127.0.0.1:$KNOT_PORT RFC2136_TSIG_KEY=acme-sha512 RFC2136_TSIG_SECRET=${SECRETS[sha512]} \
	RFC2136_TSIG_ALGORITHM=hmac-sha512.
start=$(date +%s%N)
run_cli issue issue -d example.test -d '*.example.test' --accept-tos
ms=$((($(date +%s%N) - start) / 1000000))
unset RFC2136_NAMESERVER RFC2136_TSIG_KEY RFC2136_TSIG_SECRET RFC2136_TSIG_ALGORITHM
check_rc "issue -d example.test -d '*.example.test' through Knot with RFC2136_* (hmac-sha512): exit 0" 0
echo "# issue through Knot took $ms ms"
d=$STATE/certificates/example.test
out=$(openssl verify -CAfile "$T/root.pem" -untrusted "$d/chain.pem" "$d/cert.pem" 2>&1) && rc=0 || rc=$?
check "  the certificate verifies against pebble's root" 0 "$rc" "$out"
check "  it names both" "DNS:*.example.test DNS:example.test " "$(sans_of "$d/cert.pem")"
check_match "  both values went in one UPDATE signed with acme-sha512" \
	'added 2 TXT records at _acme-challenge\.example\.test in zone example\.test at 127\.0\.0\.1:[0-9]+, key acme-sha512' \
	"$(cat "$ERR_FILE")"
check_match "  and were deleted in one" 'deleted 2 TXT records at _acme-challenge\.example\.test' "$(cat "$ERR_FILE")"
check "  the zone ends clean: only the unrelated value is left" "not-ours-keep-me" "$(txt_at _acme-challenge.example.test)"
check "  the journal is empty" 0 "$(journal_count)"

# ---- 2. the other algorithms, each on its own order ----
for alg in sha384 sha224 sha1; do
	run_cli "$alg" issue -d "$alg.example.test" --accept-tos --rfc2136-nameserver "127.0.0.1:$KNOT_PORT" \
		--rfc2136-tsig-key "acme-$alg" --rfc2136-tsig-secret "${SECRETS[$alg]}" --rfc2136-tsig-algorithm "hmac-$alg"
	check_rc "issue -d $alg.example.test with an hmac-$alg key: exit 0" 0
	check "  and it is gone again" "" "$(txt_at "_acme-challenge.$alg.example.test")"
done

# ---- 3. a wrong secret ----
# The error cases order err.example.test, a name no order has authorized: pebble 2.4 was seen handing back
# example.test's valid authorization (PEBBLE_AUTHZREUSE=0 notwithstanding), and a reused one needs no UPDATE.
run_cli badsig issue -d err.example.test --cert-name err --accept-tos --rfc2136-nameserver "127.0.0.1:$KNOT_PORT" \
	--rfc2136-tsig-key acme-sha512 --rfc2136-tsig-secret "${SECRETS[sha384]}" --rfc2136-tsig-algorithm hmac-sha512
check_rc "a wrong secret: exit 4" 4
check_match "  Knot's BADSIG is named" 'BADSIG: the server rejected the signature: wrong secret for key acme-sha512' "$ERR"
check "  nothing is left in the zone or the journal" "not-ours-keep-me 0" \
	"$(txt_at _acme-challenge.example.test) $(journal_count)"

leaks=""
for alg in "${!SECRETS[@]}"; do
	leaks="$leaks$(grep -lF -- "${SECRETS[$alg]}" "$T"/cli.*.out "$T"/cli.*.err 2>/dev/null)"
done
check "no TSIG secret appears in any output or log of the client" "" "$leaks"

check_cli_sanitizers
stop_pebble
kill_pid "$KNOT_PID" TERM 10
check "knotd stops on SIGTERM" 0 "$KILL_FORCED"
finish
