#!/usr/bin/env bash
# bench/api.sh: challenge-value updates through the HTTP API with CLIENTS concurrent clients, acme-dnsd (acme-dns
# protocol, POST /update) against PowerDNS Authoritative 4.7 (its REST API, PATCH of the zone with a REPLACE of
# the TXT RRset, gsqlite3 backend), in interleaved rounds. For each: updates per second, the latency of the
# HTTP update, and the delay from the success answer (200 / 204) to the first UDP answer holding the new value
# (bench/tools/apiload.c). Also the storage ceiling: how many durable SQLite commits (WAL, synchronous=FULL)
# this disk takes per second. Prints medians and ratios; asserts nothing.
# Usage: bench/api.sh [BUILD_DIR] [CLIENTS] [SECONDS] [ROUNDS]     defaults: build 4 10 3
# Needs: pdns-server pdns-backend-sqlite3 sqlite3 curl dig, libcurl headers (make deps).
set -u
BUILD=$(cd "${1:-build}" 2>/dev/null && pwd) || { echo "api.sh: no build directory ${1:-build}" >&2; exit 1; }
CLIENTS=${2:-4}
DUR=${3:-10}
ROUNDS=${4:-3}
export ADNS_BUILD=$BUILD
export ADNSD=$BUILD/acme-dnsd
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../tests/integration/lib.sh"
. "$HERE/lib.sh"

die() { echo "api.sh: $*" >&2; exit 1; }
[ -x "$ADNSD" ] || die "$ADNSD is not built (make $ADNSD)"
for t in pdns_server sqlite3 curl dig pkg-config; do command -v "$t" >/dev/null || die "$t is not installed (make deps)"; done
[ -r /usr/share/pdns-backend-sqlite3/schema/schema.sqlite3.sql ] || die "pdns-backend-sqlite3 is not installed"
case "$CLIENTS$DUR$ROUNDS" in *[!0-9]*) die "CLIENTS, SECONDS and ROUNDS are numbers" ;; esac
[ "$CLIENTS" -ge 1 ] && [ "$CLIENTS" -le 256 ] || die "CLIENTS is 1 to 256"
bench_tool apiload || die "cannot compile bench/tools/apiload.c"
APILOAD=$TOOL
ZONE=auth.example.test
PDNS_KEY=bench-$RANDOM$RANDOM

# The server's CPU ticks (utime + stime, all threads).
cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{print $12 + $13}'; }
CLK=$(getconf CLK_TCK)

# ---- the storage ceiling: single-row commits through the sqlite3 shell on the disk of $T ----
ceiling() {
	local db=$T/ceiling.db n=2000 t0 t1
	rm -f "$db" "$db-wal" "$db-shm"
	sqlite3 "$db" 'PRAGMA journal_mode=WAL; CREATE TABLE t(v TEXT);' >/dev/null || return 1
	t0=$(date +%s%N)
	awk -v n=$n 'BEGIN {print "PRAGMA synchronous=FULL;"; for (i = 0; i < n; i++) printf "INSERT INTO t VALUES(%d);\n", i}' |
		sqlite3 "$db" || return 1
	t1=$(date +%s%N)
	awk -v n=$n -v ns=$((t1 - t0)) 'BEGIN {printf "%.0f", n / (ns / 1e9)}'
}
ceiling >/dev/null || die "sqlite3 commit test failed"

# ---- acme-dnsd ----
free_port DNS_PORT && free_port API_PORT || die "no free port"
mkdir -p "$T/adns"
write_config "$T/adns/acme-dnsd.yaml" listen6=no zone="$ZONE" store="$T/adns/store.db" log_level=warn \
	ns_addresses='[127.0.0.1]'
start_acmednsd "$T/adns/acme-dnsd.yaml" "$T/adns/acme-dnsd.log" >/dev/null || die "acme-dnsd did not start: $(tail -3 "$T/adns/acme-dnsd.log")"
A_PID=$ADNS_PID A_DNS=$DNS_PORT A_URL=$API_URL
: >"$T/adns/creds"
for ((i = 1; i <= CLIENTS; i++)); do
	register || die "POST /register: $HTTP_CODE $HTTP_BODY"
	echo "$REG_USER $REG_KEY $REG_SUB" >>"$T/adns/creds"
done

