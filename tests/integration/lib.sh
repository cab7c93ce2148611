# Shared helpers of the integration scripts: TAP-like results, free ports, process bookkeeping, acme-dnsd
# configuration and start/stop, dig and curl wrappers. Sourced, never run (tests/run.sh skips it).
# shellcheck shell=bash

set -u

LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$LIB_DIR/../.." && pwd)
: "${ADNS_BUILD:=$REPO/build}"
ADNSD=${ADNSD:-$ADNS_BUILD/asan/acme-dnsd}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# Every tool gets an explicit loopback server; nothing may fall back to the system resolver or a proxy.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy
export NO_PROXY='*'

T=$(mktemp -d "${TMPDIR:-/tmp}/adns-it.XXXXXX") || exit 1
TESTS_RUN=0
TESTS_FAILED=0
PIDS=" "            # every live process we started, by pid
USED_PORTS=" "      # ports handed out by this run, so two callers never get the same one
ADNS_PID=""
ADNS_LOG=""
DNS_PORT=""
API_PORT=""
API_URL=""
CURL_TLS=()         # extra curl options for the API (--cacert FILE when it speaks TLS)
ZONE=auth.example.test

# ---------- results ----------

ok() {
	TESTS_RUN=$((TESTS_RUN + 1))
	echo "ok $TESTS_RUN - $*"
}

# not_ok DESCRIPTION [DETAIL...]: each detail line is printed as a comment, then the daemon's log tail.
not_ok() {
	TESTS_RUN=$((TESTS_RUN + 1))
	TESTS_FAILED=$((TESTS_FAILED + 1))
	echo "not ok $TESTS_RUN - $1"
	shift
	local d
	for d in "$@"; do
		printf '%s\n' "$d" | sed 's/^/#   /'
	done
	if [ -n "$ADNS_LOG" ] && [ -s "$ADNS_LOG" ]; then
		echo "#   --- acme-dnsd log tail ($ADNS_LOG) ---"
		tail -n 12 "$ADNS_LOG" | sed 's/^/#   | /'
	fi
}

# check DESCRIPTION EXPECTED ACTUAL [CONTEXT...]: ok when the two strings are equal.
check() {
	local desc=$1 exp=$2 got=$3
	shift 3
	if [ "$exp" = "$got" ]; then
		ok "$desc"
	else
		not_ok "$desc" "expected: $exp" "got:      $got" "$@"
	fi
}

# check_match DESCRIPTION ERE ACTUAL [CONTEXT...]: ok when ACTUAL matches the extended regular expression.
check_match() {
	local desc=$1 re=$2 got=$3
	shift 3
	if printf '%s' "$got" | grep -Eq -- "$re"; then
		ok "$desc"
	else
		not_ok "$desc" "expected to match: $re" "got: $got" "$@"
	fi
}

# Prints the summary line and exits non-zero when any test failed (the EXIT trap cleans up).
finish() {
	check_no_secrets
	echo "# $TESTS_RUN tests, $TESTS_FAILED failed"
	[ "$TESTS_FAILED" -eq 0 ] && [ "$TESTS_RUN" -gt 0 ]
	exit $?
}

# note_secret VALUE: remembers a secret the run handed out or configured (an API key, a TSIG secret, an EAB key);
# finish then checks that none of them appears in a log of ours.
note_secret() {
	[ -n "$1" ] && [ "${#1}" -ge 8 ] && printf '%s\n' "$1" >>"$T/.secrets"
}
# check_no_secrets: one test: no remembered secret in acme-dnsd's logs (*.log) nor in acme-dns-cli's stderr
# (cli.*.err), whatever their level.
check_no_secrets() {
	local hits f
	# The acme-dns passwords acme-dns-cli registered (lego's storage shape) are secrets too.
	while IFS= read -r -d '' f; do
		grep -o '"password": *"[^"]*"' "$f" 2>/dev/null | sed 's/.*"\([^"]*\)"$/\1/' | while read -r v; do note_secret "$v"; done
	done < <(find "$T" -type f \( -name 'acmedns*.json' -o -name 'accounts.json' \) -print0 2>/dev/null)
	[ -s "$T/.secrets" ] || return 0
	hits=$(find "$T" -type f \( -name '*.log' -o -name 'cli.*.err' \) ! -name 'pebble*' -print0 2>/dev/null |
		xargs -0 -r grep -l -F -f "$T/.secrets" 2>/dev/null)
	check "no secret handed out or configured in this run ($(sort -u "$T/.secrets" | wc -l)) appears in a log" "" "$hits"
}

# ---------- processes ----------

pid_alive() {
	local st
	kill -0 "$1" 2>/dev/null || return 1
	st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
	[ -n "$st" ] && [ "$st" != Z ]
}

