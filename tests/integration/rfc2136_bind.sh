#!/usr/bin/env bash
# acme-dns-cli --solver rfc2136 against BIND 9 on loopback: pebble validates against named, which takes the
# challenge records by RFC 2136 UPDATE signed with an hmac-sha256 TSIG key (update-policy zonesub TXT). A wildcard
# and its base are presented in one UPDATE, next to a TXT value of someone else that must survive; a CNAME from
# _acme-challenge into a second zone is followed; a wrong secret, an unknown key, a wrong algorithm, a skewed
# clock, a name in no zone of the server and a server that never answers each give exit 4 and a message that
# names the cause; a run killed with SIGKILL leaves records that `cleanup --stale` removes.
. "$(dirname "$0")/lib.sh"

require_tools named tsig-keygen nsupdate dig openssl ss pebble timeout jq faketime perl
require_cli
CLI_RELEASE=$ADNS_BUILD/acme-dns-cli
if [ ! -x "$CLI_RELEASE" ]; then
	not_ok "the release build of acme-dns-cli exists (for faketime)" "not found: $CLI_RELEASE"
	exit 1
fi

# ---- BIND: example.test and chal.example.net, both updatable with acme-key (TXT only) ----
free_port BIND_PORT || exit 1
B=$T/bind
mkdir -p "$B"
tsig-keygen -a hmac-sha256 acme-key >"$B/acme.key"
chmod 600 "$B/acme.key"
SECRET=$(sed -n 's/.*secret "\(.*\)";.*/\1/p' "$B/acme.key")
zonefile() { # zonefile ORIGIN EXTRA...
	local origin=$1
	shift
	printf '$ORIGIN %s.\n$TTL 300\n@ IN SOA ns1.example.test. hostmaster.example.test. 1 3600 600 604800 60\n' "$origin"
	printf '  IN NS ns1.example.test.\n'
	printf '%s\n' "$@"
}
zonefile example.test 'ns1 IN A 127.0.0.1' \
	'_acme-challenge.delegated IN CNAME _acme-challenge.chal.example.net.' >"$B/example.test.zone"
zonefile chal.example.net >"$B/chal.example.net.zone"
cat >"$B/named.conf" <<EOF
options {
	directory "$B";
	pid-file "$B/named.pid";
	session-keyfile "$B/session.key";
	listen-on port $BIND_PORT { 127.0.0.1; };
	listen-on-v6 { none; };
	recursion no;
	notify no;
	allow-transfer { none; };
	dnssec-validation no;
};
controls { };
include "$B/acme.key";
zone "example.test" { type primary; file "$B/example.test.zone"; update-policy { grant acme-key zonesub TXT; }; };
zone "chal.example.net" { type primary; file "$B/chal.example.net.zone"; update-policy { grant acme-key zonesub TXT; }; };
EOF
bdig() { dig @127.0.0.1 -p "$BIND_PORT" +time=2 +tries=1 +norec "$@" 2>&1; }
bind_up() { bdig SOA example.test | grep -q 'status: NOERROR'; }
echo "# starting named -g -c $B/named.conf (port $BIND_PORT)"
named -g -n 1 -c "$B/named.conf" >"$B/named.log" 2>&1 &
BIND_PID=$!
track_pid "$BIND_PID"
if ! wait_for 20 bind_up; then
	not_ok "named serves example.test within 20 s" "$(tail -20 "$B/named.log")"
	exit 1
fi
ok "named serves example.test and chal.example.net on 127.0.0.1:$BIND_PORT"

# pebble's validator needs a resolver that follows the CNAME into chal.example.net, which the authoritative named
# does not do across zones: a second named forwards everything to the first (forward only, no cache, root hints
# on loopback, so nothing leaves the machine).
free_port RES_PORT || exit 1
R=$T/resolver
mkdir -p "$R"
printf '. 3600 IN NS localhost.\nlocalhost. 3600 IN A 127.0.0.1\n' >"$R/hints"
cat >"$R/named.conf" <<EOF
options {
	directory "$R";
	pid-file "$R/named.pid";
	session-keyfile "$R/session.key";
	listen-on port $RES_PORT { 127.0.0.1; };
	listen-on-v6 { none; };
	recursion yes;
	allow-recursion { 127.0.0.1; };
	forward only;
	forwarders { 127.0.0.1 port $BIND_PORT; };
	dnssec-validation no;
	max-cache-ttl 0;
	max-ncache-ttl 0;
};
controls { };
zone "." { type hint; file "$R/hints"; };
EOF
res_up() { dig @127.0.0.1 -p "$RES_PORT" +time=2 +tries=1 SOA example.test 2>&1 | grep -q 'status: NOERROR'; }
named -g -n 1 -c "$R/named.conf" >"$R/named.log" 2>&1 &
RES_PID=$!
track_pid "$RES_PID"
if ! wait_for 20 res_up; then
	not_ok "the forwarding named answers within 20 s" "$(tail -20 "$R/named.log")"
	exit 1
