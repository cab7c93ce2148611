#!/usr/bin/env bash
# DNS behaviour of acme-dnsd, seen by dig and kdig: zone data, negative answers, CNAME chains into the challenge
# apex, wildcards, referrals, ANY, EDNS, truncation and TCP, case handling, IPv6.
. "$(dirname "$0")/lib.sh"

require_tools dig kdig curl openssl ss od
require_daemon
dnssend_path || { not_ok "dnssend helper builds"; exit 1; }

free_port DNS_PORT && free_port API_PORT || exit 1
ZONES=$T/zones
mkdir -p "$ZONES"
BIG=0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789

# write_example_zone SERIAL [EXTRA_LINES]: the example.test zone file.
write_example_zone() {
	cat >"$ZONES/example.test.zone" <<EOF
\$ORIGIN example.test.
\$TTL 3600
@               IN SOA  ns1.example.test. hostmaster.example.test. $1 3600 600 604800 60
                IN NS   ns1.example.test.
                IN NS   ns2.example.test.
                IN A    192.0.2.1
                IN AAAA 2001:db8::1
                IN MX   10 mail.example.test.
                IN CAA  0 issue "letsencrypt.org"
                IN TXT  "v=spf1 -all"
mixed           IN TXT  "MiXeD Case Text" "second STRING"
ns1             IN A    192.0.2.53
ns2             IN AAAA 2001:db8::53
mail            IN A    192.0.2.25
mail            IN AAAA 2001:db8::25
www             IN CNAME Web.Example.TEST.
web             IN CNAME example.test.
loop1           IN CNAME loop2.example.test.
loop2           IN CNAME loop1.example.test.
dangling        IN CNAME nothere.example.test.
out             IN CNAME elsewhere.example.com.
*.wild          IN A    192.0.2.99
*.wild          IN TXT  "wildcard"
a.b.ent         IN A    192.0.2.7
sub             IN NS   ns.sub.example.test.
ns.sub          IN A    192.0.2.77
ns.sub          IN AAAA 2001:db8::77
auth            IN NS   ns1.auth.example.test.
ns1.auth        IN A    127.0.0.1
big             300 IN TXT "0$BIG"
big             300 IN TXT "1$BIG"
big             300 IN TXT "2$BIG"
big             300 IN TXT "3$BIG"
big             300 IN TXT "4$BIG"
big             300 IN TXT "5$BIG"
$(for i in $(seq 10 24); do echo "huge            300 IN TXT \"$i$BIG\""; done)
${2:-}
EOF
}

# other.test: SOA TTL below its minimum, so its negative TTL is the SOA TTL.
write_other_zone() {
	cat >"$ZONES/other.test.zone" <<EOF
\$ORIGIN other.test.
@       20   IN SOA ns1.other.test. hostmaster.other.test. $1 3600 600 604800 300
@       3600 IN NS  ns1.other.test.
ns1     3600 IN A   192.0.2.10
${2:-}
EOF
}

write_example_zone 2026112301
write_other_zone 1
write_config "$T/acme-dnsd.yaml" zones_dir="$ZONES"
start_acmednsd "$T/acme-dnsd.yaml" || exit 1

# ---- registration, a value, and the CNAME into the apex via a zone reload ----
register || not_ok "POST /register answers 201" "got $HTTP_CODE: $HTTP_BODY"
SUB=$REG_SUB USER=$REG_USER KEY=$REG_KEY
register || not_ok "POST /register answers 201 (second account)" "got $HTTP_CODE: $HTTP_BODY"
SUB_EMPTY=$REG_SUB
TXT1=$(new_txt)
update "$USER" "$KEY" "$SUB" "$TXT1"
check "POST /update of the challenge value answers 200" 200 "$HTTP_CODE" "$HTTP_BODY"

UPPER_SUB=$(printf '%s' "$SUB" | tr a-z A-Z)
write_example_zone 2026112302 "_acme-challenge  IN CNAME $SUB.auth.example.test.
upper           IN CNAME $UPPER_SUB.AUTH.example.test."
write_other_zone 2 "reloaded IN A 192.0.2.11"
reload_acmednsd
cname_loaded() { qdig +short CNAME _acme-challenge.example.test | grep -qi "^$SUB.auth.example.test.$"; }
if wait_for 10 cname_loaded; then ok "SIGHUP reloads the zone files (new CNAME served)"; else
	not_ok "SIGHUP reloads the zone files (new CNAME served)" "$(qdig CNAME _acme-challenge.example.test)"
