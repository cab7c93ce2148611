#!/usr/bin/env bash
# Differential test: acme-dnsd and Knot DNS serve the same zones (example.test with CNAME chains, wildcards, an
# empty non-terminal, a delegation with glue, a big RRset; the challenge apex auth.example.test with two registered
# subdomains and their TXT values, which Knot gets as plain records), and every query of a corpus (names x types,
# case variations, with and without EDNS, DO bit, UDP truncation, out-of-zone names) must get the same rcode,
# flags, EDNS and sections from both, record order aside.
. "$(dirname "$0")/lib.sh"

require_tools dig curl knotd
require_daemon

free_port DNS_PORT && free_port API_PORT && free_port KNOT_PORT || exit 1
ZONES=$T/zones
mkdir -p "$ZONES"
cp "$REPO/tests/unit/data/zones/example.test.zone" "$ZONES/"
cat >"$ZONES/auth.example.test.zone" <<'EOF'
$ORIGIN auth.example.test.
$TTL 3600
@    IN SOA ns1.auth.example.test. hostmaster.example.test. 7 3600 600 604800 60
     IN NS  ns1.auth.example.test.
ns1  IN A   127.0.0.1
ns1  IN AAAA ::1
EOF
write_config "$T/acme-dnsd.yaml" zones_dir="$ZONES" log_level=info
start_acmednsd "$T/acme-dnsd.yaml" || exit 1

# Two accounts with values: served by acme-dnsd from its store, by Knot from its zone file.
SUBS=()
VALS=()
for i in 1 2; do
	register || exit 1
	v1=$(new_txt) v2=$(new_txt)
	update "$REG_USER" "$REG_KEY" "$REG_SUB" "$v1" >/dev/null && update "$REG_USER" "$REG_KEY" "$REG_SUB" "$v2" >/dev/null ||
		{ not_ok "updates for account $i"; exit 1; }
	SUBS+=("$REG_SUB")
	VALS+=("$v1 $v2")
	printf '%s 1 IN TXT "%s"\n%s 1 IN TXT "%s"\n' "$REG_SUB" "$v1" "$REG_SUB" "$v2" >>"$T/knot-extra"
done

K=$T/knot
mkdir -p "$K"
cp "$ZONES/example.test.zone" "$K/"
cat "$ZONES/auth.example.test.zone" "$T/knot-extra" >"$K/auth.example.test.zone"
cat >"$K/knot.conf" <<EOF
server:
    rundir: "$K"
    user: $(id -un):$(id -gn)
    listen: 127.0.0.1@$KNOT_PORT
    udp-max-payload: 1232
database:
    storage: "$K"
log:
  - target: stderr
    any: warning
template:
  - id: default
    storage: "$K"
    journal-content: none
    zonefile-sync: -1
zone:
  - domain: example.test
    file: example.test.zone
  - domain: auth.example.test
    file: auth.example.test.zone
EOF
knotd -c "$K/knot.conf" >"$K/knot.log" 2>&1 &
KNOT_PID=$!
track_pid "$KNOT_PID"
_knot_up() { dig @127.0.0.1 -p "$KNOT_PORT" +time=1 +tries=1 +short SOA auth.example.test | grep -q .; }
if ! wait_for 20 _knot_up; then
	not_ok "Knot DNS starts and serves the zones" "$(cat "$K/knot.log")"
	exit 1
fi

# norm PORT DIG_ARGS...: one comparable text for a query: status, flags, EDNS line, then each section sorted.
# Names compare without case (RFC 4343: Knot writes rdata names in the query's case through compression, acme-dnsd
# as the zone file has them); TXT strings keep theirs.
norm() {
	local port=$1 out
	shift
	out=$(dig @127.0.0.1 -p "$port" +norec +time=2 +tries=1 +ignore +nocookie +noall +comments +question +answer \
		+authority +additional "$@" 2>&1)
	printf 'status=%s flags=[%s]\n' "$(d_status "$out")" "$(d_flags "$out" | tr ' ' '\n' | sort | tr '\n' ' ')"
	printf '%s\n' "$out" | grep -E '^; EDNS:' | sed 's/; EDNS: /edns: /'
	for sec in ANSWER AUTHORITY ADDITIONAL; do
		echo "-- $sec"
		printf '%s\n' "$out" | awk -v s=";; $sec SECTION:" '$0 == s {on = 1; next} /^;;/ || /^$/ {on = 0} on' |
			tr -s ' \t' ' ' | awk '{ if ($4 == "TXT") { $1 = tolower($1); print } else print tolower($0) }' | sort
	done
}

