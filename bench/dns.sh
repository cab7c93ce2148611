#!/usr/bin/env bash
# bench/dns.sh: the same challenge zone (apex SOA/NS/A + NAMES challenge TXT names) served by acme-dnsd, Knot DNS
# and NSD, each in turn on loopback, measured with the same dnsperf query file for the same duration, in
# interleaved rounds. Prints queries per second and server CPU time per query (utime + stime of the server
# process from /proc, before and after each run) and the ratios acme-dnsd/Knot and acme-dnsd/NSD. Asserts
# nothing: the machines are noisy, only ratios from one run mean something.
# Usage: bench/dns.sh [BUILD_DIR] [ROUNDS] [SECONDS] [NAMES] [WORKERS]
#        defaults: build 3 10 10000 1   (WORKERS: UDP worker threads/processes each server gets)
# Needs: dnsperf knot (knotd) nsd sqlite3 dig (make deps installs them).
set -u
BUILD=$(cd "${1:-build}" 2>/dev/null && pwd) || { echo "dns.sh: no build directory ${1:-build}" >&2; exit 1; }
ROUNDS=${2:-3}
DUR=${3:-10}
NAMES=${4:-10000}
WORKERS=${5:-1}
export ADNS_BUILD=$BUILD
export ADNSD=$BUILD/acme-dnsd
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../tests/integration/lib.sh"
. "$HERE/lib.sh"

die() { echo "dns.sh: $*" >&2; exit 1; }
[ -x "$ADNSD" ] || die "$ADNSD is not built (make $ADNSD)"
for t in dnsperf knotd nsd sqlite3 dig; do command -v "$t" >/dev/null || die "$t is not installed (make deps)"; done

ZONE=auth.example.test
free_port PORT || die "no free port"
bench_zone_data "$T" "$ZONE" "$NAMES"          # $T/zone.db (acme-dnsd store), $T/zone.zone, $T/queries
echo "# $NAMES challenge names in $ZONE; $(wc -l <"$T/queries") queries in the file (TXT hits 70%, NXDOMAIN 10%," \
	"NODATA 10%, SOA 10%); $ROUNDS rounds of $DUR s per server, interleaved; $WORKERS worker(s) each;" \
	"dnsperf -c 4 -T 1 on the same 2 cores"

# start_server NAME: starts NAME on 127.0.0.1:$PORT; sets SRV_PID. stop_server: stops it.
start_server() {
	SRV_PID=""
	case $1 in
	acme-dnsd) bench_start_acmednsd "$T" "$ZONE" "$PORT" "$WORKERS" ;;
	knot) bench_start_knot "$T" "$ZONE" "$PORT" "$WORKERS" ;;
	nsd) bench_start_nsd "$T" "$ZONE" "$PORT" "$WORKERS" ;;
	esac
	[ -n "$SRV_PID" ] || return 1
	# Ready when the last challenge name is answered with its value (dig +short prints its own errors on stdout,
	# so any output is not enough).
	_ready() { dig @127.0.0.1 -p "$PORT" +time=1 +tries=1 +short TXT "$(bench_name "$NAMES").$ZONE" | grep -q "$BENCH_VALUE"; }
	wait_for 30 _ready && pid_alive "$SRV_PID" || { echo "# $1 does not answer on port $PORT" >&2; return 1; }
}
stop_server() {
	[ -n "$SRV_PID" ] && kill_pid "$SRV_PID" TERM 10
	SRV_PID=""
}

# The CPU ticks (utime + stime) of a process and all its threads; for NSD the server's children too.
cpu_ticks() {
	local p t=0 f
	for p in "$@"; do
		f=/proc/$p/stat
		[ -r "$f" ] || continue
		# Fields after the command name, which may hold spaces ("(nsd: server 1)"): utime and stime are 12 and 13.
		t=$((t + $(sed 's/.*) //' "$f" | awk '{print $12 + $13}')))
	done
	echo "$t"
}
# The server and every descendant (NSD serves from forked children).
server_pids() {
	local todo=$SRV_PID p
	while [ -n "$todo" ]; do
		set -- $todo
		p=$1
		shift
		todo="$* $(pgrep -P "$p" 2>/dev/null | tr '\n' ' ')"
		todo=${todo# }
		echo "$p"
	done
}

results=$T/results
: >"$results"
CLK=$(getconf CLK_TCK)
servers=(acme-dnsd knot nsd)
for ((round = 1; round <= ROUNDS; round++)); do
	for ((k = 0; k < ${#servers[@]}; k++)); do
		s=${servers[$(((k + round - 1) % ${#servers[@]}))]}
		start_server "$s" || die "$s did not start (see $T)"
		dnsperf -s 127.0.0.1 -p "$PORT" -d "$T/queries" -l 1 -c 4 -T 1 >/dev/null 2>&1   # warm-up
		pids=$(server_pids)
		c0=$(cpu_ticks $pids)
		out=$(dnsperf -s 127.0.0.1 -p "$PORT" -d "$T/queries" -l "$DUR" -c 4 -T 1 2>&1)
		c1=$(cpu_ticks $pids)
		stop_server
		qps=$(printf '%s\n' "$out" | awk '/Queries per second:/ {print $4}')
		done_q=$(printf '%s\n' "$out" | awk '/Queries completed:/ {print $3}')
		lost=$(printf '%s\n' "$out" | awk '/Queries lost:/ {print $3}')
		[ -n "$qps" ] && [ -n "$done_q" ] && [ "$done_q" -gt 0 ] || die "dnsperf against $s: $out"
		us=$(awk -v c=$((c1 - c0)) -v hz="$CLK" -v q="$done_q" 'BEGIN {printf "%.2f", c / hz * 1e6 / q}')
		printf '%s %s %s %s\n' "$s" "$qps" "$us" "$lost" >>"$results"
		printf '# round %d %-9s %10.0f qps  %6s us CPU/query  lost %s\n' "$round" "$s" "$qps" "$us" "$lost"
	done
done

echo
printf '%-10s %12s %18s\n' server "qps (median)" "CPU us/query (med)"
for s in "${servers[@]}"; do
	q=$(awk -v s="$s" '$1 == s {print $2}' "$results" | sort -n | median)
	c=$(awk -v s="$s" '$1 == s {print $3}' "$results" | sort -n | median)
	printf '%-10s %12.0f %18.2f\n' "$s" "$q" "$c"
	eval "Q_${s//-/_}=$q C_${s//-/_}=$c"
done
echo
awk -v a="$Q_acme_dnsd" -v k="$Q_knot" -v n="$Q_nsd" -v ca="$C_acme_dnsd" -v ck="$C_knot" -v cn="$C_nsd" 'BEGIN {
	printf "qps ratio        acme-dnsd/Knot %.2f   acme-dnsd/NSD %.2f   (above 1: acme-dnsd answers more)\n", a / k, a / n
	printf "CPU/query ratio  acme-dnsd/Knot %.2f   acme-dnsd/NSD %.2f   (below 1: acme-dnsd spends less)\n", ca / ck, ca / cn
}'
exit 0
