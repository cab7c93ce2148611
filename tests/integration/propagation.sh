#!/usr/bin/env bash
# The propagation checker (`acme-dns-cli check`) in a real DNS world on loopback (world.sh): BIND primary and a
# lagging secondary for example.test, an NS on ::1, acme-dnsd for the challenge apex, unbound as the resolver.
# Shown: it waits for the lagging secondary and names it; the deadline holds; a CNAME chain into acme-dnsd is
# followed; a CNAME loop and a lame NS are reported, not hung on.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/world.sh"

require_tools dig curl ss named unbound timeout
require_daemon
require_cli
mkdir -p "$T/adz"
WORLD_ACMEDNSD_ZONES=$T/adz
world_start || exit 1
ok "the DNS world is up on $WORLD_NET.0/24 (resolver $WORLD_RESOLVER, ipv6 ns: $WORLD_V6)"

# check LABEL ARGS...: acme-dns-cli check with the world's resolver; sets RC, OUT, ERR, TOOK (seconds).
run_check() {
	local label=$1 t0=$SECONDS
	shift
	timeout -k 5 60 "$ACME_CLI" check --dns-resolvers "$WORLD_RESOLVER" --propagation-interval 1 "$@" \
		>"$T/$label.out" 2>"$T/$label.err" </dev/null && RC=0 || RC=$?
	TOOK=$((SECONDS - t0))
	OUT=$(cat "$T/$label.out")
	ERR=$(cat "$T/$label.err")
	[ -z "$(sanitizer_report "$T/$label.err")" ] || not_ok "$label: no sanitizer report" "$ERR"
}
ctx() { printf -- '--- stdout ---\n%s\n--- stderr ---\n%s\n' "$OUT" "$(tail -n 15 <<<"$ERR")"; }

# ---- 1. a lagging secondary: named, waited for, then found in step ----
V=lag-$RANDOM-$RANDOM
world_lag_on
world_txt_add _acme-challenge.lag.example.test "$V" || not_ok "nsupdate adds the TXT on the primary"
run_check lag-deadline -d lag.example.test --value "$V" --propagation-timeout 3 --json
check "the secondary lags: exit 4" 4 "$RC" "$(ctx)"
check_match "  the report names the secondary $WORLD_SECONDARY as missing the value" \
	"\"address\":\"$WORLD_SECONDARY\",\"detail\":\"[^\"]*missing" "$OUT" "$(ctx)"
check_match "  the primary $WORLD_PRIMARY has it" "\"address\":\"$WORLD_PRIMARY\",\"detail\":\"[^\"]*\",\"missing\":\"\",\"ns\":\"[^\"]*\",\"serial\":[0-9]*,\"state\":\"ok\"" "$OUT" "$(ctx)"
check "  the 3 s deadline holds (stopped after ${TOOK} s)" yes "$([ "$TOOK" -le 8 ] && echo yes || echo no)"
if [ "$WORLD_V6" = 1 ]; then
	check_match "  the NS with an IPv6 address is asked on ::1" '"address":"::1"' "$OUT" "$(ctx)"
else
	ok "the NS with an IPv6 address is asked on ::1 # SKIP [::1]:53 is taken by another run"
fi

timeout -k 5 60 "$ACME_CLI" check --dns-resolvers "$WORLD_RESOLVER" --propagation-interval 1 --propagation-timeout 30 \
	-d lag.example.test --value "$V" >"$T/lag-wait.out" 2>"$T/lag-wait.err" </dev/null &
CHECK_PID=$!
track_pid "$CHECK_PID"
sleep 2
world_sync_secondary || not_ok "the secondary syncs" "$(tail -n 10 "$WORLD_DIR/secondary/named.log")"
wait "$CHECK_PID" && rc=0 || rc=$?
untrack_pid "$CHECK_PID"
check "check waits for the secondary and ends when it has the value: exit 0" 0 "$rc" "$(cat "$T/lag-wait.out" "$T/lag-wait.err")"
check_match "  every server answers" "every server answers" "$(cat "$T/lag-wait.out")" "$(cat "$T/lag-wait.out")"

