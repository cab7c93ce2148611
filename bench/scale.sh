#!/usr/bin/env bash
# bench/scale.sh: acme-dnsd with few and with many registered subdomains (default 1,000 and 1,000,000), against
# Knot DNS serving the same names from a zone file, measured in the same run. For each size and server: start-up
# time (from exec to the first answer holding the value of the last name), resident memory (VmRSS and VmHWM from
# /proc after start and after the load), queries per second and server CPU per query with dnsperf (the query file
# of bench/lib.sh: TXT hits spread over every name, NXDOMAIN, NODATA, SOA), and for acme-dnsd the latency of API
# updates from one client (bench/tools/apiload.c: HTTP answer, then the delay until the value is served).
# Prints a table and the ratios largest/smallest size; asserts nothing.
# Usage: bench/scale.sh [BUILD_DIR] [SIZES] [SECONDS] [UPDATES]
#        defaults: build "1000 1000000" 10 300      (SECONDS: each dnsperf run; UPDATES: API updates measured)
# Needs: dnsperf knot (knotd) sqlite3 dig curl, libcurl headers (make deps). About 1.5 GB in $TMPDIR for 1,000,000.
set -u
BUILD=$(cd "${1:-build}" 2>/dev/null && pwd) || { echo "scale.sh: no build directory ${1:-build}" >&2; exit 1; }
SIZES=${2:-1000 1000000}
DUR=${3:-10}
UPDATES=${4:-300}
export ADNS_BUILD=$BUILD
export ADNSD=$BUILD/acme-dnsd
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../tests/integration/lib.sh"
. "$HERE/lib.sh"

die() { echo "scale.sh: $*" >&2; exit 1; }
[ -x "$ADNSD" ] || die "$ADNSD is not built (make $ADNSD)"
for t in dnsperf knotd sqlite3 dig curl pkg-config; do command -v "$t" >/dev/null || die "$t is not installed (make deps)"; done
for n in $SIZES; do case $n in '' | *[!0-9]*) die "SIZES are numbers: $SIZES" ;; esac; done
case "$DUR$UPDATES" in *[!0-9]*) die "SECONDS and UPDATES are numbers" ;; esac
bench_tool apiload || die "cannot compile bench/tools/apiload.c"
APILOAD=$TOOL
ZONE=auth.example.test
CLK=$(getconf CLK_TCK)
STARTUP_MAX=120     # seconds a server may take to answer the last name

cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{print $12 + $13}'; }
# mem PID: "VmRSS VmHWM" in kB.
mem() { awk '/^VmRSS:/ {r = $2} /^VmHWM:/ {h = $2} END {print r + 0, h + 0}' "/proc/$1/status" 2>/dev/null; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# served PORT NAME: the TXT of NAME holds the benchmark's value.
served() { dig @127.0.0.1 -p "$1" +time=1 +tries=1 +short TXT "$2.$ZONE" 2>/dev/null | grep -q "$BENCH_VALUE"; }

# measure SERVER N DIR: one run; appends "SERVER N key value..." to $T/results and prints it.
measure() {
	local s=$1 n=$2 dir=$3 port t0 t1 i last pid c0 c1 out qps done_q lost rss0 hwm0 rss1 hwm1 cpu_start
	local upd="http_p50 - http_p99 - served_p50 - served_p99 - upd_rate -"
	free_port port || return 1
	last=$(bench_name "$n")
	t0=$(now_ms)
	case $s in
	acme-dnsd) bench_start_acmednsd "$dir" "$ZONE" "$port" 1 ;;
	knot) bench_start_knot "$dir" "$ZONE" "$port" 1 ;;
	esac
	pid=$SRV_PID
	for ((i = 0; i < STARTUP_MAX * 50; i++)); do
		served "$port" "$last" && break
		pid_alive "$pid" || break
		sleep 0.02
		[ $(($(now_ms) - t0)) -gt $((STARTUP_MAX * 1000)) ] && break
	done
	t1=$(now_ms)
	served "$port" "$last" || { echo "# $s with $n names did not answer $last within $STARTUP_MAX s" >&2; return 1; }
	cpu_start=$(cpu_ticks "$pid")
	read -r rss0 hwm0 <<<"$(mem "$pid")"
	dnsperf -s 127.0.0.1 -p "$port" -d "$dir/queries" -l 1 -c 4 -T 1 >/dev/null 2>&1   # warm-up
	c0=$(cpu_ticks "$pid")
	out=$(dnsperf -s 127.0.0.1 -p "$port" -d "$dir/queries" -l "$DUR" -c 4 -T 1 2>&1)
	c1=$(cpu_ticks "$pid")
	qps=$(printf '%s\n' "$out" | awk '/Queries per second:/ {print $4}')
	done_q=$(printf '%s\n' "$out" | awk '/Queries completed:/ {print $3}')
	lost=$(printf '%s\n' "$out" | awk '/Queries lost:/ {print $3}')
	[ -n "$qps" ] && [ -n "${done_q:-}" ] && [ "$done_q" -gt 0 ] || { echo "# dnsperf against $s: $out" >&2; return 1; }
	if [ "$s" = acme-dnsd ]; then
		# One new account through the API (the seeded ones share a hash nobody knows), then UPDATES updates.
		local api reg user key sub lo
		api=$(sed -n 's/^  listen: "\(.*\)"$/\1/p' "$dir/acme-dnsd.yaml" | head -1)
		reg=$(curl -s -m 10 -X POST "http://$api/register")
		user=$(json_str "$reg" username) key=$(json_str "$reg" password) sub=$(json_str "$reg" subdomain)
		if [ -n "$user" ] && [ -n "$key" ] && [ -n "$sub" ]; then
			echo "$user $key $sub" >"$dir/creds"
			lo=$("$APILOAD" -m adns -a "http://$api" -p "$port" -z "$ZONE" -f "$dir/creds" -c 1 -n "$UPDATES" \
				-t 60 2>"$dir/apiload.err")
			upd=$(printf '%s\n' "$lo" | awk '{for (i = 1; i < NF; i += 2) v[$i] = $(i + 1)}
				END {printf "http_p50 %s http_p99 %s served_p50 %s served_p99 %s upd_rate %s upd_n %s",
					v["http_p50"], v["http_p99"], v["served_p50"], v["served_p99"], v["rate"], v["updates"]}')
			[ -s "$dir/apiload.err" ] && sed 's/^/# /' "$dir/apiload.err" | head -2
		else
			echo "# POST /register failed: $reg" >&2
		fi
	fi
	read -r rss1 hwm1 <<<"$(mem "$pid")"
	kill_pid "$pid" TERM 30
	local line
	line=$(awk -v s="$s" -v n="$n" -v st=$((t1 - t0)) -v cs="$cpu_start" -v hz="$CLK" -v r0="$rss0" -v h0="$hwm0" \
		-v r1="$rss1" -v h1="$hwm1" -v qps="$qps" -v c=$((c1 - c0)) -v q="$done_q" -v lost="$lost" -v upd="$upd" 'BEGIN {
		printf "%s %s startup_ms %d startup_cpu_ms %.0f rss0_kb %d hwm0_kb %d rss1_kb %d hwm1_kb %d qps %.0f cpu_us %.2f lost %d %s",
			s, n, st, cs / hz * 1000, r0, h0, r1, h1, qps, c / hz * 1e6 / q, lost, upd}')
	echo "$line" >>"$T/results"
	echo "$line" | awk '{for (i = 3; i < NF; i += 2) v[$i] = $(i + 1)
		printf "# %-9s %8d names: start-up %6d ms (CPU %6d ms)  RSS %7.1f MB (after load %7.1f, peak %7.1f)" \
			"  %7.0f qps  %5.2f us CPU/query", $1, $2, v["startup_ms"], v["startup_cpu_ms"], v["rss0_kb"] / 1024,
			v["rss1_kb"] / 1024, v["hwm1_kb"] / 1024, v["qps"], v["cpu_us"]
		if (v["http_p50"] != "-") printf "  update http p50/p99 %d/%d us, served p50/p99 %d/%d us", v["http_p50"],
			v["http_p99"], v["served_p50"], v["served_p99"]
		printf "\n"}'
}