# ---- PowerDNS ----
free_port P_DNS && free_port P_API || die "no free port"
bench_start_pdns "$T" "$P_DNS" "$P_API" "$PDNS_KEY" || die "cannot set up PowerDNS"
P_PID=$SRV_PID P_URL=http://127.0.0.1:$P_API
_pdns_ready() {
	pid_alive "$P_PID" && [ "$(curl -s -o /dev/null -m 2 -w '%{http_code}' -H "X-API-Key: $PDNS_KEY" \
		"$P_URL/api/v1/servers/localhost")" = 200 ]
}
wait_for 30 _pdns_ready || die "PowerDNS did not start: $(tail -3 "$T/pdns/pdns.log")"
code=$(curl -s -o "$T/pdns/zone.json" -w '%{http_code}' -m 10 -H "X-API-Key: $PDNS_KEY" -X POST \
	"$P_URL/api/v1/servers/localhost/zones" \
	--data-binary "{\"name\": \"$ZONE.\", \"kind\": \"Native\", \"nameservers\": [\"ns1.$ZONE.\"]}")
[ "$code" = 201 ] || die "PowerDNS did not create the zone: $code $(cat "$T/pdns/zone.json")"
: >"$T/pdns/creds"
for ((i = 1; i <= CLIENTS; i++)); do echo "- - $(bench_name "$i")" >>"$T/pdns/creds"; done

echo "# $CLIENTS clients, $ROUNDS rounds of $DUR s per server, interleaved; one warm-up update per client first;"
echo "# a value counts as served when a UDP TXT answer holds it (not served within 1 s: counted at 1 s)."
echo "# PowerDNS $(pdns_server --version 2>&1 | sed -n 's/.*PowerDNS Authoritative Server \([^ ]*\).*/\1/p' | head -1)," \
	"gsqlite3 (WAL, synchronous=FULL), default caches (cache-ttl 20, query-cache-ttl 20)"
echo "# storage ceiling: single-row SQLite commits/s (WAL, synchronous=FULL) by the sqlite3 shell on the same disk,"
echo "# measured in every round too."

# run_one NAME: one apiload run against NAME; appends "NAME key value..." to $T/results.
run_one() {
	local s=$1 pid c0 c1 out rc
	case $s in
	acme-dnsd)
		pid=$A_PID
		c0=$(cpu_ticks "$pid")
		out=$("$APILOAD" -m adns -a "$A_URL" -p "$A_DNS" -z "$ZONE" -f "$T/adns/creds" -c "$CLIENTS" -t "$DUR" 2>"$T/err")
		rc=$? ;;
	pdns)
		pid=$P_PID
		c0=$(cpu_ticks "$pid")
		out=$("$APILOAD" -m pdns -k "$PDNS_KEY" -a "$P_URL" -p "$P_DNS" -z "$ZONE" -f "$T/pdns/creds" -c "$CLIENTS" \
			-t "$DUR" 2>"$T/err")
		rc=$? ;;
	esac
	c1=$(cpu_ticks "$pid")
	[ $rc -eq 0 ] && [ -n "$out" ] || die "apiload against $s failed ($rc): $(head -3 "$T/err")"
	[ -s "$T/err" ] && sed "s/^apiload: /# $s, first failure of a client: /" "$T/err" | head -1
	local cpu
	cpu=$(printf '%s\n' "$out" | awk -v c=$((c1 - c0)) -v hz="$CLK" '{for (i = 1; i < NF; i += 2) v[$i] = $(i + 1)}
		END {printf "%.0f", v["updates"] ? c / hz * 1e6 / v["updates"] : 0}')
	printf '%s %s cpu_us %s\n' "$s" "$out" "$cpu" >>"$T/results"
	printf '%s\n' "$out" | awk -v s="$s" -v r="$round" -v cpu="$cpu" '{for (i = 1; i < NF; i += 2) v[$i] = $(i + 1)}
		END {printf "# round %d %-9s %7.0f updates/s  http p50 %5d p99 %6d us  served p50 %5d p99 %6d max %7d us" \
			"  failed %d  not served %d  server CPU %d us/update\n", r, s, v["rate"], v["http_p50"], v["http_p99"],
			v["served_p50"], v["served_p99"], v["served_max"], v["errors"], v["not_served"], cpu}'
}