fi
out=$(qdig +short A reloaded.other.test)
check "SIGHUP reloads every zone file (other.test)" 192.0.2.11 "$out"

# ---- plain answers ----
out=$(qdig SOA example.test)
check "SOA example.test: NOERROR" NOERROR "$(d_status "$out")" "$out"
check_match "SOA example.test: AA set, RD echoed, RA clear" '^qr aa rd$' "$(d_flags "$out")" "$out"
check "SOA example.test: the SOA" "ns1.example.test. hostmaster.example.test. 2026112302 3600 600 604800 60" \
	"$(d_rdata "$out" ANSWER SOA)" "$out"

out=$(qdig A example.test)
check "A example.test" 192.0.2.1 "$(d_rdata "$out" ANSWER A)" "$out"
d_has_flag "$out" aa && ok "A example.test: AA set" || not_ok "A example.test: AA set" "$out"
out=$(qdig AAAA example.test)
check "AAAA example.test" 2001:db8::1 "$(d_rdata "$out" ANSWER AAAA)" "$out"
out=$(qdig MX example.test)
check "MX example.test" "10 mail.example.test." "$(d_rdata "$out" ANSWER MX)" "$out"
check "MX example.test: target's A and AAAA in additional" "$(printf '192.0.2.25\n2001:db8::25')" \
	"$( (d_rdata "$out" ADDITIONAL A; d_rdata "$out" ADDITIONAL AAAA))" "$out"
out=$(qdig CAA example.test)
check "CAA example.test" '0 issue "letsencrypt.org"' "$(d_rdata "$out" ANSWER CAA)" "$out"
out=$(qdig NS example.test)
check "NS example.test" "$(printf 'ns1.example.test.\nns2.example.test.')" "$(d_rdata "$out" ANSWER NS)" "$out"
check "NS example.test: addresses of the name servers in additional" "$(printf '192.0.2.53\n2001:db8::53')" \
	"$( (d_rdata "$out" ADDITIONAL A; d_rdata "$out" ADDITIONAL AAAA))" "$out"
out=$(qdig TXT mixed.example.test)
check "TXT rdata keeps its case" '"MiXeD Case Text" "second STRING"' "$(d_rdata "$out" ANSWER TXT)" "$out"
out=$(qdig TXT example.test)
check "TXT example.test" '"v=spf1 -all"' "$(d_rdata "$out" ANSWER TXT)" "$out"

# ---- negative answers ----
out=$(qdig A nothere.example.test)
check "NXDOMAIN for a missing name" NXDOMAIN "$(d_status "$out")" "$out"
d_has_flag "$out" aa && ok "NXDOMAIN: AA set" || not_ok "NXDOMAIN: AA set" "$out"
check "NXDOMAIN: no answer" 0 "$(d_count "$out" ANSWER)" "$out"
check "NXDOMAIN: the zone's SOA in authority" "ns1.example.test. hostmaster.example.test. 2026112302 3600 600 604800 60" \
	"$(d_rdata "$out" AUTHORITY SOA)" "$out"
check "NXDOMAIN: SOA TTL = min(SOA TTL 3600, minimum 60)" 60 "$(d_ttls "$out" AUTHORITY SOA)" "$out"
out=$(qdig TXT mail.example.test)
check "NODATA: NOERROR" NOERROR "$(d_status "$out")" "$out"
check "NODATA: no answer" 0 "$(d_count "$out" ANSWER)" "$out"
check "NODATA: SOA in authority with TTL 60" "SOA 60" \
	"$(d_section "$out" AUTHORITY | awk '{print $4, $2}')" "$out"
d_has_flag "$out" aa && ok "NODATA: AA set" || not_ok "NODATA: AA set" "$out"
out=$(qdig A nothere.other.test)
check "other.test NXDOMAIN: SOA TTL = min(SOA TTL 20, minimum 300)" "NXDOMAIN 20" \
	"$(d_status "$out") $(d_ttls "$out" AUTHORITY SOA)" "$out"

# ---- REFUSED outside our zones ----
for name in example.com test www.example.com; do
	out=$(qdig A "$name")
	check "REFUSED for $name (outside every zone)" REFUSED "$(d_status "$out")" "$out"
done
out=$(qdig A example.com)
if d_has_flag "$out" aa; then not_ok "REFUSED: AA clear" "$out"; else ok "REFUSED: AA clear"; fi

# ---- case ----
out=$(qdig A ExAmPlE.TeSt)
check "case-insensitive match, question echoed as asked" ";ExAmPlE.TeSt. IN A" \
	"$(d_section "$out" QUESTION | tr -s ' \t' ' ')" "$out"