fi

# Someone else's value at the same name: an RRset replace would lose it.
printf 'server 127.0.0.1 %s\nzone example.test.\nupdate add _acme-challenge.example.test. 300 IN TXT "not-ours-keep-me"\nsend\n' \
	"$BIND_PORT" | nsupdate -t 5 -k "$B/acme.key"
txt_at() { bdig +short TXT "$1" | tr -d '"' | sort | tr '\n' ' ' | sed 's/ $//'; }
check "nsupdate put an unrelated TXT value at _acme-challenge.example.test" "not-ours-keep-me" \
	"$(txt_at _acme-challenge.example.test)"

# The pebble TLS certificate is made a day in the past, so that the client run under faketime -2h trusts it.
openssl() { faketime -f -1d openssl "$@"; }
pebble_tls_ca || exit 1
unset -f openssl
start_pebble dnsserver="127.0.0.1:$RES_PORT" || exit 1
pebble_root "$T/root.pem" || { not_ok "pebble's root is served on /roots/0"; exit 1; }

STATE=$T/state
CLI_ARGS=(--state-dir "$STATE" --server "$PEBBLE_DIR" --ca-file "$PEBBLE_CA" --email admin@example.test
	--solver rfc2136 --rfc2136-nameserver "127.0.0.1:$BIND_PORT" --dns-resolvers "127.0.0.1:$BIND_PORT"
	--authoritative-port "$BIND_PORT" --propagation-interval 1 --propagation-timeout 30 --timeout 60
	--log-level debug)
sans_of() { openssl x509 -in "$1" -noout -ext subjectAltName 2>/dev/null | tail -n +2 | tr -d ' ' | tr ',' '\n' | sort | tr '\n' ' '; }
journal_count() { ls "$STATE/journal" 2>/dev/null | grep -c '\.json$'; }

# ---- 1. wildcard + base through BIND ----
start=$(date +%s%N)
run_cli issue issue -d example.test -d '*.example.test' --accept-tos --json --rfc2136-tsig-file "$B/acme.key"
ms=$((($(date +%s%N) - start) / 1000000))
check_rc "issue -d example.test -d '*.example.test' --solver rfc2136 through BIND: exit 0" 0
echo "# issue through BIND took $ms ms"
d=$STATE/certificates/example.test
out=$(openssl verify -CAfile "$T/root.pem" -untrusted "$d/chain.pem" "$d/cert.pem" 2>&1) && rc=0 || rc=$?
check "  the certificate verifies against pebble's root" 0 "$rc" "$out"
check "  it names both" "DNS:*.example.test DNS:example.test " "$(sans_of "$d/cert.pem")"
check_match "  both values went in one UPDATE (one zone, one message)" \
	'added 2 TXT records at _acme-challenge\.example\.test in zone example\.test at 127\.0\.0\.1:[0-9]+, key acme-key' \
	"$(cat "$ERR_FILE")"
check_match "  and were deleted in one" 'deleted 2 TXT records at _acme-challenge\.example\.test in zone example\.test' \
	"$(cat "$ERR_FILE")"
check_match "  BIND logged the two additions, each a single RR" \
	"adding an RR at '_acme-challenge.example.test' TXT.*"$'\n'".*adding an RR at '_acme-challenge.example.test' TXT" \
	"$(grep "updating zone 'example.test/IN'" "$B/named.log")"
check "  the zone ends clean: only the unrelated value is left" "not-ours-keep-me" "$(txt_at _acme-challenge.example.test)"
check "  the journal is empty" 0 "$(journal_count)"

# ---- 2. a CNAME into another zone: the records go where it points ----
run_cli cname issue -d delegated.example.test -d '*.delegated.example.test' --cert-name delegated --accept-tos \
	--rfc2136-tsig-file "$B/acme.key"
check_rc "issue through _acme-challenge.delegated.example.test CNAME _acme-challenge.chal.example.net: exit 0" 0
check "  the certificate names both" "DNS:*.delegated.example.test DNS:delegated.example.test " \
	"$(sans_of "$STATE/certificates/delegated/cert.pem")"
check_match "  the TXT records were written into zone chal.example.net" \
	'added 2 TXT records at _acme-challenge\.chal\.example\.net in zone chal\.example\.net' "$(cat "$ERR_FILE")"
check_match "  BIND saw them in chal.example.net" "updating zone 'chal.example.net/IN': adding an RR at '_acme-challenge.chal.example.net' TXT" \
	"$(cat "$B/named.log")"