# The corpus: every name of the zones (and neighbours) with the types that matter, then special queries.
NAMES=(example.test Example.TEST ns1.example.test ns2.example.test mail.example.test www.example.test
	web.example.test loop1.example.test out.example.test dangling.example.test
	x.wild.example.test A.B.wild.example.test wild.example.test ent.example.test b.ent.example.test
	a.b.ent.example.test sub.example.test www.sub.example.test ns.sub.example.test big.example.test
	nope.example.test deep.nope.example.test auth.example.test ns1.auth.example.test
	"${SUBS[0]}.auth.example.test" "${SUBS[1]^^}.AUTH.example.test" "x.${SUBS[0]}.auth.example.test"
	00000000-0000-4000-8000-000000000000.auth.example.test example.com org)
TYPES=(A AAAA TXT MX NS SOA CNAME CAA)
N=0
DIFFS=0
# compare LABEL DIG_ARGS...: the whole normalised answers must be equal. With FILTER set to a sed script, both
# answers go through it first (for the documented differences below).
FILTER=""
compare() {
	local label=$1 a k
	shift
	N=$((N + 1))
	a=$(norm "$DNS_PORT" "$@")
	k=$(norm "$KNOT_PORT" "$@")
	if [ -n "$FILTER" ]; then
		a=$(printf '%s\n' "$a" | sed "$FILTER")
		k=$(printf '%s\n' "$k" | sed "$FILTER")
	fi
	if [ "$a" = "$k" ]; then ok "same answer: $label"; else
		DIFFS=$((DIFFS + 1))
		not_ok "same answer: $label" "$(diff <(echo "$k") <(echo "$a") | sed 's/^</knot     /; s/^>/acme-dnsd/')"
	fi
}
for name in "${NAMES[@]}"; do
	for type in "${TYPES[@]}"; do
		compare "$name $type" "$name" "$type"
	done
done
# Two differences by design, compared without the part that differs and checked on their own:
# 1. A CNAME into another zone of the same server: acme-dnsd follows it (RFC 1034 section 4.3.2 step 3a, as BIND
#    does), so one answer carries the challenge TXT behind `_acme-challenge.<domain> CNAME <uuid>.<apex>`; Knot
#    stops at its zone's edge. Same rcode and answer; the authority section names the target's zone.
FILTER='/^-- AUTHORITY/,/^-- ADDITIONAL/{/ in soa /d}'
for type in TXT A; do
	compare "_acme-challenge CNAME into the challenge apex, $type (authority aside)" _acme-challenge.example.test "$type"
done
check "  acme-dnsd's authority names the target's zone" "auth.example.test. 60 in soa" \
	"$(norm "$DNS_PORT" _acme-challenge.example.test TXT | grep -o '^auth.example.test. 60 in soa')"
# 2. CD: acme-dnsd copies it from the query (RFC 4035 section 3.1.6, as BIND and NSD do); Knot clears it.
FILTER='s/ cd / /'
compare "CD set (the cd flag aside)" +cdflag example.test A
check "  acme-dnsd copies CD" yes "$(norm "$DNS_PORT" +cdflag example.test A | grep -q 'flags=.* cd ' && echo yes || echo no)"
FILTER=
compare "TXT without EDNS" +noedns example.test TXT
compare "big TXT over UDP without EDNS (truncated)" +noedns big.example.test TXT
compare "big TXT with a 512-byte EDNS buffer (truncated)" +bufsize=512 big.example.test TXT
compare "big TXT over TCP" +tcp big.example.test TXT
compare "DO bit on an unsigned zone" +dnssec example.test SOA
compare "DO bit, NXDOMAIN" +dnssec nope.example.test A
compare "challenge TXT with DO" +dnssec "${SUBS[0]}.auth.example.test" TXT
compare "RD set" +rec www.example.test A
compare "challenge TXT over TCP" +tcp "${SUBS[1]}.auth.example.test" TXT
compare "class CH" -c CH example.test TXT
compare "type 65280 (private use)" example.test TYPE65280
compare "DS at the delegation" sub.example.test DS
echo "# $N queries compared, $DIFFS differences"
kill_pid "$KNOT_PID" TERM 10
untrack_pid "$KNOT_PID"
stop_acmednsd
finish