check "case-insensitive match, answer owner in the question's case" "ExAmPlE.TeSt. 3600 IN A 192.0.2.1" \
	"$(d_section "$out" ANSWER)" "$out"
out=$(qdig A MAIL.example.TEST)
check "upper-case name below the apex answers" 192.0.2.25 "$(d_rdata "$out" ANSWER A)" "$out"

# ---- CNAME ----
out=$(qdig A www.example.test)
exp=$(printf '%s\n' "www.example.test. 3600 IN CNAME Web.Example.TEST." "Web.Example.TEST. 3600 IN CNAME example.test." \
	"example.test. 3600 IN A 192.0.2.1")
check "CNAME chain followed in-zone, target case kept" "$exp" "$(d_section "$out" ANSWER)" "$out"
check "CNAME chain: NOERROR with AA" "NOERROR qr aa rd" "$(d_status "$out") $(d_flags "$out")" "$out"
out=$(qdig CNAME www.example.test)
check "CNAME asked: only the CNAME" "www.example.test. 3600 IN CNAME Web.Example.TEST." "$(d_section "$out" ANSWER)" "$out"
out=$(qdig A loop1.example.test)
check "CNAME loop: both links once, then stop" \
	"$(printf '%s\n' "loop1.example.test. 3600 IN CNAME loop2.example.test." "loop2.example.test. 3600 IN CNAME loop1.example.test.")" \
	"$(d_section "$out" ANSWER)" "$out"
out=$(qdig A dangling.example.test)
check "dangling CNAME: NXDOMAIN of the target (RFC 6604) with the CNAME and the SOA" \
	"NXDOMAIN|dangling.example.test. 3600 IN CNAME nothere.example.test.|SOA" \
	"$(d_status "$out")|$(d_section "$out" ANSWER)|$(d_types "$out" AUTHORITY)" "$out"
out=$(qdig A out.example.test)
check "CNAME out of our zones: NOERROR with the CNAME only" \
	"NOERROR|out.example.test. 3600 IN CNAME elsewhere.example.com." "$(d_status "$out")|$(d_section "$out" ANSWER)" "$out"

out=$(qdig TXT _acme-challenge.example.test)
exp=$(printf '%s\n' "_acme-challenge.example.test. 3600 IN CNAME $SUB.auth.example.test." \
	"$SUB.auth.example.test. 1 IN TXT \"$TXT1\"")
check "CNAME into the challenge apex: CNAME + TXT (TTL 1)" "$exp" "$(d_section "$out" ANSWER)" "$out"
check "CNAME into the challenge apex: NOERROR with AA" "NOERROR qr aa rd" "$(d_status "$out") $(d_flags "$out")" "$out"
out=$(qdig A _acme-challenge.example.test)
check "CNAME into the apex, other type: CNAME then NODATA with the apex SOA" \
	"NOERROR|CNAME|SOA" "$(d_status "$out")|$(d_types "$out" ANSWER)|$(d_section "$out" AUTHORITY | awk '{print $4}')" "$out"

out=$(qdig TXT upper.example.test)
exp=$(printf '%s\n' "upper.example.test. 3600 IN CNAME $UPPER_SUB.AUTH.example.test." \
	"$UPPER_SUB.AUTH.example.test. 1 IN TXT \"$TXT1\"")
check "CNAME to an upper-case challenge name: followed, owner as the CNAME wrote it" "$exp" "$(d_section "$out" ANSWER)" "$out"

# ---- wildcards and empty non-terminals ----
out=$(qdig A foo.wild.example.test)
check "wildcard: owner is the query name" "foo.wild.example.test. 3600 IN A 192.0.2.99" "$(d_section "$out" ANSWER)" "$out"
check "wildcard: NOERROR with AA" "NOERROR qr aa rd" "$(d_status "$out") $(d_flags "$out")" "$out"
out=$(qdig TXT x.y.Wild.example.test)
check "wildcard over two labels, case echoed" 'x.y.Wild.example.test. 3600 IN TXT "wildcard"' "$(d_section "$out" ANSWER)" "$out"
out=$(qdig MX foo.wild.example.test)
check "wildcard, type absent: NODATA with SOA" "NOERROR|0|SOA" \
	"$(d_status "$out")|$(d_count "$out" ANSWER)|$(d_types "$out" AUTHORITY)" "$out"