check "  and they are gone again" "" "$(txt_at _acme-challenge.chal.example.net)"
check "  the CNAME is untouched" "_acme-challenge.chal.example.net." "$(bdig +short CNAME _acme-challenge.delegated.example.test)"

# ---- 3. errors: exit 4, the cause named ----
tsig-keygen -a hmac-sha256 acme-key >"$B/wrong-secret.key"
tsig-keygen -a hmac-sha256 nobody-key >"$B/unknown.key"
chmod 600 "$B/wrong-secret.key" "$B/unknown.key"
# The error cases order err.example.test, a name no order has authorized: pebble 2.4 was seen handing back
# example.test's valid authorization (PEBBLE_AUTHZREUSE=0 notwithstanding), and a reused one needs no UPDATE.
run_cli badsig issue -d err.example.test --cert-name err --accept-tos --rfc2136-tsig-file "$B/wrong-secret.key"
check_rc "a wrong secret: exit 4" 4
check_match "  BADSIG, wrong secret for key acme-key" 'NOTAUTH/BADSIG: the server rejected the signature: wrong secret for key acme-key' "$ERR"
run_cli badkey issue -d err.example.test --cert-name err --accept-tos --rfc2136-tsig-file "$B/unknown.key"
check_rc "an unknown key name: exit 4" 4
check_match "  BADKEY, names the key" 'BADKEY: the server does not know key nobody-key \(or not with algorithm hmac-sha256\)' "$ERR"
# lego's variables, the secret kept out of the command line
export RFC2136_TSIG_KEY=acme-key RFC2136_TSIG_SECRET=$SECRET RFC2136_TSIG_ALGORITHM=HMAC-SHA512.
run_cli badalg issue -d err.example.test --cert-name err --accept-tos
unset RFC2136_TSIG_KEY RFC2136_TSIG_SECRET RFC2136_TSIG_ALGORITHM
check_rc "the right key with the wrong algorithm (RFC2136_TSIG_ALGORITHM=HMAC-SHA512.): exit 4" 4
check_match "  BADKEY, names the algorithm" 'BADKEY: the server does not know key acme-key \(or not with algorithm hmac-sha512\)' "$ERR"

# A clock two hours behind: the release build (faketime does not mix with the sanitizer runtime).
ACME_CLI_SAVED=$ACME_CLI
ACME_CLI=$T/cli-2h
printf '#!/bin/sh\nexec faketime -f -2h "%s" "$@"\n' "$CLI_RELEASE" >"$ACME_CLI"
chmod +x "$ACME_CLI"
faked=$(faketime -f -2h date +%s)
real=$(date +%s)
if [ $((real - faked)) -ge 7100 ]; then ok "faketime -f -2h moves the clock back two hours"; else
	not_ok "faketime -f -2h moves the clock back two hours" "real $real, faked $faked"
fi
run_cli badtime issue -d err.example.test --cert-name err --accept-tos --rfc2136-tsig-file "$B/acme.key"
ACME_CLI=$ACME_CLI_SAVED
check_rc "a clock 2 h behind (faketime): exit 4" 4
check_match "  BADTIME with both times and the skew in seconds" \
	'BADTIME: the clocks differ: server time [0-9T:-]+Z, our time [0-9T:-]+Z, a skew of (719[0-9]|720[0-9]) s' "$ERR"

run_cli notzone issue -d other.test --cert-name err --accept-tos --skip-propagation --rfc2136-tsig-file "$B/acme.key"
check_rc "a name in no zone of the server (--skip-propagation: the solver looks for the zone): exit 4" 4
check_match "  it says so" '_acme-challenge\.other\.test is not in a zone 127\.0\.0\.1:[0-9]+ serves' "$ERR"

# A zone the resolvers know (acme-dnsd serves other.test) but BIND does not: BIND answers the UPDATE NOTAUTH.
if [ -x "$ADNSD" ]; then
	free_port DNS_PORT && free_port API_PORT || exit 1
	write_config "$T/acme-dnsd.yaml" zone=other.test ns_name=ns1.other.test listen6=no log_level=info \
		ns_addresses='[127.0.0.1]'
	start_acmednsd "$T/acme-dnsd.yaml" || exit 1
	cli_args_set --dns-resolvers "127.0.0.1:$DNS_PORT"
	run_cli notauth issue -d other.test --cert-name err --accept-tos --rfc2136-tsig-file "$B/acme.key"
	cli_args_set --dns-resolvers "127.0.0.1:$BIND_PORT"
	check_rc "an UPDATE for a zone BIND does not serve: exit 4" 4
	check_match "  NOTAUTH, named as such" \
		'NOTAUTH: _acme-challenge\.other\.test is not in a zone 127\.0\.0\.1:[0-9]+ serves \(zone other\.test not found there\)' "$ERR"
	stop_acmednsd