# col SERVER KEY: the values of KEY in SERVER's result lines, one a line.
col() { awk -v s="$1" -v k="$2" '$1 == s {for (i = 2; i < NF; i += 2) if ($i == k) print $(i + 1)}' "$T/results"; }
: >"$T/results"
servers=(acme-dnsd pdns)
for ((round = 1; round <= ROUNDS; round++)); do
	for ((k = 0; k < 2; k++)); do
		run_one "${servers[$(((k + round - 1) % 2))]}"
	done
	c=$(ceiling) || die "sqlite3 commit test failed"
	echo "ceiling rate $c" >>"$T/results"
	printf '# round %d ceiling   %7.0f commits/s\n' "$round" "$c"
done
CEIL=$(col ceiling rate | median)

sum() { awk '{t += $1} END {print t + 0}'; }
echo
printf '%-10s %10s %9s %9s %10s %10s %10s %11s %10s %9s %9s\n' server "updates/s" "http p50" "http p99" "served p50" \
	"served p99" "served max" "failed" "not served" "1st query" "CPU/upd"
for s in "${servers[@]}"; do
	rate=$(col "$s" rate | median) hp50=$(col "$s" http_p50 | median) hp99=$(col "$s" http_p99 | median)
	sp50=$(col "$s" served_p50 | median) sp99=$(col "$s" served_p99 | median)
	smax=$(col "$s" served_max | sort -n | tail -1) err=$(col "$s" errors | sum) ns=$(col "$s" not_served | sum)
	errp=$(awk -v e="$err" -v n="$(col "$s" updates | sum)" 'BEGIN {printf "%.0f%%", e + n ? 100 * e / (e + n) : 0}')
	cpu=$(col "$s" cpu_us | median) fq=$(col "$s" first_query | sum) n=$(col "$s" updates | sum)
	printf '%-10s %10.0f %7.0f us %7.0f us %7.0f us %7.0f us %7.0f us %6d %4s %10d %8.1f%% %6.0f us\n' "$s" "$rate" \
		"$hp50" "$hp99" "$sp50" "$sp99" "$smax" "$err" "$errp" "$ns" \
		"$(awk -v a="$fq" -v b="$n" 'BEGIN {print b ? 100 * a / b : 0}')" "$cpu"
	eval "R_${s//-/_}=$rate S_${s//-/_}=$sp99 H_${s//-/_}=$hp99"
done
printf '%-10s %10.0f   (single-row durable SQLite commits/s, the storage ceiling)\n' ceiling "$CEIL"
echo "(medians over the rounds; served max is the largest of any round; failed (updates not answered with success,"
echo " each retried at once with a new value; share of all attempts), not served and 1st query (the first DNS query"
echo " after the answer already had the value) are over all rounds; CPU/upd: server CPU time per successful update)"
if grep -q 'HTTP ISE' "$T/pdns/pdns.log" 2>/dev/null; then
	echo "PowerDNS's errors, as its log gives them (RRset names removed):"
	grep -o 'Exception: .*' "$T/pdns/pdns.log" | sed 's/RRSet [^ ]*/RRSet/' | sort | uniq -c | sort -rn | head -3 | sed 's/^/  /'
fi
echo
awk -v ra="$R_acme_dnsd" -v rp="$R_pdns" -v sa="$S_acme_dnsd" -v sp="$S_pdns" -v ha="$H_acme_dnsd" -v hp="$H_pdns" \
	-v ceil="$CEIL" 'BEGIN {
	printf "updates/s ratio       acme-dnsd/PowerDNS %.2f   (above 1: acme-dnsd takes more updates)\n", ra / rp
	printf "http p99 ratio        acme-dnsd/PowerDNS %.2f   (below 1: acme-dnsd answers faster)\n", ha / hp
	printf "served p99 ratio      acme-dnsd/PowerDNS %.2f   (below 1: the value is served sooner after the answer)\n", sa / sp
	printf "storage ratio         acme-dnsd/ceiling  %.2f   (near 1: acme-dnsd is limited by durable commits)\n", ra / ceil
	printf "targets (printed, not asserted): served p99 <= 1000 us: acme-dnsd %s\n", (sa <= 1000 ? "met" : "missed")
}'
stop_acmednsd "acme-dnsd stops" >/dev/null
kill_pid "$P_PID" TERM 10
exit 0
