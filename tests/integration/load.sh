#!/usr/bin/env bash
# Bounded load on loopback: a dnsperf flood of challenge queries and concurrent API updates at the same time.
# Every update answered 200 must be served (apiload looks for each new value in DNS right after its answer), and
# the API must keep answering within its timeout (no transport error, slowest answer under api.timeout). Bounded:
# 6 s of flood, 4 clients for 5 s each. Updates that arrive together must share a commit.
. "$(dirname "$0")/lib.sh"
. "$REPO/bench/lib.sh"

require_tools dnsperf curl pkg-config
require_daemon

free_port DNS_PORT && free_port API_PORT || exit 1
write_config "$T/acme-dnsd.yaml" log_level=debug
start_acmednsd "$T/acme-dnsd.yaml" || exit 1
bench_tool apiload || { not_ok "bench/tools/apiload.c builds"; exit 1; }

CLIENTS=4
: >"$T/creds"
for ((i = 0; i < CLIENTS; i++)); do
	register || { not_ok "register account $i"; exit 1; }
	echo "$REG_USER $REG_KEY $REG_SUB" >>"$T/creds"
	SUBS[i]=$REG_SUB
done
# The flood: TXT queries for the accounts' names (hits) and for names nobody has (NXDOMAIN), no RD.
for ((q = 0; q < 2000; q++)); do
	if ((q % 4)); then echo "${SUBS[q % CLIENTS]}.auth.example.test TXT"; else echo "nx$q.auth.example.test TXT"; fi
done >"$T/queries"

dnsperf -s 127.0.0.1 -p "$DNS_PORT" -d "$T/queries" -l 6 -c 2 -T 1 >"$T/dnsperf.out" 2>&1 &
PERF=$!
track_pid "$PERF"
sleep 0.5
"$TOOL" -m adns -a "$API_URL" -p "$DNS_PORT" -z auth.example.test -f "$T/creds" -c "$CLIENTS" -t 5 -n 2000 \
	-w 2000 >"$T/apiload.out" 2>"$T/apiload.err"
rc=$?
wait "$PERF"
untrack_pid "$PERF"
L=$(cat "$T/apiload.out")
get() { printf '%s\n' "$L" | tr ' ' '\n' | awk -v k="$1" 'prev == k {print; exit} {prev = $0}'; }
qps=$(awk '/Queries per second:/ {printf "%.0f", $4}' "$T/dnsperf.out")
echo "# under ${qps:-?} DNS queries/s: $(get updates) updates in $(get seconds) s, http p99 $(get http_p99) us max $(get http_max) us, served p99 $(get served_p99) us"
check "apiload ran and updates succeeded" 0 "$rc" "$L" "$(cat "$T/apiload.err")"
check "the DNS flood ran (dnsperf answered)" yes "$([ "${qps:-0}" -gt 0 ] && echo yes || echo no)" "$(tail -20 "$T/dnsperf.out")"
check "every update answered 200 was served right after (not served: 0)" 0 "$(get not_served)" "$L"
check "no update failed (transport error or status other than 200)" 0 "$(get errors)" "$L"
check "the slowest API answer stayed within api.timeout (10 s)" yes \
	"$([ "$(get http_max)" -lt 10000000 ] 2>/dev/null && echo yes || echo no)" "$L"
echo "# dnsperf: $(grep -E 'Queries (sent|completed|lost)' "$T/dnsperf.out" | tr -s ' ' | tr '\n' ';')"
# Updates that arrive together share one durable commit (acme-dnsd logs each shared one at debug level).
batches=$(grep -c 'updates in one commit' "$ADNS_LOG")
echo "# commits shared by several updates: $batches, largest: $(grep -o '[0-9]* updates in one commit' "$ADNS_LOG" | sort -n | tail -1)"
check "concurrent updates shared commits (group commit)" yes "$([ "$batches" -gt 0 ] && echo yes || echo no)"
stop_acmednsd
finish