else
	not_ok "the sanitizer build of acme-dnsd exists (the NOTAUTH case needs a second server)" "not found: $ADNSD"
fi

# A server that takes the datagrams and never answers.
free_port SILENT_PORT || exit 1
perl -MIO::Socket::INET -e '$s = IO::Socket::INET->new(LocalAddr => "127.0.0.1", LocalPort => $ARGV[0], Proto => "udp") or die "bind: $!"; sleep 120' "$SILENT_PORT" &
SILENT_PID=$!
track_pid "$SILENT_PID"
silent_up() { [ -n "$(ss -Hanu "sport = :$SILENT_PORT")" ]; }
wait_for 5 silent_up
start=$(date +%s)
cli_args_set --rfc2136-nameserver "127.0.0.1:$SILENT_PORT"
run_cli timeout issue -d err.example.test --cert-name err --accept-tos --rfc2136-tsig-file "$B/acme.key" --rfc2136-timeout 2
cli_args_set --rfc2136-nameserver "127.0.0.1:$BIND_PORT"
took=$(($(date +%s) - start))
check_rc "a server that never answers: exit 4" 4
check_match "  timeout, after the 2000 ms asked" "no answer from 127\.0\.0\.1:$SILENT_PORT over UDP within 2000 ms \(timeout\)" "$ERR"
check "  within 15 s (the add and the delete time out)" yes "$([ "$took" -le 15 ] && echo yes || echo no)" "$took s"
kill_pid "$SILENT_PID" TERM 2
check "after the failed runs the zone holds only the unrelated value" "not-ours-keep-me" "$(txt_at _acme-challenge.example.test)"
# A refused update changed nothing, so those runs struck their records off; a timed-out one may have been
# applied, so its record stays listed until a clean-up reaches the server.
check "  the journal lists only the record whose update timed out" 1 "$(journal_count)" "$(cat "$STATE/journal"/*.json 2>&1)"
run_cli stale-timeout cleanup --stale --rfc2136-tsig-file "$B/acme.key"
check_rc "  cleanup --stale through BIND removes it: exit 0" 0
check_match "  it says where the record had been sent" "was written to 127\.0\.0\.1:$SILENT_PORT; removing it through 127\.0\.0\.1:$BIND_PORT" "$ERR"
check "  the journal is empty" 0 "$(journal_count)"

# ---- 4. a run killed with SIGKILL; cleanup --stale removes what it left ----
free_port DEAD_PORT || exit 1
cli_args_set --authoritative-port "$DEAD_PORT"
cli_args_set --propagation-timeout 120
"$ACME_CLI" issue "${CLI_ARGS[@]}" --rfc2136-tsig-file "$B/acme.key" -d example.test -d '*.example.test' \
	--cert-name killed --accept-tos >"$T/kill.out" 2>"$T/kill.err" &
CLI_PID=$!
cli_args_set --authoritative-port "$BIND_PORT"
cli_args_set --propagation-timeout 30
track_pid "$CLI_PID"
values_up() { [ "$(bdig +short TXT _acme-challenge.example.test | wc -l)" -eq 3 ]; }
if wait_for 30 values_up; then ok "SIGKILL run: both values are in BIND while it waits"; else
	not_ok "SIGKILL run: both values are in BIND while it waits" "$(bdig TXT _acme-challenge.example.test)" "$(tail -20 "$T/kill.err")"
fi
kill_pid "$CLI_PID" KILL 2
check "  after SIGKILL the three values are still there" 3 "$(bdig +short TXT _acme-challenge.example.test | wc -l)"
check "  the journal lists the two it made" 2 "$(journal_count)" "$(cat "$STATE/journal"/*.json 2>&1)"
check "  no sanitizer report" "" "$(sanitizer_report "$T/kill.err")"
run_cli stale cleanup --stale --json --rfc2136-tsig-file "$B/acme.key"
check_rc "cleanup --stale --solver rfc2136: exit 0" 0
check "  it removed both" "removed removed" "$(printf '%s' "$OUT" | jq -r '[.records[].state] | join(" ")' 2>/dev/null)" "$OUT"
check "  BIND holds only the unrelated value" "not-ours-keep-me" "$(txt_at _acme-challenge.example.test)"
check "  the journal is empty" 0 "$(journal_count)"

# ---- the secret never shows ----
leaks=$(grep -lF -- "$SECRET" "$T"/cli.*.out "$T"/cli.*.err "$T/kill.out" "$T/kill.err" 2>/dev/null)
check "the TSIG secret appears in no output or log of the client" "" "$leaks"

check_cli_sanitizers
stop_pebble
kill_pid "$RES_PID" TERM 10
kill_pid "$BIND_PID" TERM 10
check "named stops on SIGTERM" 0 "$KILL_FORCED"
finish
