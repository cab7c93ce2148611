#!/usr/bin/env bash
# The DNS world of world.sh, proved with dig alone: the resolver's stub zones, a lagging secondary and its
# sync, the _acme-challenge CNAME chain into acme-dnsd through the resolver, the IPv6 name server, nothing sent
# off the machine, and a clean stop.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/world.sh"

START=$SECONDS
world_start || exit 1
ok "the DNS world starts on $WORLD_NET.0/24 (resolver $WORLD_RESOLVER, v6=$WORLD_V6) in $((SECONDS - START)) s"

# 1. the resolver answers from the primary through its stub zone
out=$(wdig "$WORLD_RESOLVER" SOA example.test)
check "the resolver answers example.test SOA (NOERROR)" NOERROR "$(d_status "$out")" "$out"
check_match "the resolver's SOA is the primary's" '^ns1\.example\.test\. hostmaster\.example\.test\. 1 ' \
	"$(d_rdata "$out" ANSWER SOA)" "$out"
out=$(wdig "$WORLD_RESOLVER" +short A www.example.test)
check "the resolver answers www.example.test A" 192.0.2.1 "$out"

# 2. a TXT added with nsupdate is on the primary at once, not on the lagging secondary until synced
V1=world-$RANDOM-$RANDOM
if world_txt_add lagged.example.test "$V1"; then ok "nsupdate adds a TXT on the primary (TSIG)"; else
	not_ok "nsupdate adds a TXT on the primary (TSIG)" "$(tail -n 10 "$WORLD_DIR/primary/named.log")"
fi
check "the primary serves the new TXT at once" "\"$V1\"" "$(wdig "$WORLD_PRIMARY" +short +norec TXT lagged.example.test)"
sleep 1
out=$(wdig "$WORLD_SECONDARY" +norec TXT lagged.example.test)
check "the lagging secondary does not have it 1 s later (NXDOMAIN)" NXDOMAIN "$(d_status "$out")" "$out"
check "the secondary's serial is still 1" 1 "$(world_serial "$WORLD_SECONDARY")"
if world_sync_secondary; then ok "world_sync_secondary brings the secondary to serial $(world_serial "$WORLD_PRIMARY")"; else
	not_ok "world_sync_secondary brings the secondary to the primary's serial" \
		"primary $(world_serial "$WORLD_PRIMARY") secondary $(world_serial "$WORLD_SECONDARY")" \
		"$(tail -n 10 "$WORLD_DIR/secondary/named.log")"
fi
check "after the sync the secondary serves the TXT" "\"$V1\"" \
	"$(wdig "$WORLD_SECONDARY" +short +norec TXT lagged.example.test)"
if world_txt_del lagged.example.test "$V1"; then ok "world_txt_del removes it"; else not_ok "world_txt_del removes it"; fi
out=$(wdig "$WORLD_PRIMARY" +norec TXT lagged.example.test)
check "the primary no longer has it" NXDOMAIN "$(d_status "$out")" "$out"

# 3. with the lag off the secondary follows by NOTIFY
if world_lag_off; then ok "world_lag_off"; else not_ok "world_lag_off" "$(tail -n 10 "$WORLD_DIR/primary/named.log")"; fi
V2=notified-$RANDOM
world_txt_add notified.example.test "$V2"
_has_v2() { [ "$(wdig "$WORLD_SECONDARY" +short +norec TXT notified.example.test)" = "\"$V2\"" ]; }
if wait_for 5 _has_v2; then ok "with the lag off the secondary has a new TXT within 5 s (NOTIFY)"; else
	not_ok "with the lag off the secondary has a new TXT within 5 s (NOTIFY)" "$(tail -n 10 "$WORLD_DIR/secondary/named.log")"
fi
world_lag_on
V3=lagged-again-$RANDOM
world_txt_add notified.example.test "$V3"
sleep 1
check "with the lag on again the secondary misses the next change" "\"$V2\"" \
	"$(wdig "$WORLD_SECONDARY" +short +norec TXT notified.example.test)"

# 4. the CNAME chain into acme-dnsd, through the resolver
if register; then ok "POST /register at the world's acme-dnsd ($REG_FULL)"; else
	not_ok "POST /register at the world's acme-dnsd" "$HTTP_CODE $HTTP_BODY"
fi
TOKEN=$(new_txt)
update "$REG_USER" "$REG_KEY" "$REG_SUB" "$TOKEN"
check "POST /update answers 200" 200 "$HTTP_CODE" "$HTTP_BODY"
if world_cname_set _acme-challenge.example.test "$REG_FULL"; then ok "nsupdate sets the _acme-challenge CNAME"; else
	not_ok "nsupdate sets the _acme-challenge CNAME"
