#!/usr/bin/env bash
# bench/issue.sh: wall time and peak RSS of one whole issuance (new account + order for example.test and
# *.example.test, dns-01 through acme-dnsd's API) by acme-dns-cli, Debian's uacme and lego, against the same pebble
# and acme-dnsd on loopback, in interleaved rounds. Prints every run, then medians and ratios. Asserts nothing.
# Usage: bench/issue.sh [BUILD_DIR] [ROUNDS]   (defaults: build 5; release builds BUILD_DIR/acme-dnsd, acme-dns-cli)
# Needs: pebble lego uacme time (GNU, /usr/bin/time) util-linux (unshare) curl openssl; root for uacme (see below).
set -u
BUILD=$(cd "${1:-build}" 2>/dev/null && pwd) || { echo "issue.sh: no build directory ${1:-build}" >&2; exit 1; }
ROUNDS=${2:-5}
export ADNS_BUILD=$BUILD
export ADNSD=$BUILD/acme-dnsd
CLI=$BUILD/acme-dns-cli
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../tests/integration/lib.sh"
HELPERS=$REPO/tests/integration/helpers
TIME=/usr/bin/time

die() { echo "issue.sh: $*" >&2; exit 1; }
for p in "$ADNSD" "$CLI"; do [ -x "$p" ] || die "$p is not built (make $p)"; done
for t in pebble lego uacme unshare curl openssl dig ss; do command -v "$t" >/dev/null || die "$t is not installed"; done
[ -x "$TIME" ] && "$TIME" -f '%e %M' true 2>/dev/null || die "GNU time is not installed (apt-get install time)"
# uacme has no option for a CA file and its libcurl-gnutls reads no CA variable: it runs in its own mount
# namespace with pebble's TLS CA bind-mounted over the system bundle, which needs root.
UACME=1
if [ "$(id -u)" != 0 ] || ! unshare -m true 2>/dev/null; then
	echo "# uacme skipped: unshare -m needs root" >&2
	UACME=0
fi

free_port DNS_PORT && free_port API_PORT || die "no free port"
zone_init "$T/zones"
write_config "$T/acme-dnsd.yaml" zones_dir="$T/zones" log_level=warn listen6=no ns_addresses="[127.0.0.1]"
start_acmednsd "$T/acme-dnsd.yaml" >/dev/null || die "acme-dnsd did not start: $(tail -5 "$T/acme-dnsd.log")"
start_pebble >/dev/null || die "pebble did not start: $(tail -5 "$PEBBLE_LOG")"
pebble_root "$T/root.pem" || die "no pebble root"

# One acme-dns account for example.test, shared by the three clients (the CLI registers it; the hooks read it).
STORAGE=$T/acmedns.json
"$CLI" register --state-dir "$T/cli-reg" --acme-dns-api "$API_URL" --acme-dns-storage "$STORAGE" -d example.test \
	>"$T/register.out" 2>&1 || die "acme-dns-cli register failed: $(cat "$T/register.out")"
REC=$(cnames_in "$(cat "$T/register.out")")
[ -n "$REC" ] || die "register printed no CNAME: $(cat "$T/register.out")"
zone_add "$REC"
zone_reload "${REC%% *}" "${REC##* }" || die "the CNAME is not served"
export ACMEDNS_API=$API_URL
ACMEDNS_USERNAME=$(json_str "$(cat "$STORAGE")" username)
ACMEDNS_PASSWORD=$(json_str "$(cat "$STORAGE")" password)
ACMEDNS_SUBDOMAIN=$(json_str "$(cat "$STORAGE")" subdomain)
export ACMEDNS_USERNAME ACMEDNS_PASSWORD ACMEDNS_SUBDOMAIN
[ -n "$ACMEDNS_USERNAME" ] && [ -n "$ACMEDNS_PASSWORD" ] && [ -n "$ACMEDNS_SUBDOMAIN" ] ||
	die "cannot read username/password/subdomain from $STORAGE: $(cat "$STORAGE")"
# lego's exec provider
export EXEC_PATH=$HELPERS/acmedns-hook.sh EXEC_POLLING_INTERVAL=1 EXEC_PROPAGATION_TIMEOUT=30 EXEC_SEQUENCE_INTERVAL=0
export LEGO_CA_CERTIFICATES=$PEBBLE_CA