track_pid() { PIDS="$PIDS$1 "; }
untrack_pid() { PIDS=${PIDS/ $1 / }; }

# kill_pid PID [SIGNAL] [SECONDS]: signal, wait up to SECONDS (default 5), then SIGKILL; reaps it.
# Sets KILL_RC to its exit status and KILL_FORCED=1 when it had to be killed with SIGKILL.
kill_pid() {
	local pid=$1 sig=${2:-TERM} secs=${3:-5} i
	KILL_FORCED=0
	kill -"$sig" "$pid" 2>/dev/null
	for ((i = 0; i < secs * 10; i++)); do
		pid_alive "$pid" || break
		sleep 0.1
	done
	if pid_alive "$pid"; then
		KILL_FORCED=1
		kill -9 "$pid" 2>/dev/null
		for ((i = 0; i < 50; i++)); do
			pid_alive "$pid" || break
			sleep 0.1
		done
	fi
	wait "$pid" 2>/dev/null && KILL_RC=0 || KILL_RC=$?
	untrack_pid "$pid"
}

# reap PID SECONDS: waits up to SECONDS for PID to end by itself, then stops it with kill_pid; sets KILL_RC.
reap() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		pid_alive "$1" || break
		sleep 0.1
	done
	kill_pid "$1" TERM 5
}

cleanup() {
	local rc=$? pid
	trap - EXIT
	for pid in $PIDS; do
		kill_pid "$pid" TERM 5
	done
	if [ -n "${KEEP_TMP:-}" ] || { [ "$TESTS_FAILED" -gt 0 ] && [ -n "${KEEP_TMP_ON_FAIL:-}" ]; }; then
		echo "# temporary files kept in $T"
	else
		rm -rf "$T"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

# wait_for SECONDS CMD...: polls CMD every 0.1 s until it succeeds or SECONDS pass. Returns CMD's last status.
wait_for() {
	local secs=$1 i
	shift
	for ((i = 0; i < secs * 10; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	"$@"
}

# ---------- ports ----------

# The ports free_port picks from: 20000 up to the kernel's ephemeral range, which outgoing connections (curl,
# lego, pebble's validator) take ports from at any time, so a port seen free there can be gone before the
# server binds it. When that range starts too low to leave room, 20000-60000 as before.
PORT_LO=20000
PORT_HI=$(awk '{print $1 - 1}' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null)
[ -n "$PORT_HI" ] && [ "$PORT_HI" -ge 25000 ] || PORT_HI=60000

# free_port VAR: stores in VAR a random port in PORT_LO-PORT_HI on which nothing listens (TCP or UDP).
free_port() {
	local p i
	for ((i = 0; i < 200; i++)); do
		p=$((PORT_LO + (RANDOM * 32768 + RANDOM) % (PORT_HI - PORT_LO + 1)))
		case $USED_PORTS in *" $p "*) continue ;; esac
		if [ -z "$(ss -Hantu "sport = :$p" 2>/dev/null)" ]; then
			USED_PORTS="$USED_PORTS$p "
			printf -v "$1" '%s' "$p"
			return 0
		fi
	done
	echo "free_port: no free port found" >&2
	return 1
}

# ---------- tools ----------

# The dnssend helper: built by make as $ADNS_BUILD/tests/dnssend, else compiled here.
dnssend_path() {
	if [ -x "$ADNS_BUILD/tests/dnssend" ] && [ "$ADNS_BUILD/tests/dnssend" -nt "$REPO/tests/tools/dnssend.c" ]; then
		DNSSEND=$ADNS_BUILD/tests/dnssend
		return 0
	fi
	DNSSEND=$T/dnssend
	[ -x "$DNSSEND" ] && return 0
	${CC:-cc} -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -o "$DNSSEND" "$REPO/tests/tools/dnssend.c"
}

require_tools() {
	local t missing=""
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 || missing="$missing $t"
	done
	if [ -n "$missing" ]; then
		not_ok "required tools are installed" "missing:$missing (make deps installs them)"
		exit 1
	fi
}

require_daemon() {
	if [ ! -x "$ADNSD" ]; then
		not_ok "the sanitizer build of acme-dnsd exists" "not found: $ADNSD (make $ADNS_BUILD/asan/acme-dnsd)"
		exit 1
	fi
}

# ---------- configuration ----------

# write_config FILE [key=value...]: writes an acme-dnsd YAML file. Keys (defaults in brackets):
#   dns_port [$DNS_PORT] api_port [$API_PORT] listen6 [yes] zone [auth.example.test]
#   ns_name [ns1.<zone>] admin [hostmaster.example.test] zones_dir [] challenge_ttl [1] negative_ttl [60]
#   tcp_idle_timeout [] api_listen [127.0.0.1:<api_port>] tls_cert [] tls_key [] registration [true]
#   trusted_proxies [["127.0.0.1/32"]] max_body [4096] store [$T/acme-dnsd.db] values_kept [2]
#   log_level [debug] extra_dns [] extra_api [] (raw YAML lines, indented by the caller)
#   ns_addresses [] (a YAML list: the A/AAAA of ns_name served in the apex, for the propagation checker)
write_config() {
	local file=$1
	shift
	local dns_port=$DNS_PORT api_port=$API_PORT listen6=yes zone=auth.example.test ns_name="" \
		admin=hostmaster.example.test zones_dir="" challenge_ttl=1 negative_ttl=60 tcp_idle_timeout="" \
		api_listen="" tls_cert="" tls_key="" registration=true trusted_proxies='["127.0.0.1/32"]' max_body=4096 \
		store="$T/acme-dnsd.db" values_kept=2 log_level=debug extra_dns="" extra_api="" ns_addresses="" kv k
	for kv in "$@"; do
		k=${kv%%=*}
		case $k in
		dns_port | api_port | listen6 | zone | ns_name | admin | zones_dir | challenge_ttl | negative_ttl | \
			tcp_idle_timeout | api_listen | tls_cert | tls_key | registration | trusted_proxies | max_body | store | \
			values_kept | log_level | extra_dns | extra_api | ns_addresses)
			printf -v "$k" '%s' "${kv#*=}" ;;
		*)
			echo "write_config: unknown key $k" >&2
			return 1 ;;
		esac
	done
	[ -n "$ns_name" ] || ns_name=ns1.$zone
	[ -n "$api_listen" ] || api_listen=127.0.0.1:$api_port
	{
		echo "# written by tests/integration/lib.sh"
		echo "dns:"
		if [ "$listen6" = yes ]; then
			echo "  listen: [\"127.0.0.1:$dns_port\", \"[::1]:$dns_port\"]"
		else
			echo "  listen: [\"127.0.0.1:$dns_port\"]"
		fi
		echo "  zone: $zone"
		echo "  ns_name: $ns_name"
		[ -n "$ns_addresses" ] && echo "  ns_addresses: $ns_addresses"
		echo "  admin: $admin"
		[ -n "$zones_dir" ] && echo "  zones_dir: $zones_dir"
		echo "  challenge_ttl: $challenge_ttl"
		echo "  negative_ttl: $negative_ttl"
		[ -n "$tcp_idle_timeout" ] && echo "  tcp_idle_timeout: $tcp_idle_timeout"
		[ -n "$extra_dns" ] && printf '%s\n' "$extra_dns"
		echo "api:"
		echo "  listen: \"$api_listen\""
		if [ -n "$tls_cert" ]; then
			echo "  tls:"
			echo "    cert: $tls_cert"
			echo "    key: $tls_key"
		fi
		echo "  registration: $registration"
		echo "  trusted_proxies: $trusted_proxies"
		echo "  max_body: $max_body"
		[ -n "$extra_api" ] && printf '%s\n' "$extra_api"
		echo "store:"
		echo "  path: $store"
		echo "  values_kept: $values_kept"
		echo "log:"
		echo "  level: $log_level"
		echo "  format: text"
	} >"$file"
	chmod 600 "$file"      # it may hold TSIG secrets (update.keys), which acme-dnsd keeps from other users
	ZONE=$zone
}