fi
out=$(wdig "$WORLD_ACMEDNSD" +norec TXT "$REG_FULL")
check "acme-dnsd answers the TXT on $WORLD_ACMEDNSD:53" "\"$TOKEN\"" "$(d_rdata "$out" ANSWER TXT)" "$out"
out=$(wdig "$WORLD_RESOLVER" TXT _acme-challenge.example.test)
check "the resolver follows the CNAME (NOERROR)" NOERROR "$(d_status "$out")" "$out"
check "the resolver's answer has the CNAME" "$REG_FULL." "$(d_rdata "$out" ANSWER CNAME)" "$out"
check "the resolver's answer has the value set through the API" "\"$TOKEN\"" "$(d_rdata "$out" ANSWER TXT)" "$out"
out=$(wdig "$WORLD_RESOLVER" NS auth.example.test)
check "the resolver finds the zone cut auth.example.test (NS)" ns1.auth.example.test. "$(d_rdata "$out" ANSWER NS)" "$out"
TOKEN2=$(new_txt)
update "$REG_USER" "$REG_KEY" "$REG_SUB" "$TOKEN2"
_has_t2() { wdig "$WORLD_RESOLVER" +short TXT _acme-challenge.example.test | grep -qx "\"$TOKEN2\""; }
if wait_for 8 _has_t2; then ok "a new value reaches the resolver within 8 s (cache-max-ttl 5)"; else
	not_ok "a new value reaches the resolver within 8 s" "$(wdig "$WORLD_RESOLVER" TXT _acme-challenge.example.test)"
fi

# 5. the IPv6 name server
if [ "$WORLD_V6" = 1 ]; then
	out=$(wdig ::1 +norec SOA example.test)
	check "ns6.example.test ([::1]:53) answers example.test SOA authoritatively" "NOERROR aa" \
		"$(d_status "$out") $(d_has_flag "$out" aa && echo aa)" "$out"
	check "the primary lists ns6.example.test AAAA ::1" ::1 "$(wdig "$WORLD_PRIMARY" +short +norec AAAA ns6.example.test)"
else
	ok "# SKIP [::1]:53 is taken (another run); no IPv6 name server in this world"
	ok "# SKIP ns6.example.test AAAA ::1"
fi

# 6. nothing leaves the machine: names outside the stubs get the world root's NXDOMAIN at once
out=$(wdig "$WORLD_RESOLVER" A www.example.com)
check "a name outside the world is NXDOMAIN from the world's root ($WORLD_BLACKHOLE)" NXDOMAIN "$(d_status "$out")" "$out"
check_match "... with the root's SOA" '^root\. hostmaster\.example\.test\. ' "$(d_rdata "$out" AUTHORITY SOA)" "$out"
out=$(wdig "$WORLD_PRIMARY" +norec A www.example.com)
check "the primary itself refuses names outside example.test (the root is seen only on .54)" REFUSED "$(d_status "$out")" "$out"
bad=$(grep -oE '([0-9]{1,3}\.){3}[0-9]{1,3}' "$WORLD_DIR/unbound/unbound.log" | grep -v '^127\.' | sort -u | tr '\n' ' ')
check "the unbound log names no address off the machine" "" "$bad" "$(tail -n 5 "$WORLD_DIR/unbound/unbound.log")"
sock=$(ss -Hnup 2>/dev/null | grep "pid=$WORLD_UNBOUND_PID," | awk '{print $4}' | grep -vE '^127\.' | tr '\n' ' ')
check "unbound has no socket off loopback" "" "$sock"

# 7. clean stop
PIDS_BEFORE="$WORLD_PRIMARY_PID $WORLD_SECONDARY_PID $WORLD_UNBOUND_PID $ADNS_PID"
world_stop
alive=""
for p in $PIDS_BEFORE; do pid_alive "$p" && alive="$alive $p"; done
check "no world process is left" "" "$alive"
left=""
for a in "$WORLD_PRIMARY" "$WORLD_SECONDARY" "$WORLD_ACMEDNSD" "$WORLD_RESOLVER_ADDR"; do
	world_port53_free "$a" || left="$left $a"
done
check "port 53 is free again on the world's addresses" "" "$left"
el=$((SECONDS - START))
if [ "$el" -lt 60 ]; then ok "the self-test took $el s (< 60)"; else not_ok "the self-test took under 60 s" "$el s"; fi
finish