# ---- 2. the CNAME chain into acme-dnsd ----
# The apex's NS needs an address record of its own: a resolver does not answer with the parent's glue.
auth_zone() {
	{
		printf '$ORIGIN auth.example.test.\n'
		printf '@ 60 IN SOA ns1.auth.example.test. hostmaster.example.test. %s 3600 600 604800 30\n' "$1"
		printf '@ 60 IN NS ns1.auth.example.test.\nns1 60 IN A %s\n' "$WORLD_ACMEDNSD"
		[ -z "${2:-}" ] || printf '@ 60 IN NS nslame.auth.example.test.\nnslame 60 IN A %s\n' "$2"
	} >"$T/adz/auth.example.test.zone"
	reload_acmednsd
}
auth_zone 1
sleep 1                                   # the reload is asynchronous (SIGHUP)
register || not_ok "POST /register" "$HTTP_CODE $HTTP_BODY"
TOKEN=$(new_txt)
update "$REG_USER" "$REG_KEY" "$REG_SUB" "$TOKEN"
check "POST /update" 200 "$HTTP_CODE" "$HTTP_BODY"
world_cname_set _acme-challenge.chain.example.test "$REG_FULL"
world_sync_secondary
run_check chain -d chain.example.test --value "$TOKEN" --propagation-timeout 15 --json
check "a CNAME into acme-dnsd is followed: exit 0" 0 "$RC" "$(ctx)"
check_match "  the chain ends at the acme-dnsd name" "\"chain\":\\[\"_acme-challenge.chain.example.test\",\"$REG_FULL\"\\]" "$OUT" "$(ctx)"
check_match "  the zone asked is auth.example.test" '"zone":"auth.example.test"' "$OUT" "$(ctx)"
check_match "  acme-dnsd ($WORLD_ACMEDNSD) is the server asked" "\"address\":\"$WORLD_ACMEDNSD\"" "$OUT" "$(ctx)"

# ---- 3. a CNAME loop is reported, not hung on ----
world_cname_set _acme-challenge.loop.example.test loop2.example.test
world_cname_set loop2.example.test _acme-challenge.loop.example.test
run_check loop -d loop.example.test --value x --propagation-timeout 10
check "a CNAME loop: exit 4" 4 "$RC" "$(ctx)"
check "  reported at once, not after the timeout (${TOOK} s)" yes "$([ "$TOOK" -le 6 ] && echo yes || echo no)"
check_match "  the message says loop" "[Ll]oop" "$ERR" "$(ctx)"

# ---- 4. a lame NS: acme-dnsd's zone gains an NS whose address (the BIND primary) does not serve it ----
auth_zone 2 "$WORLD_PRIMARY"
sleep 6                                   # the resolver caches at most 5 s (cache-max-ttl)
run_check lame -d chain.example.test --value "$TOKEN" --propagation-timeout 3 --json
check "a lame NS: exit 4" 4 "$RC" "$(ctx)"
check_match "  the primary $WORLD_PRIMARY is reported lame or refusing for auth.example.test" \
	"\"address\":\"$WORLD_PRIMARY\",\"detail\":\"[^\"]*\",\"missing\":\"[^\"]*\",\"ns\":\"nslame.auth.example.test\",\"serial\":[0-9]*,\"state\":\"(lame|refused)\"" "$OUT" "$(ctx)"
check_match "  acme-dnsd itself still has the value" "\"address\":\"$WORLD_ACMEDNSD\",\"detail\":\"[^\"]*\",\"missing\":\"\",\"ns\":\"ns1.auth.example.test\",\"serial\":[0-9]*,\"state\":\"ok\"" "$OUT" "$(ctx)"
check "  the deadline holds (${TOOK} s)" yes "$([ "$TOOK" -le 8 ] && echo yes || echo no)"

world_stop
finish