# ---------- acme-dnsd ----------

# The API's scheme: set_api_tls CAFILE switches to https (curl trusts CAFILE), set_api_plain back to http.
# API_URL follows API_PORT: it is set again by these and by start_acmednsd.
API_SCHEME=http
set_api_plain() {
	API_SCHEME=http
	CURL_TLS=()
	API_URL=$API_SCHEME://127.0.0.1:$API_PORT
}
set_api_tls() {
	API_SCHEME=https
	CURL_TLS=(--cacert "$1")
	API_URL=$API_SCHEME://127.0.0.1:$API_PORT
}

adns_ready() {
	pid_alive "$ADNS_PID" || return 2
	[ "$(curl -s -o /dev/null -m 2 -w '%{http_code}' "${CURL_TLS[@]}" "$API_URL/health")" = 200 ] || return 1
	dig @127.0.0.1 -p "$DNS_PORT" +time=1 +tries=1 +norec SOA "$ZONE" 2>/dev/null | grep -q 'status: NOERROR'
}

# start_acmednsd CONFIG [LOG]: starts the sanitizer build in the foreground and waits (30 s at most) until
# GET /health answers 200 and the apex SOA answers. Returns 1 (with a not ok line) when it does not come up.
start_acmednsd() {
	local cfg=$1 log=${2:-$T/acme-dnsd.log} i
	ADNS_LOG=$log
	API_URL=$API_SCHEME://127.0.0.1:$API_PORT
	echo "# starting acme-dnsd -c $cfg (log $log)"
	"$ADNSD" -c "$cfg" >>"$log" 2>&1 &
	ADNS_PID=$!
	track_pid "$ADNS_PID"
	for ((i = 0; i < 300; i++)); do
		adns_ready && return 0
		pid_alive "$ADNS_PID" || break
		sleep 0.1
	done
	if pid_alive "$ADNS_PID"; then
		not_ok "acme-dnsd answers /health and the apex SOA within 30 s" "config: $cfg" "$(cat "$cfg")"
		kill_pid "$ADNS_PID" KILL 2
	else
		wait "$ADNS_PID" 2>/dev/null && i=0 || i=$?
		untrack_pid "$ADNS_PID"
		not_ok "acme-dnsd starts (it exited with status $i)" "config: $cfg" "$(cat "$cfg")"
	fi
	ADNS_PID=""
	return 1
}