# run_one TOOL N: one issuance in a fresh state directory; appends "TOOL SECONDS KB" to $T/results.
run_one() {
	local tool=$1 n=$2 d=$T/run/$1.$2 rc cert
	mkdir -p "$d"
	case $tool in
	acme-dns-cli)
		timeout 300 "$TIME" -f '%e %M %U %S' -o "$d/time" "$CLI" issue --state-dir "$d" --server "$PEBBLE_DIR" \
			--ca-file "$PEBBLE_CA" --acme-dns-api "$API_URL" --acme-dns-storage "$STORAGE" --accept-tos \
			--email admin@example.test --dns-resolvers "127.0.0.1:$DNS_PORT" --authoritative-port "$DNS_PORT" --propagation-interval 1 \
			--key-type ec256 --quiet -d example.test -d '*.example.test' >"$d/log" 2>&1
		rc=$?
		cert=$(find "$d/certificates" -name fullchain.pem 2>/dev/null | head -1) ;;
	lego)
		timeout 300 "$TIME" -f '%e %M %U %S' -o "$d/time" lego --server "$PEBBLE_DIR" --email admin@example.test \
			--accept-tos --path "$d" --key-type ec256 --domains example.test --domains '*.example.test' \
			--dns exec --dns.resolvers "127.0.0.1:$DNS_PORT" --dns.disable-cp run >"$d/log" 2>&1
		rc=$?
		cert=$d/certificates/example.test.crt ;;
	uacme)
		# account creation and the order, one namespace, timed together.
		timeout 300 unshare -m sh -c '
			mount --bind "$1" /etc/ssl/certs/ca-certificates.crt || exit 90
			shift
			exec "$@"' sh "$PEBBLE_CA" "$TIME" -f '%e %M %U %S' -o "$d/time" sh -c '
			uacme -y -t EC -b 256 -c "$1" -a "$2" new admin@example.test &&
				uacme -t EC -b 256 -c "$1" -a "$2" -h "$3" issue example.test "*.example.test"' sh \
			"$d" "$PEBBLE_DIR" "$HELPERS/uacme-acmedns-hook.sh" >"$d/log" 2>&1
		rc=$?
		cert=$d/example.test/cert.pem ;;
	esac
	if [ "$rc" != 0 ] || [ ! -s "$cert" ]; then
		echo "  $tool round $n FAILED (exit $rc); last lines of $d/log:"
		tail -n 8 "$d/log" | sed 's/^/    | /'
		return 1
	fi
	# cert: the leaf first, then the chain
	if ! openssl verify -CAfile "$T/root.pem" -untrusted "$cert" <(sed '/END CERTIFICATE/q' "$cert") >/dev/null 2>&1; then
		echo "  $tool round $n: the certificate does not verify against pebble's root"
		return 1
	fi
	read -r secs kb us ss <"$d/time"
	cpu=$(awk -v u="$us" -v s="$ss" 'BEGIN {printf "%.2f", u + s}')
	printf '  %-13s round %-2s %7.2f s wall  %5.2f s CPU  %8d KB\n' "$tool" "$n" "$secs" "$cpu" "$kb"
	echo "$tool $secs $kb $cpu" >>"$T/results"
}

TOOLS=(acme-dns-cli lego)
[ "$UACME" = 1 ] && TOOLS+=(uacme)
echo "# bench/issue.sh: example.test + *.example.test, new account each run, pebble 127.0.0.1:$PEBBLE_PORT, acme-dnsd 127.0.0.1:$DNS_PORT"
echo "# acme-dns-cli: $("$CLI" --version 2>&1 | head -1)"
echo "# lego:         $(lego --version 2>&1 | head -1)"
echo "# uacme:        $(uacme -V 2>&1 | head -1)"
echo "# warm-up (not counted)"
for tool in "${TOOLS[@]}"; do run_one "$tool" 0 >/dev/null || run_one "$tool" 0; done
rm -f "$T/results"
echo "# $ROUNDS rounds, interleaved (order rotates each round); peak RSS = GNU time %M, the largest process of the run's tree"
failed=0
for ((r = 1; r <= ROUNDS; r++)); do
	n=${#TOOLS[@]}
	for ((i = 0; i < n; i++)); do
		run_one "${TOOLS[$(((i + r) % n))]}" "$r" || failed=$((failed + 1))
	done
done

median() { sort -n | awk '{a[NR] = $1} END {if (NR == 0) print "nan"; else if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
col() { awk -v t="$1" -v c="$2" '$1 == t {print $c}' "$T/results"; }
echo
printf '%-13s %4s %10s %10s %10s %10s   %s\n' tool runs "med wall" "min wall" "med CPU" "med RSS" "ratios to acme-dns-cli (wall, CPU, RSS)"
t_cli=$(col acme-dns-cli 2 | median)
c_cli=$(col acme-dns-cli 4 | median)
m_cli=$(col acme-dns-cli 3 | median)
for tool in "${TOOLS[@]}"; do
	runs=$(col "$tool" 2 | wc -l)
	awk -v tool="$tool" -v runs="$runs" -v t="$(col "$tool" 2 | median)" -v tmin="$(col "$tool" 2 | sort -n | head -1)" \
		-v c="$(col "$tool" 4 | median)" -v m="$(col "$tool" 3 | median)" -v tc="$t_cli" -v cc="$c_cli" -v mc="$m_cli" 'BEGIN {
		# GNU time counts CPU in 10 ms steps: a CPU ratio over less than 50 ms is not shown.
		printf "%-13s %4d %8.2f s %8.2f s %8.2f s %7.1f MB   %.2fx  %s  %.2fx\n", tool, runs, t, tmin, c, m / 1024,
			(tc > 0 ? t / tc : 0), (cc >= 0.05 ? sprintf("%.2fx", c / cc) : "-"), (mc > 0 ? m / mc : 0)
	}'
done
echo "# CPU = user + system of the whole run (hooks included), in GNU time's 10 ms steps; '-': under 50 ms, no ratio"
[ "$failed" -gt 0 ] && echo "# $failed run(s) failed and are not counted"
stop_pebble
kill_pid "$ADNS_PID" TERM 10
exit 0
