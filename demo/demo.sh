#!/usr/bin/env bash
# make demo: a whole DNS-01 issuance on loopback, nothing leaves the machine.
#   acme-dnsd  serves the zone example.test and the challenge apex auth.example.test (DNS + HTTP API)
#   pebble     the ACME test CA (Let's Encrypt's), validating dns-01 against acme-dnsd
#   acme-dns-cli registers an acme-dns account, then issues example.test + *.example.test
# Usage: demo/demo.sh [BUILD_DIR]   (BUILD_DIR holds the release builds acme-dnsd and acme-dns-cli; default build)
# Exits 0 when the certificate is issued and verifies against pebble's root. Stops everything it started.
set -u
BUILD=$(cd "${1:-build}" 2>/dev/null && pwd) || { echo "demo: no build directory ${1:-build}" >&2; exit 1; }
export ADNS_BUILD=$BUILD
export ADNSD=$BUILD/acme-dnsd
CLI=$BUILD/acme-dns-cli
. "$(dirname "$0")/../tests/integration/lib.sh"

if [ -t 1 ]; then B=$'\e[1m' G=$'\e[1;32m' R=$'\e[1;31m' C=$'\e[36m' N=$'\e[0m'; else B="" G="" R="" C="" N=""; fi
STEP=0
STEPS=7
step() { STEP=$((STEP + 1)); printf '\n%s==> [%d/%d] %s%s\n' "$B" "$STEP" "$STEPS" "$*" "$N"; }
say() { printf '    %s\n' "$@"; }
show_cmd() { printf '    %s$ %s%s\n' "$C" "$*" "$N"; }
indent() { sed 's/^/    | /'; }
fail() {
	printf '\n%sDEMO FAILED: %s%s\n' "$R" "$1" "$N"
	shift
	for f in "$@"; do
		[ -s "$f" ] || continue
		printf '    --- %s (last lines) ---\n' "$f"
		tail -n 20 "$f" | indent
	done
	exit 1
}

for p in "$ADNSD" "$CLI"; do
	[ -x "$p" ] || fail "$p is not built (make $p)"
done
for t in pebble openssl curl dig ss; do
	command -v "$t" >/dev/null || fail "$t is not installed (make deps)"
done

printf '%sacme-dns toolkit demo%s: a wildcard certificate over DNS-01, entirely on 127.0.0.1\n' "$B" "$N"
say "work directory: $T (removed at the end)"

# 1. acme-dnsd
step "Starting acme-dnsd: authoritative DNS for example.test and the challenge apex auth.example.test"
free_port DNS_PORT && free_port API_PORT || fail "no free port"
zone_init "$T/zones"
write_config "$T/acme-dnsd.yaml" zones_dir="$T/zones" log_level=info listen6=no ns_addresses="[127.0.0.1]"
ADNS_LOG=$T/acme-dnsd.log
start_acmednsd "$T/acme-dnsd.yaml" "$ADNS_LOG" >/dev/null || fail "acme-dnsd did not start" "$ADNS_LOG"
say "DNS      127.0.0.1:$DNS_PORT (UDP + TCP)" "HTTP API $API_URL" "pid      $ADNS_PID, log $ADNS_LOG"

# 2. pebble
step "Starting pebble, the ACME test CA (validates dns-01 by asking acme-dnsd)"
start_pebble >/dev/null || fail "pebble did not start" "$PEBBLE_LOG"
pebble_root "$T/pebble-root.pem" || fail "could not fetch pebble's root certificate" "$PEBBLE_LOG"
say "ACME directory $PEBBLE_DIR" "issuing root    $(openssl x509 -in "$T/pebble-root.pem" -noout -subject | sed 's/^subject=//')" \
	"pid            $PEBBLE_PID, log $PEBBLE_LOG"

COMMON=(--state-dir "$T/state" --acme-dns-api "$API_URL" --acme-dns-storage "$T/state/acmedns.json")
# 3. register
step "Registering an acme-dns account for example.test"
show_cmd "acme-dns-cli register -d example.test --acme-dns-api $API_URL"
timeout 60 "$CLI" register "${COMMON[@]}" -d example.test >"$T/register.out" 2>"$T/register.err" ||
	fail "acme-dns-cli register failed (exit $?)" "$T/register.out" "$T/register.err"