for name in b.ent.example.test ent.example.test wild.example.test; do
	out=$(qdig A "$name")
	check "empty non-terminal $name: NODATA with SOA" "NOERROR|0|SOA" \
		"$(d_status "$out")|$(d_count "$out" ANSWER)|$(d_types "$out" AUTHORITY)" "$out"
done
out=$(qdig A a.b.ent.example.test)
check "name below an empty non-terminal" 192.0.2.7 "$(d_rdata "$out" ANSWER A)" "$out"
out=$(qdig A c.b.ent.example.test)
check "missing name below an empty non-terminal: NXDOMAIN" NXDOMAIN "$(d_status "$out")" "$out"

# ---- delegation ----
for name in host.sub.example.test sub.example.test; do
	out=$(qdig A "$name")
	check "referral for $name: NOERROR, AA clear, no answer" "NOERROR|qr rd|0" \
		"$(d_status "$out")|$(d_flags "$out")|$(d_count "$out" ANSWER)" "$out"
	check "referral for $name: NS in authority" "sub.example.test. 3600 IN NS ns.sub.example.test." \
		"$(d_section "$out" AUTHORITY)" "$out"
	check "referral for $name: glue in additional" "$(printf '192.0.2.77\n2001:db8::77')" \
		"$( (d_rdata "$out" ADDITIONAL A; d_rdata "$out" ADDITIONAL AAAA))" "$out"
done

out=$(qdig DS sub.example.test)
check "DS at the delegation: answered by the parent (NODATA, AA, SOA)" "NOERROR|qr aa rd|0|SOA" \
	"$(d_status "$out")|$(d_flags "$out")|$(d_count "$out" ANSWER)|$(d_types "$out" AUTHORITY)" "$out"

# ---- ANY (RFC 8482) ----
for name in example.test mixed.example.test "$SUB.auth.example.test"; do
	out=$(qdig ANY "$name")
	types=$(d_types "$out" ANSWER)
	if [ "$(d_status "$out")" = NOERROR ] && [ "$(printf '%s\n' "$types" | grep -c .)" = 1 ]; then
		ok "ANY $name: one RRset ($types)"
	else
		not_ok "ANY $name: NOERROR with exactly one RRset or HINFO" "$out"
	fi
done

# ---- the challenge apex ----
out=$(qdig SOA auth.example.test)
soa=$(d_section "$out" ANSWER)
check_match "apex SOA: made from ns_name, admin and negative_ttl" \
	'^auth\.example\.test\. [0-9]+ IN SOA ns1\.auth\.example\.test\. hostmaster\.example\.test\. [0-9]+ [0-9]+ [0-9]+ [0-9]+ 60$' \
	"$soa" "$out"
soa_ttl=$(printf '%s' "$soa" | awk '{print $2}')
soa_min=$(printf '%s' "$soa" | awk '{print $NF}')
neg=$((soa_ttl < soa_min ? soa_ttl : soa_min))
d_has_flag "$out" aa && ok "apex SOA: AA set" || not_ok "apex SOA: AA set" "$out"
out=$(qdig NS auth.example.test)
check "apex NS" ns1.auth.example.test. "$(d_rdata "$out" ANSWER NS)" "$out"
out=$(qdig TXT "$SUB.auth.example.test")
check "registered subdomain with a value: the TXT, TTL 1" "$SUB.auth.example.test. 1 IN TXT \"$TXT1\"" \
	"$(d_section "$out" ANSWER)" "$out"
check "registered subdomain with a value: NOERROR with AA" "NOERROR qr aa rd" "$(d_status "$out") $(d_flags "$out")" "$out"
upper=$(printf '%s' "$SUB" | tr a-z A-Z)
out=$(qdig TXT "$upper.AUTH.example.test")
check "challenge lookup is case-insensitive and echoes the case" "$upper.AUTH.example.test. 1 IN TXT \"$TXT1\"" \
	"$(d_section "$out" ANSWER)" "$out"
out=$(qdig A "$SUB.auth.example.test")
check "registered subdomain, type A: NODATA with the apex SOA (TTL $neg)" "NOERROR|0|SOA $neg" \
	"$(d_status "$out")|$(d_count "$out" ANSWER)|$(d_section "$out" AUTHORITY | awk '{print $4, $2}')" "$out"
out=$(qdig TXT "$SUB_EMPTY.auth.example.test")
check "registered subdomain without values: NODATA with the apex SOA (TTL $neg)" "NOERROR|0|SOA $neg" \
	"$(d_status "$out")|$(d_count "$out" ANSWER)|$(d_section "$out" AUTHORITY | awk '{print $4, $2}')" "$out"
