#!/usr/bin/env bash
# bench/scale.sh: acme-dnsd with few and with many registered subdomains (default 1,000 and 1,000,000), against
# Knot DNS serving the same names from a zone file, measured in the same run. For each size and server: start-up
# time (from exec to the first answer holding the value of the last name), resident memory (VmRSS and VmHWM from
# /proc after start and at the end), queries per second and server CPU per query with dnsperf (the query file of
# bench/lib.sh: TXT hits spread over every name, NXDOMAIN, NODATA, SOA), and for acme-dnsd the latency of API
# updates from one client (bench/tools/apiload.c: HTTP answer, then the delay until the value is served).
# Every server stays up once started, so the dnsperf runs go in interleaved rounds over all (size, server) pairs.
# Prints a table and the ratios largest/smallest size; asserts nothing.
# Usage: bench/scale.sh [BUILD_DIR] [SIZES] [SECONDS] [UPDATES] [ROUNDS]
#        defaults: build "1000 1000000" 10 300 3   (SECONDS: each dnsperf run; UPDATES: API updates measured)
# Needs: dnsperf knot (knotd) sqlite3 dig curl, libcurl headers (make deps). About 600 MB in $TMPDIR and 1.5 GB of
# memory for 1,000,000 names (both servers of every size run at once).
set -u
BUILD=$(cd "${1:-build}" 2>/dev/null && pwd) || { echo "scale.sh: no build directory ${1:-build}" >&2; exit 1; }
SIZES=${2:-1000 1000000}
DUR=${3:-10}
UPDATES=${4:-300}
ROUNDS=${5:-3}
export ADNS_BUILD=$BUILD
export ADNSD=$BUILD/acme-dnsd
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../tests/integration/lib.sh"
. "$HERE/lib.sh"

die() { echo "scale.sh: $*" >&2; exit 1; }
[ -x "$ADNSD" ] || die "$ADNSD is not built (make $ADNSD)"
for t in dnsperf knotd sqlite3 dig curl pkg-config; do command -v "$t" >/dev/null || die "$t is not installed (make deps)"; done
for n in $SIZES; do case $n in '' | *[!0-9]*) die "SIZES are numbers: $SIZES" ;; esac; done
case "$DUR$UPDATES$ROUNDS" in *[!0-9]*) die "SECONDS, UPDATES and ROUNDS are numbers" ;; esac
bench_tool apiload || die "cannot compile bench/tools/apiload.c"
APILOAD=$TOOL
ZONE=auth.example.test
CLK=$(getconf CLK_TCK)
STARTUP_MAX=120     # seconds a server may take to answer the last name
SERVERS=(acme-dnsd knot)

cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{print $12 + $13}'; }
# mem PID: "VmRSS VmHWM" in kB.
mem() { awk '/^VmRSS:/ {r = $2} /^VmHWM:/ {h = $2} END {print r + 0, h + 0}' "/proc/$1/status" 2>/dev/null; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
# served PORT NAME: the TXT of NAME holds the benchmark's value.
served() { dig @127.0.0.1 -p "$1" +time=1 +tries=1 +short TXT "$2.$ZONE" 2>/dev/null | grep -q "$BENCH_VALUE"; }
# key SERVER N: the name of the variables of one (server, size) pair.
key() { printf '%s_%s' "${1//-/_}" "$2"; }
# rec SERVER N KEY VALUE: one figure into $T/results.
rec() { echo "$1 $2 $3 $4" >>"$T/results"; }
# get SERVER N KEY: its figures, one a line.
get() { awk -v s="$1" -v n="$2" -v k="$3" '$1 == s && $2 == n && $3 == k {print $4}' "$T/results"; }

# start SERVER N DIR: starts it, waits until the last name is served; records start-up, CPU and memory.
start() {
	local s=$1 n=$2 dir=$3 port t0 t1 i last pid k rss hwm
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
	k=$(key "$s" "$n")
	printf -v "PID_$k" '%s' "$pid"
	printf -v "PORT_$k" '%s' "$port"
	read -r rss hwm <<<"$(mem "$pid")"
	rec "$s" "$n" startup_ms $((t1 - t0))
	rec "$s" "$n" startup_cpu_ms "$(awk -v c="$(cpu_ticks "$pid")" -v hz="$CLK" 'BEGIN {printf "%.0f", c / hz * 1000}')"
	rec "$s" "$n" rss0_kb "$rss"
	printf '# %-9s %8d names: start-up %6d ms (CPU %s ms), RSS %.1f MB\n' "$s" "$n" $((t1 - t0)) \
		"$(get "$s" "$n" startup_cpu_ms)" "$(awk -v r="$rss" 'BEGIN {print r / 1024}')"
}

# qrun SERVER N: one dnsperf run; records qps and CPU per query.
qrun() {
	local s=$1 n=$2 k pid port c0 c1 out qps done_q lost
	k=$(key "$s" "$n")
	pid=PID_$k port=PORT_$k
	pid=${!pid} port=${!port}
	c0=$(cpu_ticks "$pid")
	out=$(dnsperf -s 127.0.0.1 -p "$port" -d "$T/n$n/queries" -l "$DUR" -c 4 -T 1 2>&1)
	c1=$(cpu_ticks "$pid")
	qps=$(printf '%s\n' "$out" | awk '/Queries per second:/ {print $4}')
	done_q=$(printf '%s\n' "$out" | awk '/Queries completed:/ {print $3}')
	lost=$(printf '%s\n' "$out" | awk '/Queries lost:/ {print $3}')
	[ -n "$qps" ] && [ -n "${done_q:-}" ] && [ "$done_q" -gt 0 ] || { echo "# dnsperf against $s/$n: $out" >&2; return 1; }
	rec "$s" "$n" qps "$qps"
	rec "$s" "$n" cpu_us "$(awk -v c=$((c1 - c0)) -v hz="$CLK" -v q="$done_q" 'BEGIN {printf "%.2f", c / hz * 1e6 / q}')"
	printf '# round %d %-9s %8d names %9.0f qps  %5s us CPU/query  lost %s\n' "$round" "$s" "$n" "$qps" \
		"$(get "$s" "$n" cpu_us | tail -1)" "$lost"
}

# updates N: one account registered through acme-dnsd's API (the seeded accounts share a hash of no known key),
# then UPDATES updates from one apiload client.
updates() {
	local n=$1 k pid port api reg user key sub lo f
	k=$(key acme-dnsd "$n")
	port=PORT_$k
	port=${!port}
	api=$(sed -n 's/^  listen: "\(.*\)"$/\1/p' "$T/n$n/acme-dnsd.yaml" | head -1)
	reg=$(curl -s -m 10 -X POST "http://$api/register")
	user=$(json_str "$reg" username) key=$(json_str "$reg" password) sub=$(json_str "$reg" subdomain)
	[ -n "$user" ] && [ -n "$key" ] && [ -n "$sub" ] || { echo "# POST /register failed: $reg" >&2; return 1; }
	echo "$user $key $sub" >"$T/n$n/creds"
	lo=$("$APILOAD" -m adns -a "http://$api" -p "$port" -z "$ZONE" -f "$T/n$n/creds" -c 1 -n "$UPDATES" -t 60 \
		2>"$T/n$n/apiload.err") || { echo "# apiload: $(head -2 "$T/n$n/apiload.err")" >&2; return 1; }
	for f in http_p50 http_p99 served_p50 served_p99 updates; do
		rec acme-dnsd "$n" "$f" "$(printf '%s\n' "$lo" | awk -v f=$f '{for (i = 1; i < NF; i += 2) if ($i == f) print $(i + 1)}')"
	done
	printf '# updates   %8d names: %s updates, http p50/p99 %s/%s us, served p50/p99 %s/%s us\n' "$n" \
		"$(get acme-dnsd "$n" updates)" "$(get acme-dnsd "$n" http_p50)" "$(get acme-dnsd "$n" http_p99)" \
		"$(get acme-dnsd "$n" served_p50)" "$(get acme-dnsd "$n" served_p99)"
}

: >"$T/results"
echo "# sizes: $SIZES; $ROUNDS interleaved rounds of dnsperf -c 4 -T 1 for $DUR s per (size, server) after a 1 s"
echo "# warm-up; 1 UDP worker each; $UPDATES API updates (1 client) on acme-dnsd; start-up = exec to the first answer"
echo "# with the value of the last name (polled every 20 ms); every server stays up until the end"
pairs=()
for n in $SIZES; do
	dir=$T/n$n
	mkdir -p "$dir"
	t0=$(now_ms)
	bench_zone_data "$dir" "$ZONE" "$n" || die "cannot write the data for $n names"
	echo "# $n names: store $(($(stat -c %s "$dir/zone.db") / 1048576)) MB, zone file $(($(stat -c %s "$dir/zone.zone") / 1048576)) MB, written in $(($(now_ms) - t0)) ms"
	for s in "${SERVERS[@]}"; do
		start "$s" "$n" "$dir" || die "$s with $n names failed (see $dir)"
		pairs+=("$s $n")
	done
done
round=0
for ((k = 0; k < ${#pairs[@]}; k++)); do
	k2=$(key ${pairs[$k]}) && p=PORT_$k2 && n=${pairs[$k]#* }
	dnsperf -s 127.0.0.1 -p "${!p}" -d "$T/n$n/queries" -l 1 -c 4 -T 1 >/dev/null 2>&1   # warm-up
done
for ((round = 1; round <= ROUNDS; round++)); do
	for ((k = 0; k < ${#pairs[@]}; k++)); do
		qrun ${pairs[$(((k + round - 1) % ${#pairs[@]}))]} || die "dnsperf failed"
	done
done
for n in $SIZES; do updates "$n" || die "updates with $n names failed"; done
for n in $SIZES; do
	for s in "${SERVERS[@]}"; do
		k=$(key "$s" "$n") && p=PID_$k
		read -r rss hwm <<<"$(mem "${!p}")"
		rec "$s" "$n" rss1_kb "$rss"
		rec "$s" "$n" hwm1_kb "$hwm"
		kill_pid "${!p}" TERM 30
	done
done

# fig SERVER N KEY: the median of its figures, or - when there are none.
fig() { local v; v=$(get "$@" | median); [ "$v" = nan ] && v=-; echo "$v"; }
echo
printf '%-10s %9s %10s %9s %9s %9s %9s %9s %10s %10s %11s\n' server names "start-up" "RSS start" "RSS end" "RSS peak" \
	qps "CPU/q" "upd p50" "upd p99" "served p99"
for n in $SIZES; do
	for s in "${SERVERS[@]}"; do
		printf '%-10s %9d %7d ms %6.1f MB %6.1f MB %6.1f MB %9.0f %6.2f us %7s us %7s us %8s us\n' "$s" "$n" \
			"$(fig "$s" "$n" startup_ms)" "$(awk -v k="$(fig "$s" "$n" rss0_kb)" 'BEGIN {print k / 1024}')" \
			"$(awk -v k="$(fig "$s" "$n" rss1_kb)" 'BEGIN {print k / 1024}')" \
			"$(awk -v k="$(fig "$s" "$n" hwm1_kb)" 'BEGIN {print k / 1024}')" "$(fig "$s" "$n" qps)" \
			"$(fig "$s" "$n" cpu_us)" "$(fig "$s" "$n" http_p50)" "$(fig "$s" "$n" http_p99)" "$(fig "$s" "$n" served_p99)"
	done
done
echo "(qps and CPU/q: medians of $ROUNDS rounds; RSS end and peak: VmRSS and VmHWM after the dnsperf rounds and the updates)"
set -- $SIZES
small=$1
big=${!#}
[ "$small" != "$big" ] || exit 0
echo
echo "ratios $big/$small names (qps, CPU/query: 1.00 = no change; start-up, memory, latency: how many times more)"
for s in "${SERVERS[@]}"; do
	awk -v s="$s" -v q0="$(fig "$s" "$small" qps)" -v q1="$(fig "$s" "$big" qps)" \
		-v c0="$(fig "$s" "$small" cpu_us)" -v c1="$(fig "$s" "$big" cpu_us)" \
		-v t0="$(fig "$s" "$small" startup_ms)" -v t1="$(fig "$s" "$big" startup_ms)" \
		-v m0="$(fig "$s" "$small" hwm1_kb)" -v m1="$(fig "$s" "$big" hwm1_kb)" \
		-v u0="$(fig "$s" "$small" http_p99)" -v u1="$(fig "$s" "$big" http_p99)" 'BEGIN {
		printf "  %-10s qps %.2f   CPU/query %.2f   start-up %.1fx   peak RSS %.1fx", s, q1 / q0, c1 / c0,
			t1 / (t0 ? t0 : 1), m1 / m0
		if (u0 != "-" && u0 > 0) printf "   update p99 %.2fx", u1 / u0
		printf "\n"}'
done
awk -v qa="$(fig acme-dnsd "$big" qps)" -v qk="$(fig knot "$big" qps)" -v ta="$(fig acme-dnsd "$big" startup_ms)" \
	-v tk="$(fig knot "$big" startup_ms)" -v ma="$(fig acme-dnsd "$big" hwm1_kb)" -v mk="$(fig knot "$big" hwm1_kb)" \
	-v n="$big" 'BEGIN {
	printf "acme-dnsd/Knot at %s names: qps %.2f   start-up %.2f   peak RSS %.2f\n", n, qa / qk, ta / tk, ma / mk
}'
awk -v q0="$(fig acme-dnsd "$small" qps)" -v q1="$(fig acme-dnsd "$big" qps)" -v t1="$(fig acme-dnsd "$big" startup_ms)" \
	-v m1="$(fig acme-dnsd "$big" hwm1_kb)" -v n="$big" 'BEGIN {
	printf "targets at %s names (printed, not asserted): qps within 10%% of the small size: %s (%.2f); start-up under 2 s: %s" \
		" (%.1f s); resident memory under 256 MB: %s (peak %.0f MB)\n", n, (q1 >= 0.9 * q0 ? "met" : "missed"), q1 / q0,
		(t1 < 2000 ? "met" : "missed"), t1 / 1000, (m1 < 262144 ? "met" : "missed"), m1 / 1024
}'
exit 0
