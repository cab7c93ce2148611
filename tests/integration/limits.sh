#!/usr/bin/env bash
# Abuse limits: response rate limiting of UDP answers per client network (drop, and slip to TC), open connections
# per client address on the DNS TCP listener and on the HTTP API, and configured API request size limits.
# (dns.tcp_idle_timeout and dns.tcp_max_queries are tested in malformed.sh, the default size limits in api.sh.)
. "$(dirname "$0")/lib.sh"

require_tools dig curl ss od
require_daemon
dnssend_path || { not_ok "dnssend helper builds"; exit 1; }
test_tool dnsburst && DNSBURST=$TOOL || { not_ok "dnsburst helper builds"; exit 1; }
test_tool tcphold && TCPHOLD=$TOOL || { not_ok "tcphold helper builds"; exit 1; }

# field LINE NAME: the value of NAME=VALUE in a dnsburst or tcphold line.
field() { printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
# burst SRC ARGS...: dnsburst from SRC to our DNS port; sets BURST and FULL TC TC_BAD DROPPED MS.
burst() {
	local src=$1
	shift
	BURST=$("$DNSBURST" -b "$src" "$@" 127.0.0.1 "$DNS_PORT" "$MSG" 2>&1)
	FULL=$(field "$BURST" full) TC=$(field "$BURST" tc) TC_BAD=$(field "$BURST" tc_bad)
	DROPPED=$(field "$BURST" dropped) MS=$(field "$BURST" ms)
	FULL=${FULL:-0} TC=${TC:-0} TC_BAD=${TC_BAD:-0} DROPPED=${DROPPED:-0} MS=${MS:-0}
}

QSOA=$(query_hex 0 auth.example.test 6)
# An unsigned RFC 2136 UPDATE of the apex with nothing in it: answered REFUSED, never rate limited.
UPD=000028000001000000000000$(name_hex auth.example.test)00060001

# ---- response rate limiting: rate 10, burst 10 (the default: the rate), slip 2, IPv4 /24 ----
free_port DNS_PORT && free_port API_PORT || exit 1
write_config "$T/rrl.yaml" listen6=no log_level=info store="$T/rrl.db" extra_dns="  udp_workers: 2
  rrl:
    rate: 10
    slip: 2"
start_acmednsd "$T/rrl.yaml" "$T/rrl.log" || exit 1

MSG=$QSOA
burst 127.0.1.1 -n 200
# The server answered within MS ms of the first query: at most the burst plus what the rate refilled meanwhile.
max_full=$((10 + 10 * MS / 1000 + 2))
if [ "$FULL" -ge 1 ] && [ "$FULL" -le "$max_full" ]; then
	ok "rrl: 200 queries at once from 127.0.1.1: $FULL full answers, at most burst + rate x time ($max_full in $MS ms)"
else
	not_ok "rrl: 200 queries at once from 127.0.1.1: 1 to $max_full full answers" "$BURST"
fi
over=$((200 - FULL))
if [ "$TC" -gt 0 ] && [ "$TC" -le $((over / 2 + 1)) ]; then
	ok "rrl slip 2: every second answer over the rate is sent truncated ($TC of $over)"
else
	not_ok "rrl slip 2: 1 to $((over / 2 + 1)) truncated answers" "$BURST"
fi
check "rrl: truncated answers hold the question and no record (TC set)" 0 "$TC_BAD" "$BURST"
if [ "$DROPPED" -gt 0 ]; then ok "rrl: the other answers over the rate are dropped ($DROPPED)"
else not_ok "rrl: some answers over the rate are dropped" "$BURST"; fi

out=$(dig @127.0.0.1 -p "$DNS_PORT" -b 127.0.1.1 +tcp +time=2 +tries=1 +norec SOA auth.example.test 2>&1)
if [ "$(d_status "$out")" = NOERROR ] && [ "$(d_count "$out" ANSWER)" = 1 ]; then
	ok "rrl: the limited client still gets its answer over TCP"
else
	not_ok "rrl: the limited client still gets its answer over TCP" "$out"
fi

burst 127.0.2.1 -n 5 -c 1
check "rrl: another /24 (127.0.2.1) is not limited: 5 of 5 answered in full" "5 0" "$FULL $DROPPED" "$BURST"

# Empty 127.0.1.0/24's bucket again from another address of it, then send UPDATEs from there.
burst 127.0.1.3 -n 100
if [ "$FULL" -le "$((10 + 10 * MS / 1000 + 2))" ] && [ "$((TC + DROPPED))" -gt 0 ]; then
	ok "rrl: 127.0.1.3 shares the bucket of 127.0.1.0/24 and is limited ($FULL full, $TC truncated, $DROPPED dropped)"
else
	not_ok "rrl: 127.0.1.3 is limited with its /24" "$BURST"
fi
MSG=$UPD
burst 127.0.1.3 -n 40 -c 10 -w 2000
check "rrl: UPDATE answers are never limited: 40 of 40 from the limited network" "40 0 0" "$FULL $TC $DROPPED" "$BURST"

lines=$(grep -c "response rate limit" "$ADNS_LOG")
if [ "$lines" -ge 1 ] && [ "$lines" -le 6 ]; then
	ok "rrl: the log has a summary ($lines line(s)), not a line per limited answer"
else
	not_ok "rrl: 1 to 6 summary lines in the log" "got $lines" "$(grep "response rate limit" "$ADNS_LOG" | head -5)"
fi
check_match "rrl: the summary counts and names the client network" \
	'answers dropped, [0-9]+ sent truncated.*last client network 127\.0\.1\.0/24' "$(grep "response rate limit" "$ADNS_LOG")"
stop_acmednsd "acme-dnsd stops cleanly (rrl)"

# ---- rrl.rate 0 (the default): no limiting ----
free_port DNS_PORT && free_port API_PORT || exit 1
write_config "$T/norrl.yaml" listen6=no log_level=info store="$T/norrl.db"
start_acmednsd "$T/norrl.yaml" "$T/norrl.log" || exit 1
MSG=$QSOA
burst 127.0.1.1 -n 200 -c 20 -w 2000
check "rrl off (rate 0): 200 queries from one client, 200 full answers" "200 0 0" "$FULL $TC $DROPPED" "$BURST"
check "rrl off: no summary in the log" 0 "$(grep -c "response rate limit" "$ADNS_LOG")"
stop_acmednsd "acme-dnsd stops cleanly (rrl off)"

# ---- connections per client address (DNS TCP and API: 3 each), configured request size limits ----
free_port DNS_PORT && free_port API_PORT || exit 1
write_config "$T/conn.yaml" listen6=no log_level=info store="$T/conn.db" tcp_idle_timeout=60 max_body=512 \
	trusted_proxies='["127.0.0.5/32"]' extra_dns="  tcp_max_connections_per_client: 3" \
	extra_api="  max_connections_per_client: 3
  max_headers: 2048
  timeout: 60"
start_acmednsd "$T/conn.yaml" "$T/conn.log" || exit 1

# hold NAME SRC PORT N: tcphold in the background; sets HOLD_PID and HOLD (its line, once printed).
hold() {
	local out=$T/hold.$1
	"$TCPHOLD" -b "$2" -t 60 127.0.0.1 "$3" "$4" >"$out" 2>&1 &
	HOLD_PID=$!
	track_pid "$HOLD_PID"
	_held() { grep -q 'open=' "$out"; }
	wait_for 10 _held
	HOLD=$(cat "$out")
}
tcp_answered() { "$DNSSEND" -t -w 2000 127.0.0.1 "$DNS_PORT" "$QSOA" | grep -q '^[0-9a-f]\{24\}'; }

hold dns1 127.0.0.1 "$DNS_PORT" 3
check "dns tcp: 3 connections from 127.0.0.1 (the limit) stay open" "open=3 closed=0" "$HOLD"
dns_hold=$HOLD_PID
check "dns tcp: a 4th connection from 127.0.0.1 is closed at once" closed \
	"$("$DNSSEND" -t -w 2000 127.0.0.1 "$DNS_PORT" "$QSOA")"
out=$(dig @127.0.0.1 -p "$DNS_PORT" -b 127.0.0.2 +tcp +time=2 +tries=1 +norec SOA auth.example.test 2>&1)
check "dns tcp: another address (127.0.0.2) still connects and is answered" NOERROR "$(d_status "$out")" "$out"
check_match "dns tcp: the refusal is logged with the address" "dns tcp: 1 connection\(s\) refused: over 3 open from one address \(last 127\.0\.0\.1\)" \
	"$(grep 'dns tcp: ' "$ADNS_LOG")"
kill_pid "$dns_hold" TERM 5
if wait_for 10 tcp_answered; then ok "dns tcp: once those 3 close, 127.0.0.1 is answered again"
else not_ok "dns tcp: once those 3 close, 127.0.0.1 is answered again"; fi

hold api1 127.0.0.1 "$API_PORT" 3
check "api: 3 connections from 127.0.0.1 (the limit) stay open" "open=3 closed=0" "$HOLD"
api_hold=$HOLD_PID
api GET /health
check "api: a 4th connection from 127.0.0.1 gets 503 too_many_connections" \
	'503 {"error":"too_many_connections"}' "$HTTP_CODE $HTTP_BODY"
code=$(curl -s -m 10 -o /dev/null -w '%{http_code}' --interface 127.0.0.2 "$API_URL/health")
check "api: another address (127.0.0.2) still gets 200" 200 "$code"
hold api2 127.0.0.5 "$API_PORT" 5
check "api: a trusted proxy (127.0.0.5) is not limited per address: 5 connections stay open" "open=5 closed=0" "$HOLD"
kill_pid "$HOLD_PID" TERM 5
kill_pid "$api_hold" TERM 5
_health_ok() { api GET /health; [ "$HTTP_CODE" = 200 ]; }
if wait_for 10 _health_ok; then ok "api: once those 3 close, 127.0.0.1 gets 200 again"
else not_ok "api: once those 3 close, 127.0.0.1 gets 200 again" "got $HTTP_CODE $HTTP_BODY"; fi

pad=$(head -c 600 /dev/zero | tr '\0' x)
api POST /register --data-binary "{\"allowfrom\": [], \"pad\": \"$pad\"}"
check "api max_body 512: a 640-byte body gets 413 body_too_large" '413 {"error":"body_too_large"}' "$HTTP_CODE $HTTP_BODY"
api GET /health -H "X-Pad: $(head -c 1500 /dev/zero | tr '\0' y)"
check "api max_headers 2048: a 1.5 kB header is fine" 200 "$HTTP_CODE"
api GET /health -H "X-Pad: $(head -c 3000 /dev/zero | tr '\0' y)"
case $HTTP_CODE in
4[0-9][0-9] | 000) ok "api max_headers 2048: a 3 kB header is refused ($HTTP_CODE)" ;;
*) not_ok "api max_headers 2048: a 3 kB header is refused with 4xx or a hang-up" "got $HTTP_CODE $HTTP_BODY" ;;
esac
stop_acmednsd "acme-dnsd stops cleanly (connection limits)"

finish