# sanitizer_report LOG: prints the sanitizer findings in LOG, if any.
# Under `make valgrind` the programs are valgrind wrappers writing to the same stream: an ERROR SUMMARY with
# errors (definite and indirect leaks count as errors there) is a report too.
sanitizer_report() {
	grep -E -A12 'ERROR: (AddressSanitizer|LeakSanitizer|ThreadSanitizer)|runtime error:|SUMMARY: (Address|Undefined|Leak)Sanitizer|==[0-9]+== ERROR SUMMARY: [1-9]' "$1" 2>/dev/null | head -60
}

# stop_acmednsd [DESCRIPTION]: SIGTERM, waits up to 10 s, then reports one test: stopped in time, exit 0,
# no sanitizer output in the log.
stop_acmednsd() {
	local desc=${1:-"acme-dnsd stops on SIGTERM with status 0 and no sanitizer report"} san
	[ -n "$ADNS_PID" ] || return 0
	kill_pid "$ADNS_PID" TERM 10
	ADNS_PID=""
	san=$(sanitizer_report "$ADNS_LOG")
	if [ "$KILL_FORCED" = 1 ]; then
		not_ok "$desc" "did not stop within 10 s of SIGTERM (killed)" "$san"
	elif [ -n "$san" ]; then
		not_ok "$desc" "sanitizer report in $ADNS_LOG:" "$san"
	elif [ "$KILL_RC" != 0 ]; then
		not_ok "$desc" "exit status $KILL_RC"
	else
		ok "$desc"
	fi
}

# reload_acmednsd: sends SIGHUP.
reload_acmednsd() {
	kill -HUP "$ADNS_PID"
}

# ---------- DNS ----------

# qdig ARGS...: dig against our daemon on 127.0.0.1, bounded (2 s, one try), no recursion asked.
qdig() {
	dig @127.0.0.1 -p "$DNS_PORT" +time=2 +tries=1 "$@" 2>&1
}

# Parsers over a saved dig output ($1).
d_status() { printf '%s\n' "$1" | sed -n 's/.*->>HEADER<<-.* status: \([A-Z0-9]*\),.*/\1/p' | head -1; }
d_flags() { printf '%s\n' "$1" | sed -n 's/^;; flags: \([^;]*\);.*/\1/p' | head -1; }
d_has_flag() { d_flags "$1" | tr ' ' '\n' | grep -qx "$2"; }
d_count() { printf '%s\n' "$1" | sed -n "s/^;; flags:.* $2: \([0-9]*\).*/\1/p" | head -1; }
# d_section OUT ANSWER|AUTHORITY|ADDITIONAL: the records of that section, one per line, whitespace squeezed.
d_section() {
	printf '%s\n' "$1" | awk -v s=";; $2 SECTION:" '$0 == s {f = 1; next} f && /^$/ {f = 0} f' | tr -s ' \t' ' '
}
# d_rdata OUT SECTION TYPE: the rdata (field 5 onward) of the TYPE records of a section, sorted.
d_rdata() { d_section "$1" "$2" | awk -v t="$3" '$4 == t {$1 = $2 = $3 = $4 = ""; sub(/^ +/, ""); print}' | sort; }
# d_ttls OUT SECTION TYPE: the TTLs of the TYPE records of a section.
d_ttls() { d_section "$1" "$2" | awk -v t="$3" '$4 == t {print $2}' | sort -u; }
# d_types OUT SECTION: the distinct types in a section.
d_types() { d_section "$1" "$2" | awk '{print $4}' | sort -u; }

# ---------- raw DNS messages (for dnssend) ----------

# name_hex NAME: the uncompressed wire form of NAME in hex.
name_hex() {
	local name=${1%.} out="" label labels
	IFS=. read -ra labels <<<"$name"
	for label in "${labels[@]}"; do
		[ -n "$label" ] || continue
		out+=$(printf '%02x' "${#label}")$(printf '%s' "$label" | od -An -tx1 | tr -d ' \n')
	done
	printf '%s00' "$out"
}