indent <"$T/register.out"
REC=$(cnames_in "$(cat "$T/register.out")")
[ -n "$REC" ] || fail "register printed no CNAME record" "$T/register.out"

# 4. the CNAME
step "Delegating the challenge name: adding the CNAME to the example.test zone"
say "the one record a domain owner adds, once:" "" "    ${B}$REC${N}" ""
zone_add "$REC"
say "zone file $T/zones/example.test.zone; reloading acme-dnsd (SIGHUP)"
zone_reload "${REC%% *}" "${REC##* }" || fail "acme-dnsd does not serve the CNAME" "$ADNS_LOG"
show_cmd "dig @127.0.0.1 -p $DNS_PORT +short CNAME ${REC%% *}"
qdig +short CNAME "${REC%% *}" | indent

# 5. issue
step "Issuing example.test + *.example.test from pebble"
ISSUE=(issue --server "$PEBBLE_DIR" --ca-file "$PEBBLE_CA" --accept-tos --email admin@example.test
	--dns-resolvers "127.0.0.1:$DNS_PORT" --authoritative-port "$DNS_PORT" --propagation-interval 1
	-d example.test -d '*.example.test')
show_cmd "acme-dns-cli issue -d example.test -d '*.example.test' --server $PEBBLE_DIR --ca-file pebble-ca.pem --dns-resolvers 127.0.0.1:$DNS_PORT --authoritative-port $DNS_PORT --accept-tos"
start=$(date +%s%N)
timeout 180 "$CLI" "${ISSUE[@]}" "${COMMON[@]}" >"$T/issue.log" 2>&1
rc=$?
took=$((($(date +%s%N) - start) / 1000000))
grep -v '^$' "$T/issue.log" | indent
[ "$rc" = 0 ] || fail "acme-dns-cli issue exited $rc" "$T/issue.log" "$PEBBLE_LOG" "$ADNS_LOG"
say "" "done in $((took / 1000)).$(printf '%03d' $((took % 1000))) s"
DIR=$T/state/certificates/example.test
[ -s "$DIR/cert.pem" ] || DIR=$(dirname "$(find "$T/state/certificates" -name cert.pem | head -1)")
[ -s "$DIR/cert.pem" ] || fail "no certificate in $T/state/certificates"
say "files in $DIR:"
(cd "$DIR" && ls -l) | indent

# 6. verify
step "Verifying the chain against pebble's root"
show_cmd "openssl verify -CAfile pebble-root.pem -untrusted chain.pem cert.pem"
out=$(openssl verify -CAfile "$T/pebble-root.pem" -untrusted "$DIR/chain.pem" "$DIR/cert.pem" 2>&1)
rc=$?
printf '%s\n' "$out" | indent
[ "$rc" = 0 ] || fail "the certificate does not verify"
show_cmd "openssl x509 -noout -subject -ext subjectAltName -dates -in cert.pem"
openssl x509 -in "$DIR/cert.pem" -noout -subject -ext subjectAltName -dates | indent
sans=$(openssl x509 -in "$DIR/cert.pem" -noout -ext subjectAltName | tail -n +2 | tr -d ' ' | tr ',' '\n' | sort | tr '\n' ' ')
[ "$sans" = "DNS:*.example.test DNS:example.test " ] || fail "unexpected names: $sans"

# 7. keep a copy, stop
step "Stopping pebble and acme-dnsd"
mkdir -p "$BUILD/demo"
rm -rf "$BUILD/demo/certificate"
cp -r "$DIR" "$BUILD/demo/certificate" && cp "$T/pebble-root.pem" "$BUILD/demo/certificate/pebble-root.pem"
kill_pid "$PEBBLE_PID" TERM 5
kill_pid "$ADNS_PID" TERM 10
say "stopped; a copy of the certificate is in $BUILD/demo/certificate/"
printf '\n%sDEMO OK%s: acme-dns-cli got a certificate for example.test and *.example.test through acme-dnsd.\n' "$G" "$N"
exit 0