out=$(qdig TXT 00000000-1111-4222-8333-444444444444.auth.example.test)
check "unknown subdomain: NXDOMAIN with the apex SOA (TTL $neg)" "NXDOMAIN|0|SOA $neg" \
	"$(d_status "$out")|$(d_count "$out" ANSWER)|$(d_section "$out" AUTHORITY | awk '{print $4, $2}')" "$out"
out=$(qdig TXT "x.$SUB.auth.example.test")
check "name below a registered subdomain: NXDOMAIN" NXDOMAIN "$(d_status "$out")" "$out"

# ---- EDNS ----
out=$(qdig +bufsize=1232 A example.test)
check_match "EDNS: OPT answered (version 0)" '; EDNS: version: 0' "$out"
check_match "EDNS: our payload size is 1232" 'udp: 1232' "$out"
out=$(qdig +dnssec A example.test)
check_match "EDNS: DO bit echoed" '; EDNS: version: 0, flags: do;' "$out"
out=$(qdig +noedns A example.test)
if printf '%s' "$out" | grep -q 'OPT PSEUDOSECTION'; then not_ok "no EDNS asked: no OPT in the answer" "$out"; else
	ok "no EDNS asked: no OPT in the answer"; fi
out=$(qdig +edns=1 +noednsnegotiation A example.test)
check "EDNS version 1: BADVERS" BADVERS "$(d_status "$out")" "$out"
check_match "EDNS version 1: OPT of version 0 in the answer" '; EDNS: version: 0' "$out"
check "EDNS version 1: no answer records" 0 "$(d_count "$out" ANSWER)" "$out"

# ---- truncation and TCP ----
out=$(qdig +noedns +ignore TXT big.example.test)
check "600-byte TXT RRset over UDP without EDNS: TC set" "NOERROR|qr aa tc rd" "$(d_status "$out")|$(d_flags "$out")" "$out"
check "TC answer holds nothing but the question" "0 0" "$(d_count "$out" ANSWER) $(d_count "$out" AUTHORITY)" "$out"
out=$(qdig +tcp +noedns TXT big.example.test)
check "the same over TCP: all 6 TXT records, no TC" "6|qr aa rd" "$(d_rdata "$out" ANSWER TXT | grep -c "$BIG")|$(d_flags "$out")" "$out"
out=$(qdig +noedns TXT big.example.test)
check "dig retries over TCP after TC and gets all 6" 6 "$(d_rdata "$out" ANSWER TXT | grep -c "$BIG")" "$out"
out=$(qdig +bufsize=1232 +notcp +ignore TXT big.example.test)
check "EDNS 1232 over UDP: all 6 TXT records, no TC" "6|qr aa rd" "$(d_rdata "$out" ANSWER TXT | grep -c "$BIG")|$(d_flags "$out")" "$out"
out=$(qdig +bufsize=4096 +notcp +ignore TXT huge.example.test)
check "EDNS 4096 asked, 1.7 kB RRset: TC (our payload limit is 1232)" "qr aa tc rd|0" "$(d_flags "$out")|$(d_count "$out" ANSWER)" "$out"
size=$(printf '%s\n' "$out" | sed -n 's/^;; MSG SIZE  rcvd: \([0-9]*\)/\1/p')
[ "${size:-99999}" -le 1232 ] && ok "EDNS 4096 asked: the UDP answer stays within 1232 bytes ($size)" ||
	not_ok "EDNS 4096 asked: the UDP answer stays within 1232 bytes" "got $size bytes"
out=$(qdig +tcp TXT huge.example.test)
check "1.7 kB RRset over TCP: all 15 records" 15 "$(d_count "$out" ANSWER)" "$out"
out=$(qdig +bufsize=512 +notcp +ignore TXT big.example.test)
check "EDNS 512 over UDP: TC" "qr aa tc rd" "$(d_flags "$out")" "$out"

out=$(qdig +tcp +keepopen example.test A example.test AAAA mixed.example.test TXT)
check "dig +tcp +keepopen: three answers on one connection" "3|192.0.2.1|2001:db8::1" \
	"$(printf '%s\n' "$out" | grep -c 'status: NOERROR')|$(d_rdata "$out" ANSWER A)|$(d_rdata "$out" ANSWER AAAA)" "$out"