# query_hex ID NAME TYPE [FLAGS]: a one-question IN query without EDNS (FLAGS default 0100 = RD).
query_hex() {
	printf '%04x%s0001000000000000%s%04x0001' "$1" "${4:-0100}" "$(name_hex "$2")" "$3"
}

RCODE_NAMES=(NOERROR FORMERR SERVFAIL NXDOMAIN NOTIMP REFUSED YXDOMAIN YXRRSET NXRRSET NOTAUTH NOTZONE
	RCODE11 RCODE12 RCODE13 RCODE14 RCODE15 BADVERS)

# Parsers over an answer in hex ($1), as dnssend prints it.
r_id() { printf '%s' "${1:0:4}"; }
r_flags() { printf '%d' $((16#${1:4:4})); }
r_count() { # r_count HEX 0..3 (QD AN NS AR)
	printf '%d' $((16#${1:$((8 + 4 * $2)):4}))
}
# r_rcode HEX: the rcode's name, with the extended bits of an OPT record that ends the message.
r_rcode() {
	local h=$1 rc ext=0 tail
	rc=$((16#${h:6:2} & 15))
	if [ "$(r_count "$h" 3)" -gt 0 ] && [ ${#h} -ge 46 ]; then
		tail=${h: -22}
		[ "${tail:0:6}" = 000029 ] && ext=$((16#${tail:10:2}))
	fi
	rc=$((ext << 4 | rc))
	if [ "$rc" -lt ${#RCODE_NAMES[@]} ]; then printf '%s' "${RCODE_NAMES[$rc]}"; else printf 'RCODE%d' "$rc"; fi
}
# r_has_opt HEX: the message ends with an OPT record.
r_has_opt() { [ "$(r_count "$1" 3)" -gt 0 ] && [ ${#1} -ge 46 ] && [ "${1: -22:6}" = 000029 ]; }

# ---------- HTTP API ----------

# api METHOD PATH [curl args...]: sets HTTP_CODE and HTTP_BODY.
api() {
	local method=$1 path=$2 out
	shift 2
	out=$(curl -s -m 10 -X "$method" "${CURL_TLS[@]}" -w '\n%{http_code}' "$@" "$API_URL$path" 2>&1)
	HTTP_CODE=${out##*$'\n'}
	HTTP_BODY=${out%$'\n'*}
}

# json_str JSON KEY: the value of a top-level string member (our answers are flat; values hold no escapes).
json_str() {
	printf '%s' "$1" | tr -d '\n' | sed -n "s/.*\"$2\"[[:space:]]*:[[:space:]]*\"\([^\"]*\)\".*/\1/p"
}

# register [JSON]: POST /register; on 201 sets REG_USER REG_KEY REG_SUB REG_FULL.
register() {
	REG_USER="" REG_KEY="" REG_SUB="" REG_FULL=""
	if [ $# -gt 0 ]; then
		api POST /register -H 'Content-Type: application/json' --data-binary "$1"
	else
		api POST /register
	fi
	[ "$HTTP_CODE" = 201 ] || return 1
	REG_USER=$(json_str "$HTTP_BODY" username)
	REG_KEY=$(json_str "$HTTP_BODY" password)
	note_secret "$REG_KEY"
	REG_SUB=$(json_str "$HTTP_BODY" subdomain)
	REG_FULL=$(json_str "$HTTP_BODY" fulldomain)
	[ -n "$REG_USER" ] && [ -n "$REG_KEY" ] && [ -n "$REG_SUB" ]
}

# update USER KEY SUBDOMAIN TXT [METHOD] [curl args...]: POST (or METHOD) /update; sets HTTP_CODE/HTTP_BODY.
update() {
	local user=$1 key=$2 sub=$3 txt=$4 method=${5:-POST}
	shift 4
	[ $# -gt 0 ] && shift
	api "$method" /update -H "X-Api-User: $user" -H "X-Api-Key: $key" -H 'Content-Type: application/json' \
		--data-binary "{\"subdomain\": \"$sub\", \"txt\": \"$txt\"}" "$@"
}

# new_txt: a fresh 43-character base64url value (what an ACME client publishes).
new_txt() {
	head -c 32 /dev/urandom | openssl base64 -A | tr '+/' '-_' | tr -d '='
}

# ---------- pebble (the ACME test CA) ----------

PEBBLE_PID=""
PEBBLE_LOG=""
PEBBLE_PORT=""      # ACME (HTTPS); the directory is $PEBBLE_DIR
PEBBLE_MGMT=""      # management interface (HTTPS): /roots/0, /intermediates/0, /cert-status-by-serial/SERIAL
PEBBLE_DIR=""
PEBBLE_CA=""        # the CA of pebble's own HTTPS certificate (what an ACME client must trust)
# The External Account Binding pair of pebble's example configuration (pebble-config-external-account-bindings.json).
PEBBLE_EAB_KID=kid-1
PEBBLE_EAB_KEY=zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W
note_secret "$PEBBLE_EAB_KEY" 2>/dev/null

# pebble_tls_ca: makes (once per run) a CA and a certificate for localhost, 127.0.0.1 and ::1 for pebble's HTTPS
# listeners in $T/pebble-tls; sets PEBBLE_CA. Returns 1 (with a not ok line) when openssl fails.
pebble_tls_ca() {
	local d=$T/pebble-tls
	PEBBLE_CA=$d/ca.pem
	[ -s "$d/localhost.pem" ] && return 0
	mkdir -p "$d"
	(
		set -e
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$d/ca.key" -out "$d/ca.pem" \
			-days 2 -subj "/CN=acme-dnsd test CA" -addext "basicConstraints=critical,CA:TRUE" \
			-addext "keyUsage=critical,keyCertSign,cRLSign"
		openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$d/localhost.key" \
			-out "$d/localhost.csr" -subj "/CN=localhost"
		printf 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n' >"$d/ext.cnf"
		openssl x509 -req -in "$d/localhost.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial -days 2 \
			-extfile "$d/ext.cnf" -out "$d/localhost.pem"
	) >"$d/openssl.log" 2>&1 && return 0
	not_ok "openssl makes pebble's TLS CA and localhost certificate" "$(cat "$d/openssl.log")"
	return 1
}

pebble_up() {
	pid_alive "$PEBBLE_PID" || return 2
	curl -s -m 2 -o /dev/null --cacert "$PEBBLE_CA" "$PEBBLE_DIR"
}

# start_pebble [OPTION=VALUE...]: starts pebble on free loopback ports and waits (20 s at most) for its directory.
# Options: eab=1 (externalAccountBindingRequired with the example's two keys: PEBBLE_EAB_KID / PEBBLE_EAB_KEY),
#   strict=1 (-strict), blocklist=NAME[,NAME...] (domainBlocklist), dnsserver=ADDR:PORT [127.0.0.1:$DNS_PORT],
#   log=FILE [$T/pebble.N.log]. Any PEBBLE_*=VALUE goes into its environment; the defaults are
#   PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=0 PEBBLE_AUTHZREUSE=0 (override them the same way).
# Sets PEBBLE_PID PEBBLE_PORT PEBBLE_MGMT PEBBLE_DIR PEBBLE_CA PEBBLE_LOG; one pebble at a time per script
# (save these variables to run a second). Returns 1 (with a not ok line) when it does not come up.
PEBBLE_N=0
start_pebble() {
	local eab=0 strict=0 blocklist="" dnsserver="127.0.0.1:$DNS_PORT" log="" kv k http tls cfg bl="" i
	local envs=(PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=0 PEBBLE_AUTHZREUSE=0)
	for kv in "$@"; do
		k=${kv%%=*}
		case $k in
		eab | strict | blocklist | dnsserver | log) printf -v "$k" '%s' "${kv#*=}" ;;
		PEBBLE_*) envs+=("$kv") ;;
		*)
			echo "start_pebble: unknown option $k" >&2
			return 1 ;;
		esac
	done
	pebble_tls_ca || return 1
	PEBBLE_N=$((PEBBLE_N + 1))
	[ -n "$log" ] || log=$T/pebble.$PEBBLE_N.log
	free_port PEBBLE_PORT && free_port PEBBLE_MGMT && free_port http && free_port tls || return 1
	cfg=$T/pebble.$PEBBLE_N.json
	if [ -n "$blocklist" ]; then
		bl=$(printf '%s' "$blocklist" | sed 's/[^,][^,]*/"&"/g; s/,/, /g')
	fi
	{
		echo '{'
		echo '  "pebble": {'
		echo "    \"listenAddress\": \"127.0.0.1:$PEBBLE_PORT\","
		echo "    \"managementListenAddress\": \"127.0.0.1:$PEBBLE_MGMT\","
		echo "    \"certificate\": \"$T/pebble-tls/localhost.pem\","
		echo "    \"privateKey\": \"$T/pebble-tls/localhost.key\","
		echo "    \"httpPort\": $http,"
		echo "    \"tlsPort\": $tls,"
		echo '    "ocspResponderURL": "",'
		[ -n "$bl" ] && echo "    \"domainBlocklist\": [$bl],"
		if [ "$eab" = 1 ]; then
			echo '    "externalAccountBindingRequired": true,'
			echo '    "externalAccountMACKeys": {'
			echo "      \"$PEBBLE_EAB_KID\": \"$PEBBLE_EAB_KEY\","
			echo '      "kid-2": "b10lLJs8l1GPIzsLP0s6pMt8O0XVGnfTaCeROxQM0BIt2XrJMDHJZBM5NuQmQJQH"'
			echo '    }'
		else
			echo '    "externalAccountBindingRequired": false'
		fi
		echo '  }'
		echo '}'
	} >"$cfg"
	local args=(-config "$cfg" -dnsserver "$dnsserver")
	[ "$strict" = 1 ] && args+=(-strict)
	PEBBLE_LOG=$log
	PEBBLE_DIR=https://127.0.0.1:$PEBBLE_PORT/dir
	echo "# starting pebble ${args[*]} (${envs[*]}; log $log)"
	env "${envs[@]}" pebble "${args[@]}" >"$log" 2>&1 &
	PEBBLE_PID=$!
	track_pid "$PEBBLE_PID"
	for ((i = 0; i < 200; i++)); do
		pebble_up && return 0
		pid_alive "$PEBBLE_PID" || break
		sleep 0.1
	done
	not_ok "pebble answers its directory within 20 s" "config: $cfg" "$(tail -20 "$log")"
	[ -n "$PEBBLE_PID" ] && kill_pid "$PEBBLE_PID" KILL 2
	PEBBLE_PID=""
	return 1
}

# stop_pebble: SIGTERM (5 s, then SIGKILL) to the pebble started last.
stop_pebble() {
	[ -n "$PEBBLE_PID" ] || return 0
	kill_pid "$PEBBLE_PID" TERM 5
	PEBBLE_PID=""
}

# pebble_root FILE [N]: writes the issuing root N (default 0) of the running pebble into FILE (it changes at
# every start of pebble). pebble_intermediate FILE [N] likewise.
pebble_root() {
	curl -sf -m 5 --cacert "$PEBBLE_CA" -o "$1" "https://127.0.0.1:$PEBBLE_MGMT/roots/${2:-0}" && [ -s "$1" ]
}
pebble_intermediate() {
	curl -sf -m 5 --cacert "$PEBBLE_CA" -o "$1" "https://127.0.0.1:$PEBBLE_MGMT/intermediates/${2:-0}" && [ -s "$1" ]
}

# cert_serial_hex CERTFILE: the serial as pebble writes it (lower-case hex, no leading zeros).
cert_serial_hex() {
	openssl x509 -in "$1" -noout -serial 2>/dev/null | cut -d= -f2 | tr 'A-F' 'a-f' | sed 's/^0*//'
}

# pebble_cert_status CERTFILE: pebble's view of a certificate it issued ("Valid", "Revoked", or "" when unknown).
pebble_cert_status() {
	curl -s -m 5 --cacert "$PEBBLE_CA" "https://127.0.0.1:$PEBBLE_MGMT/cert-status-by-serial/$(cert_serial_hex "$1")" |
		tr -d '\n' | sed -n 's/.*"Status"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p'
}

# ---------- acme-dns-cli (the ACME client) ----------

ACME_CLI=${ACME_CLI:-$ADNS_BUILD/asan/acme-dns-cli}
CLI_N=0
CLI_SAN=""          # labels of the client runs whose stderr held a sanitizer report
CLI_ARGS=()         # flags every run_cli gets (cli_default_args fills it)

require_cli() {
	if [ ! -x "$ACME_CLI" ]; then
		not_ok "the sanitizer build of acme-dns-cli exists" "not found: $ACME_CLI (make $ADNS_BUILD/asan/acme-dns-cli)"
		exit 1
	fi
}

# cli_default_args STATE_DIR [DIRECTORY_URL]: the flags of a run against the running pebble and acme-dnsd.
cli_default_args() {
	CLI_ARGS=(--state-dir "$1" --server "${2:-$PEBBLE_DIR}" --ca-file "$PEBBLE_CA" --acme-dns-api "$API_URL"
		--acme-dns-storage "${ACMEDNS_STORAGE:-$T/acmedns.json}" --dns-resolvers "127.0.0.1:$DNS_PORT" --authoritative-port "$DNS_PORT" --email admin@example.test
		--propagation-interval 1 --propagation-timeout 30 --timeout 60 --log-level debug)
}

# run_cli LABEL COMMAND [ARGS...]: runs `acme-dns-cli COMMAND "${CLI_ARGS[@]}" ARGS...` bounded by 150 s; sets
# RC, OUT (stdout), ERR (stderr), OUT_FILE, ERR_FILE; records a sanitizer report in CLI_SAN.
run_cli() {
	local label=$1 cmd=$2
	shift 2
	CLI_N=$((CLI_N + 1))
	OUT_FILE=$T/cli.$CLI_N.$label.out
	ERR_FILE=$T/cli.$CLI_N.$label.err
	printf '%s\n' "$ACME_CLI $cmd ${CLI_ARGS[*]} $*" >"$T/cli.$CLI_N.$label.cmd"
	timeout -k 5 150 "$ACME_CLI" "$cmd" "${CLI_ARGS[@]}" "$@" >"$OUT_FILE" 2>"$ERR_FILE" </dev/null && RC=0 || RC=$?
	OUT=$(cat "$OUT_FILE")
	ERR=$(cat "$ERR_FILE")
	[ -n "$(sanitizer_report "$ERR_FILE")" ] && CLI_SAN="$CLI_SAN $label($ERR_FILE)"
	return 0
}

# cli_ctx: the context lines of the last run_cli, for not_ok.
cli_ctx() {
	echo "command: $(cat "${OUT_FILE%.out}.cmd")"
	echo "exit: $RC"
	echo "--- stdout ($OUT_FILE) ---"
	tail -n 15 "$OUT_FILE"
	echo "--- stderr ($ERR_FILE) ---"
	grep -v '^$' "$ERR_FILE" | tail -n 25
}

# check_rc DESCRIPTION EXPECTED_EXIT [MORE CONTEXT...]: one test on the last run_cli's exit status.
check_rc() {
	local desc=$1 exp=$2
	shift 2
	if [ "$RC" = "$exp" ]; then ok "$desc"; else
		not_ok "$desc" "expected exit $exp, got $RC" "$(cli_ctx)" "$@"
	fi
}

# check_cli_sanitizers: one test: no client run printed a sanitizer report.
check_cli_sanitizers() {
	local f san=""
	for f in $CLI_SAN; do
		san="$san"$'\n'"== $f"$'\n'"$(sanitizer_report "${f#*(}" | head -30)"
	done
	check "no acme-dns-cli run ($CLI_N) printed a sanitizer report" "" "${CLI_SAN# }" "$san"
}

# cnames_in TEXT: the "_acme-challenge.NAME. CNAME TARGET." records TEXT names, one per line, squeezed.
cnames_in() {
	printf '%s\n' "$1" | grep -oiE '_acme-challenge\.[a-z0-9.*_-]+\.?[[:space:]]+(IN[[:space:]]+)?CNAME[[:space:]]+[a-z0-9._-]+' |
		tr -s ' \t' ' ' | sed 's/ IN / /I'
}

# A test zone example.test served by acme-dnsd from zones_dir: zone_init DIR, zone_add RECORD..., zone_reload.
ZONE_DIR=""
ZONE_SERIAL=1
zone_init() {
	ZONE_DIR=$1
	mkdir -p "$ZONE_DIR"
	: >"$ZONE_DIR/example.test.extra"
	zone_write
}
zone_write() {
	{
		echo "\$ORIGIN example.test."
		echo "\$TTL 300"
		echo "@               IN SOA  ns1.auth.example.test. hostmaster.example.test. $ZONE_SERIAL 3600 600 604800 60"
		echo "                IN NS   ns1.auth.example.test."
		echo "                IN A    127.0.0.1"
		cat "$ZONE_DIR/example.test.extra"
	} >"$ZONE_DIR/example.test.zone"
}
# zone_add RECORD...: appends records (absolute names) to the zone file.
zone_add() {
	printf '%s\n' "$@" >>"$ZONE_DIR/example.test.extra"
	ZONE_SERIAL=$((ZONE_SERIAL + 1))
	zone_write
}
# zone_reload NAME TARGET: SIGHUPs acme-dnsd and waits (10 s) until NAME's CNAME is TARGET.
zone_reload() {
	local name=${1%.} target=${2%.}
	reload_acmednsd
	_cname_is() { qdig +short CNAME "$name" | grep -qix "$target."; }
	wait_for 10 _cname_is
}

# test_tool NAME: sets TOOL to the helper tests/tools/NAME.c, built by make as $ADNS_BUILD/tests/NAME, else
# compiled here into $T.
test_tool() {
	local src=$REPO/tests/tools/$1.c
	if [ -x "$ADNS_BUILD/tests/$1" ] && [ "$ADNS_BUILD/tests/$1" -nt "$src" ]; then
		TOOL=$ADNS_BUILD/tests/$1
		return 0
	fi
	TOOL=$T/$1
	[ -x "$TOOL" ] && return 0
	${CC:-cc} -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -o "$TOOL" "$src"
}

# cli_args_set FLAG VALUE: replaces the value of FLAG in CLI_ARGS (appends FLAG VALUE when absent); the client
# refuses an option given twice.
cli_args_set() {
	local i
	for ((i = 0; i < ${#CLI_ARGS[@]}; i++)); do
		if [ "${CLI_ARGS[$i]}" = "$1" ]; then
			CLI_ARGS[$((i + 1))]=$2
			return 0
		fi
	done
	CLI_ARGS+=("$1" "$2")
}