: >"$T/results"
echo "# sizes: $SIZES; dnsperf -c 4 -T 1 for $DUR s after a 1 s warm-up; 1 UDP worker each; $UPDATES API updates"
echo "# (1 client) on acme-dnsd; start-up = exec to the first answer with the value of the last name (polled every 20 ms)"
for n in $SIZES; do
	dir=$T/n$n
	mkdir -p "$dir"
	t0=$(now_ms)
	bench_zone_data "$dir" "$ZONE" "$n" || die "cannot write the data for $n names"
	echo "# $n names: store $(($(stat -c %s "$dir/zone.db") / 1048576)) MB, zone file $(($(stat -c %s "$dir/zone.zone") / 1048576)) MB, written in $(($(now_ms) - t0)) ms"
	measure acme-dnsd "$n" "$dir" || die "acme-dnsd with $n names failed (see $dir)"
	measure knot "$n" "$dir" || die "Knot with $n names failed (see $dir)"
	rm -f "$dir/zone.db" "$dir/zone.db-wal" "$dir/zone.db-shm" "$dir/knot/$ZONE.zone"   # room for the next size
done

# get SERVER N KEY
get() { awk -v s="$1" -v n="$2" -v k="$3" '$1 == s && $2 == n {for (i = 3; i < NF; i += 2) if ($i == k) print $(i + 1)}' "$T/results"; }
echo
printf '%-10s %9s %10s %9s %9s %9s %9s %9s %10s %10s %11s\n' server names "start-up" "RSS start" "RSS end" "RSS peak" \
	qps "CPU/q" "upd p50" "upd p99" "served p99"
for n in $SIZES; do
	for s in acme-dnsd knot; do
		awk -v s="$s" -v n="$n" '$1 == s && $2 == n {for (i = 3; i < NF; i += 2) v[$i] = $(i + 1)
			printf "%-10s %9d %7d ms %6.1f MB %6.1f MB %6.1f MB %9.0f %6.2f us %7s us %7s us %8s us\n", s, n,
				v["startup_ms"], v["rss0_kb"] / 1024, v["rss1_kb"] / 1024, v["hwm1_kb"] / 1024, v["qps"], v["cpu_us"],
				v["http_p50"], v["http_p99"], v["served_p99"]}' "$T/results"
	done
done
set -- $SIZES
small=$1
big=${!#}
[ "$small" != "$big" ] || exit 0
echo
echo "ratios $big/$small names (qps: 1.00 = no loss; start-up, memory, latency: how many times more)"
for s in acme-dnsd knot; do
	awk -v s="$s" -v q0="$(get "$s" "$small" qps)" -v q1="$(get "$s" "$big" qps)" \
		-v t0="$(get "$s" "$small" startup_ms)" -v t1="$(get "$s" "$big" startup_ms)" \
		-v m0="$(get "$s" "$small" hwm1_kb)" -v m1="$(get "$s" "$big" hwm1_kb)" \
		-v u0="$(get "$s" "$small" http_p99)" -v u1="$(get "$s" "$big" http_p99)" 'BEGIN {
		printf "  %-10s qps %.2f   start-up %.1fx   peak RSS %.1fx", s, q1 / q0, t1 / (t0 ? t0 : 1), m1 / m0
		if (u0 != "-" && u0 > 0) printf "   update p99 %.2fx", u1 / u0
		printf "\n"}'
done
awk -v qa="$(get acme-dnsd "$big" qps)" -v qk="$(get knot "$big" qps)" -v ta="$(get acme-dnsd "$big" startup_ms)" \
	-v tk="$(get knot "$big" startup_ms)" -v ma="$(get acme-dnsd "$big" hwm1_kb)" -v mk="$(get knot "$big" hwm1_kb)" 'BEGIN {
	printf "acme-dnsd/Knot at %s names: qps %.2f   start-up %.2f   peak RSS %.2f\n", "'"$big"'", qa / qk, ta / tk, ma / mk
}'
awk -v q0="$(get acme-dnsd "$small" qps)" -v q1="$(get acme-dnsd "$big" qps)" -v t1="$(get acme-dnsd "$big" startup_ms)" \
	-v m1="$(get acme-dnsd "$big" hwm1_kb)" -v n="$big" 'BEGIN {
	printf "targets at %s names (printed, not asserted): qps within 10%% of the small size: %s (%.2f); start-up under 2 s: %s" \
		" (%.1f s); resident memory under 256 MB: %s (peak %.0f MB)\n", n, (q1 >= 0.9 * q0 ? "met" : "missed"), q1 / q0,
		(t1 < 2000 ? "met" : "missed"), t1 / 1000, (m1 < 262144 ? "met" : "missed"), m1 / 1024
}'
exit 0