q1=$(query_hex 4097 example.test 1) q2=$(query_hex 4098 mixed.example.test 16) q3=$(query_hex 4099 nothere.example.test 1)
resp=$("$DNSSEND" -t 127.0.0.1 "$DNS_PORT" "$q1" "$q2" "$q3")
ids=$(printf '%s\n' "$resp" | while read -r h; do [ ${#h} -ge 24 ] && printf '%s/%s\n' "$(r_id "$h")" "$(r_rcode "$h")"; done | sort | tr '\n' ' ')
check "three pipelined queries on one TCP connection: three answers" "1001/NOERROR 1002/NOERROR 1003/NXDOMAIN " "$ids" "$resp"

kout=$(kdig @127.0.0.1 -p "$DNS_PORT" +time=2 +retry=0 +tcp +keepopen example.test A example.test AAAA 2>&1)
check "kdig +tcp +keepopen: two answers" 2 "$(printf '%s\n' "$kout" | grep -c 'status: NOERROR')" "$kout"
kout=$(kdig @127.0.0.1 -p "$DNS_PORT" +time=2 +retry=0 TXT "$SUB.auth.example.test" 2>&1)
check_match "kdig UDP: the challenge TXT" "$TXT1" "$kout"
check_match "kdig UDP: AA set" 'Flags: qr aa rd' "$kout"
kout=$(kdig @127.0.0.1 -p "$DNS_PORT" +time=2 +retry=0 +edns=1 A example.test 2>&1)
check_match "kdig +edns=1: BADVERS" 'status: BADVERS' "$kout"
kout=$(kdig @127.0.0.1 -p "$DNS_PORT" +time=2 +retry=0 +tcp +nsid A nothere.example.test 2>&1)
check_match "kdig TCP with an unknown EDNS option: NXDOMAIN" 'status: NXDOMAIN' "$kout"

# ---- IPv6 ----
out=$(dig @::1 -p "$DNS_PORT" +time=2 +tries=1 A example.test 2>&1)
check "IPv6 [::1] UDP" "NOERROR|192.0.2.1" "$(d_status "$out")|$(d_rdata "$out" ANSWER A)" "$out"
out=$(dig @::1 -p "$DNS_PORT" +time=2 +tries=1 +tcp TXT "$SUB.auth.example.test" 2>&1)
check "IPv6 [::1] TCP: the challenge TXT" "\"$TXT1\"" "$(d_rdata "$out" ANSWER TXT)" "$out"

# ---- a broken zone file on reload keeps what was served ----
write_example_zone 2026112303 "broken          IN A    not-an-address
_acme-challenge  IN CNAME $SUB.auth.example.test."
write_other_zone 3 "reloaded IN A 192.0.2.12"
reload_acmednsd
reloaded() { [ "$(qdig +short A reloaded.other.test)" = 192.0.2.12 ]; }
wait_for 10 reloaded || not_ok "second SIGHUP reloads other.test" "$(qdig A reloaded.other.test)"
out=$(qdig SOA example.test)
check "a zone file with an error keeps the zone loaded before" 2026112302 "$(d_rdata "$out" ANSWER SOA | awk '{print $3}')" "$out"
if grep -q 'example.test.zone:[0-9]' "$ADNS_LOG"; then ok "the broken zone file is logged as FILE:LINE"; else
	not_ok "the broken zone file is logged as FILE:LINE" "no 'example.test.zone:LINE' in $ADNS_LOG"; fi

# ---- reloads while queries are in flight: none is lost ----
args=()
for i in $(seq 1 300); do
	case $((i % 3)) in
	0) args+=(example.test A) ;;
	1) args+=("$SUB.auth.example.test" TXT) ;;
	2) args+=("n$i.example.test" A) ;;
	esac
done
qdig +noall +comments "${args[@]}" >"$T/load.out" 2>&1 &
LOAD_PID=$!
track_pid "$LOAD_PID"
for i in 1 2 3 4 5; do
	sleep 0.2
	reload_acmednsd
done
reap "$LOAD_PID" 60
answered=$(grep -c 'status: NOERROR\|status: NXDOMAIN' "$T/load.out")
check "300 queries during 5 SIGHUP reloads: all answered" 300 "$answered" "$(grep -v 'status:' "$T/load.out" | head -5)"
out=$(qdig TXT "$SUB.auth.example.test")
check "challenge values survive zone reloads" "\"$TXT1\"" "$(d_rdata "$out" ANSWER TXT)" "$out"

# ---- after all that, still healthy ----
out=$(qdig SOA auth.example.test)
check "still answers at the end" NOERROR "$(d_status "$out")" "$out"
stop_acmednsd
finish
