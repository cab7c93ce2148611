# A small real DNS world on loopback, for the propagation checker's tests. Sourced after lib.sh, never run
# (run directly it does nothing and prints nothing).
#
#   world_start      picks a free block 127.X.Y.0/24 (nothing on port 53 there, locked against other runs) and
#                    starts, each on port 53 of its own address:
#                      127.X.Y.11  BIND 9 primary of example.test (also [::1]:53 when free: ns6.example.test)
#                      127.X.Y.12  BIND 9 secondary of example.test, lagging (no notify, refresh 1 h) until
#                                  world_sync_secondary or world_lag_off
#                      127.X.Y.21  acme-dnsd, the challenge apex auth.example.test (delegated by example.test)
#                      127.X.Y.53  unbound, the recursive resolver: stub zones only; everything else goes to a
#                                  stub "." at 127.X.Y.54, a root zone of the primary's own (a view seen only
#                                  there) that answers NXDOMAIN: nothing leaves the machine, nothing hangs
# named listens only on addresses an interface has: .11 .12 .54 are added to lo (/32) and removed on exit.
#   world_stop       stops all of it by pid (one test line per process); $T is removed by lib.sh's cleanup
#   world_txt_add NAME VALUE, world_txt_del NAME [VALUE], world_cname_set NAME TARGET, world_cname_del NAME:
#                    RFC 2136 updates (TSIG) to the primary
#   world_sync_secondary   rndc retransfer on the secondary, waits (10 s) until its serial is the primary's
#   world_lag_on / world_lag_off   the primary stops / starts notifying the secondary
#   world_serial ADDR      the SOA serial of example.test at ADDR
#   wdig ADDR ARGS...      dig @ADDR -p 53, bounded (2 s, one try)
# Variables: WORLD_NET (127.X.Y), WORLD_PRIMARY WORLD_SECONDARY WORLD_ACMEDNSD (addresses, port 53),
#   WORLD_RESOLVER (addr:port), WORLD_RESOLVER_ADDR WORLD_RESOLVER_PORT, WORLD_V6 (1 when the primary answers
#   on [::1]:53, else 0), WORLD_TSIG_KEYFILE (named.conf key format: nsupdate -k, dig -k),
#   WORLD_TSIG_NAME/ALG/SECRET, WORLD_ZONE (example.test), plus lib.sh's DNS_PORT/API_PORT/API_URL for acme-dnsd
#   (which also listens on 127.0.0.1:$DNS_PORT).
# Needs (Debian): bind9 (named, rndc, tsig-keygen), unbound, bind9-dnsutils (dig, nsupdate), iproute2 (ss).
# shellcheck shell=bash disable=SC2034

if [ -z "${LIB_DIR:-}" ]; then
	# Run as a script (tests/run.sh runs every *.sh but lib.sh): a library has nothing to test by itself.
	return 0 2>/dev/null || exit 0
fi

WORLD_ZONE=example.test
WORLD_NET=""
WORLD_PRIMARY=""
WORLD_SECONDARY=""
WORLD_ACMEDNSD=""
WORLD_RESOLVER=""
WORLD_RESOLVER_ADDR=""
WORLD_RESOLVER_PORT=53
WORLD_BLACKHOLE=""
WORLD_V6=0
WORLD_TSIG_KEYFILE=""
WORLD_TSIG_NAME=world-update
WORLD_TSIG_ALG=hmac-sha256
WORLD_TSIG_SECRET=""
WORLD_DIR=""
WORLD_LOCKS=""       # lock directories this run holds
WORLD_PRIMARY_PID=""
WORLD_SECONDARY_PID=""
WORLD_UNBOUND_PID=""
WORLD_RNDC_PRIMARY=""
WORLD_RNDC_SECONDARY=""
WORLD_SERIAL=1
WORLD_LOCK_BASE=${TMPDIR:-/tmp}/adns-world-locks
WORLD_LO_ADDRS=""    # addresses this run added to lo (named listens only on addresses an interface has)

# On exit (whatever the path), the addresses added to lo and the locks go too; then lib.sh's cleanup runs with
# the script's exit status.
# shellcheck disable=SC2154
trap '_world_rc=$?; world_unwind; (exit $_world_rc); cleanup' EXIT

# ---------- addresses ----------

# world_port53_free ADDR: nothing listens on ADDR:53 (UDP or TCP), nor on a wildcard address of its family.
world_port53_free() {
	local a=$1 out
	out=$(ss -Hlnu 'sport = :53' 2>/dev/null; ss -Hltn 'sport = :53' 2>/dev/null)
	[ -z "$out" ] && return 0
	case $a in
	*:*) ! printf '%s\n' "$out" | awk '{print $4}' | grep -qxE "\[($a|::)\]:53|\*:53|\[::ffff:0\.0\.0\.0\]:53" ;;
	*) ! printf '%s\n' "$out" | awk '{print $4}' | grep -qxE "(${a//./\\.}|0\.0\.0\.0|\*|\[::\]):53" ;;
	esac
}

# world_lock NAME: takes a lock shared by all runs on this machine (a directory holding the owner's pid; a lock
# whose owner is gone is taken over). Released by world_unlock_all (world_stop).
world_lock() {
	local d=$WORLD_LOCK_BASE/$1 owner
	mkdir -p "$WORLD_LOCK_BASE" 2>/dev/null
	if ! mkdir "$d" 2>/dev/null; then
		owner=$(cat "$d/pid" 2>/dev/null)
		if [ -n "$owner" ] && kill -0 "$owner" 2>/dev/null; then return 1; fi
		# stale (or half-made: give its maker a moment): take it over
		[ -z "$owner" ] && sleep 0.2 && owner=$(cat "$d/pid" 2>/dev/null) && [ -n "$owner" ] &&
			kill -0 "$owner" 2>/dev/null && return 1
		rm -rf "$d"
		mkdir "$d" 2>/dev/null || return 1
	fi
	echo $$ >"$d/pid"
	WORLD_LOCKS="$WORLD_LOCKS $d"
}
# world_add_lo ADDR: adds ADDR/32 to lo (root) unless lo has it already; world_unwind removes it.
world_add_lo() {
	ip -4 addr show dev lo | grep -q " $1/" && return 0
	ip addr add "$1/32" dev lo 2>/dev/null || return 1
	WORLD_LO_ADDRS="$WORLD_LO_ADDRS $1"
}
world_unwind() {
	local a
	for a in $WORLD_LO_ADDRS; do
		ip addr del "$a/32" dev lo 2>/dev/null
	done
	WORLD_LO_ADDRS=""
	world_unlock_all
}
world_unlock_all() {
	local d
	for d in $WORLD_LOCKS; do
		[ "$(cat "$d/pid" 2>/dev/null)" = $$ ] && rm -rf "$d"
	done
	WORLD_LOCKS=""
}

# world_pick_net: sets WORLD_NET to a random 127.X.Y (X 1..254) whose .11 .12 .21 .53 .54 have nothing on port
# 53, locked for this run. 100 tries at most.
world_pick_net() {
	local i net h busy
	for ((i = 0; i < 100; i++)); do
		net=127.$((1 + RANDOM % 254)).$((RANDOM % 256))
		busy=0
		ip -4 addr show dev lo | grep -q " $net\." && continue    # another run's block
		for h in 11 12 21 53 54; do
			world_port53_free "$net.$h" || { busy=1; break; }
		done
		[ "$busy" = 0 ] || continue
		world_lock "net-$net" || continue
		WORLD_NET=$net
		return 0
	done
	echo "world_pick_net: no free 127.X.Y block found" >&2
	return 1
}

# ---------- helpers ----------

# wdig ADDR ARGS...: dig at ADDR port 53 (or ADDR:PORT for the resolver form), bounded.
wdig() {
	local a=$1 p=53
	shift
	case $a in
	*:*:*) ;;                       # bare IPv6 address
	*:*) p=${a##*:}; a=${a%:*} ;;
	esac
	dig @"$a" -p "$p" +time=2 +tries=1 "$@" 2>&1
}

world_serial() {
	wdig "$1" +short +norec SOA "$WORLD_ZONE" | awk 'NF >= 7 {print $3; exit}'
}

_world_conf_key() { # FILE NAME: a hmac-sha256 key in named.conf format
	tsig-keygen -a hmac-sha256 "$2" >"$1" 2>/dev/null
}

_world_rndc_conf() { # FILE KEYFILE ADDR PORT
	{
		cat "$2"
		echo "options { default-key \"rndc-key\"; default-server $3; default-port $4; };"
	} >"$1"
}

# world_rndc primary|secondary ARGS...: rndc against one of the BIND servers, bounded.
world_rndc() {
	local which=$1 conf
	shift
	if [ "$which" = primary ]; then conf=$WORLD_RNDC_PRIMARY; else conf=$WORLD_RNDC_SECONDARY; fi
	timeout -k 2 10 rndc -c "$conf" "$@" 2>&1
}

_world_named_up() { # ADDR PID
	pid_alive "$2" || return 2
	wdig "$1" +norec SOA "$WORLD_ZONE" | grep -q 'status: NOERROR'
}

# _world_start_named NAME DIR ADDR: starts named -g on DIR/named.conf; sets _WPID. Waits 20 s for the SOA.
_world_start_named() {
	local name=$1 d=$2 addr=$3 i
	echo "# starting named ($name) on $addr:53 (log $d/named.log)"
	named -g -n 1 -c "$d/named.conf" >"$d/named.log" 2>&1 &
	_WPID=$!
	track_pid "$_WPID"
	for ((i = 0; i < 200; i++)); do
		_world_named_up "$addr" "$_WPID" && return 0
		pid_alive "$_WPID" || break
		sleep 0.1
	done
	not_ok "named ($name) answers the $WORLD_ZONE SOA on $addr:53 within 20 s" "$(tail -n 25 "$d/named.log")"
	pid_alive "$_WPID" && kill_pid "$_WPID" KILL 2
	untrack_pid "$_WPID"
	return 1
}

_world_notify_conf() { # on|off: off = notify the secondary (no lag)
	if [ "$1" = on ]; then
		echo "notify no;"
	else
		echo "notify explicit; also-notify { $WORLD_SECONDARY port 53; };"
	fi >"$WORLD_DIR/primary/notify.conf"
}

# ---------- start / stop ----------

# world_start: see the top of this file. Returns 1 (with a not ok line) when a part does not come up.
world_start() {
	local d pd sd ud rp rs v6listen="none;" cfg
	require_tools named rndc tsig-keygen unbound dig nsupdate ss curl || return 1
	require_daemon || return 1
	world_pick_net || { not_ok "a free 127.X.Y.0/24 block for the DNS world"; return 1; }
	WORLD_PRIMARY=$WORLD_NET.11
	WORLD_SECONDARY=$WORLD_NET.12
	WORLD_ACMEDNSD=$WORLD_NET.21
	WORLD_RESOLVER_ADDR=$WORLD_NET.53
	WORLD_BLACKHOLE=$WORLD_NET.54
	WORLD_RESOLVER=$WORLD_RESOLVER_ADDR:$WORLD_RESOLVER_PORT
	WORLD_DIR=$T/world
	pd=$WORLD_DIR/primary sd=$WORLD_DIR/secondary ud=$WORLD_DIR/unbound
	mkdir -p "$pd" "$sd" "$ud" || return 1
	echo "# DNS world on $WORLD_NET.0/24 (dir $WORLD_DIR)"

	WORLD_V6=0
	if world_port53_free ::1 && world_lock v6-53; then
		WORLD_V6=1
		v6listen="::1;"
	fi

	# keys
	WORLD_TSIG_KEYFILE=$WORLD_DIR/update.key
	_world_conf_key "$WORLD_TSIG_KEYFILE" "$WORLD_TSIG_NAME" && _world_conf_key "$WORLD_DIR/rndc.key" rndc-key || {
		not_ok "tsig-keygen makes the world's keys"
		return 1
	}
	WORLD_TSIG_SECRET=$(sed -n 's/.*secret "\([^"]*\)".*/\1/p' "$WORLD_TSIG_KEYFILE")
	free_port rp && free_port rs || return 1
	WORLD_RNDC_PRIMARY=$WORLD_DIR/rndc-primary.conf
	WORLD_RNDC_SECONDARY=$WORLD_DIR/rndc-secondary.conf
	_world_rndc_conf "$WORLD_RNDC_PRIMARY" "$WORLD_DIR/rndc.key" "$WORLD_PRIMARY" "$rp"
	_world_rndc_conf "$WORLD_RNDC_SECONDARY" "$WORLD_DIR/rndc.key" "$WORLD_SECONDARY" "$rs"

	# acme-dnsd: the challenge apex, on $WORLD_ACMEDNSD:53 and 127.0.0.1:$DNS_PORT (lib.sh's helpers use that)
	free_port DNS_PORT && free_port API_PORT || return 1
	cfg=$WORLD_DIR/acme-dnsd.yaml
	# WORLD_ACMEDNSD_ZONES (optional): a zones folder for acme-dnsd, e.g. to give auth.example.test more NS.
	write_config "$cfg" listen6=no store="$WORLD_DIR/acme-dnsd.db" zone=auth.example.test \
		ns_name=ns1.auth.example.test ${WORLD_ACMEDNSD_ZONES:+zones_dir=$WORLD_ACMEDNSD_ZONES} || return 1
	sed -i "s|^  listen: \[\"127.0.0.1:$DNS_PORT\"\]|  listen: [\"127.0.0.1:$DNS_PORT\", \"$WORLD_ACMEDNSD:53\"]|" "$cfg"
	grep -q "$WORLD_ACMEDNSD:53" "$cfg" || { not_ok "the world's acme-dnsd config" "$(cat "$cfg")"; return 1; }
	start_acmednsd "$cfg" "$WORLD_DIR/acme-dnsd.log" || return 1

	# the primary
	WORLD_SERIAL=1
	{
		echo "\$ORIGIN example.test."
		echo "\$TTL 5"
		echo "@        IN SOA   ns1.example.test. hostmaster.example.test. $WORLD_SERIAL 3600 600 604800 5"
		echo "         IN NS    ns1.example.test."
		echo "         IN NS    ns2.example.test."
		[ "$WORLD_V6" = 1 ] && echo "         IN NS    ns6.example.test."
		echo "ns1      IN A     $WORLD_PRIMARY"
		echo "ns2      IN A     $WORLD_SECONDARY"
		[ "$WORLD_V6" = 1 ] && echo "ns6      IN AAAA  ::1"
		echo "www      IN A     192.0.2.1"
		echo "auth     IN NS    ns1.auth.example.test."
		echo "ns1.auth IN A     $WORLD_ACMEDNSD"
	} >"$pd/example.test.db"
	{
		echo "\$TTL 5"
		echo ".        IN SOA   root. hostmaster.example.test. 1 3600 600 604800 5"
		echo "         IN NS    root."
		echo "root.    IN A     $WORLD_BLACKHOLE"
	} >"$pd/root.db"
	_world_notify_conf on
	cat >"$pd/named.conf" <<EOF
include "$WORLD_DIR/rndc.key";
include "$WORLD_TSIG_KEYFILE";
controls { inet $WORLD_PRIMARY port $rp allow { 127.0.0.0/8; } keys { "rndc-key"; }; };
options {
	directory "$pd";
	pid-file none;
	session-keyfile "$pd/session.key";
	managed-keys-directory "$pd";
	listen-on port 53 { $WORLD_PRIMARY; $WORLD_BLACKHOLE; };
	listen-on-v6 port 53 { $v6listen };
	recursion no;
	dnssec-validation no;
	allow-query { any; };
	allow-transfer { 127.0.0.0/8; };
	notify-source $WORLD_PRIMARY;
	transfer-source $WORLD_PRIMARY;
	query-source address $WORLD_PRIMARY;
	minimal-responses no;
};
# A root zone of its own, seen only on $WORLD_BLACKHOLE: the resolver's stub for "." gets a fast authoritative
# NXDOMAIN for every name outside the world, and nothing is asked off the machine.
view "root" {
	match-destinations { $WORLD_BLACKHOLE; };
	zone "." { type primary; file "$pd/root.db"; };
};
view "world" {
	zone "example.test" {
		type primary;
		file "$pd/example.test.db";
		update-policy { grant "$WORLD_TSIG_NAME" zonesub TXT CNAME CAA DNAME; };
		include "$pd/notify.conf";
	};
};
EOF
	world_add_lo "$WORLD_PRIMARY" && world_add_lo "$WORLD_SECONDARY" && world_add_lo "$WORLD_BLACKHOLE" ||
		{ not_ok "ip addr add $WORLD_NET.{11,12,54}/32 dev lo (named listens only on interface addresses)"; return 1; }
	_world_start_named primary "$pd" "$WORLD_PRIMARY" || return 1
	WORLD_PRIMARY_PID=$_WPID

	# the secondary: its refresh is the SOA's (1 h), and the primary sends no NOTIFY until world_lag_off
	cat >"$sd/named.conf" <<EOF
include "$WORLD_DIR/rndc.key";
controls { inet $WORLD_SECONDARY port $rs allow { 127.0.0.0/8; } keys { "rndc-key"; }; };
options {
	directory "$sd";
	pid-file none;
	session-keyfile "$sd/session.key";
	managed-keys-directory "$sd";
	listen-on port 53 { $WORLD_SECONDARY; };
	listen-on-v6 { none; };
	recursion no;
	dnssec-validation no;
	allow-query { any; };
	notify no;
	transfer-source $WORLD_SECONDARY;
	query-source address $WORLD_SECONDARY;
	notify-source $WORLD_SECONDARY;
	masterfile-format text;
	minimal-responses no;
};
zone "example.test" {
	type secondary;
	primaries { $WORLD_PRIMARY port 53; };
	file "$sd/example.test.db";
};
EOF
	_world_start_named secondary "$sd" "$WORLD_SECONDARY" || return 1
	WORLD_SECONDARY_PID=$_WPID

	# the resolver
	cat >"$ud/unbound.conf" <<EOF
server:
	verbosity: 1
	username: ""
	chroot: ""
	directory: "$ud"
	pidfile: ""
	use-syslog: no
	logfile: ""
	log-servfail: yes
	do-daemonize: no
	interface: $WORLD_RESOLVER_ADDR@$WORLD_RESOLVER_PORT
	outgoing-interface: $WORLD_RESOLVER_ADDR
	port: $WORLD_RESOLVER_PORT
	do-ip4: yes
	do-ip6: no
	access-control: 127.0.0.0/8 allow
	do-not-query-localhost: no
	module-config: "iterator"
	domain-insecure: "."
	# unbound answers NXDOMAIN for the special-use name test. by default (RFC 6761): turn that off
	local-zone: "test." nodefault
	qname-minimisation: no
	prefetch: no
	cache-min-ttl: 0
	cache-max-ttl: 5
	cache-max-negative-ttl: 5
	infra-host-ttl: 5
	num-threads: 1
	outgoing-range: 64
	so-reuseport: no
stub-zone:
	name: "example.test"
	stub-addr: $WORLD_PRIMARY
stub-zone:
	name: "auth.example.test"
	stub-addr: $WORLD_ACMEDNSD
# Everything else goes to the world's own root (NXDOMAIN): no query leaves the machine.
stub-zone:
	name: "."
	stub-addr: $WORLD_BLACKHOLE
EOF
	local i
	echo "# starting unbound on $WORLD_RESOLVER (log $ud/unbound.log)"
	unbound -d -c "$ud/unbound.conf" >"$ud/unbound.log" 2>&1 &
	WORLD_UNBOUND_PID=$!
	track_pid "$WORLD_UNBOUND_PID"
	for ((i = 0; i < 200; i++)); do
		pid_alive "$WORLD_UNBOUND_PID" || break
		wdig "$WORLD_RESOLVER" SOA "$WORLD_ZONE" | grep -q 'status: NOERROR' && return 0
		sleep 0.1
	done
	not_ok "unbound answers the $WORLD_ZONE SOA on $WORLD_RESOLVER within 20 s" "$(tail -n 25 "$ud/unbound.log")"
	return 1
}

# world_stop: stops unbound, both named and acme-dnsd by pid; one test line for the BIND/unbound part (each
# stopped within 10 s of SIGTERM) and stop_acmednsd's own line.
world_stop() {
	local name pid bad=""
	for name in unbound secondary primary; do
		case $name in
		unbound) pid=$WORLD_UNBOUND_PID; WORLD_UNBOUND_PID="" ;;
		secondary) pid=$WORLD_SECONDARY_PID; WORLD_SECONDARY_PID="" ;;
		primary) pid=$WORLD_PRIMARY_PID; WORLD_PRIMARY_PID="" ;;
		esac
		[ -n "$pid" ] || continue
		kill_pid "$pid" TERM 10
		[ "$KILL_FORCED" = 1 ] && bad="$bad $name(killed after 10 s)"
	done
	if [ -n "$bad" ]; then
		not_ok "the DNS world's named and unbound stop on SIGTERM" "$bad"
	else
		ok "the DNS world's named and unbound stop on SIGTERM"
	fi
	stop_acmednsd "the DNS world's acme-dnsd stops on SIGTERM with status 0 and no sanitizer report"
	world_unwind
}

# ---------- changes ----------

# world_nsupdate LINES...: one signed RFC 2136 update of example.test on the primary (10 s at most).
world_nsupdate() {
	local out
	out=$({
		echo "server $WORLD_PRIMARY 53"
		echo "zone $WORLD_ZONE"
		printf '%s\n' "$@"
		echo "send"
	} | timeout -k 2 10 nsupdate -t 5 -k "$WORLD_TSIG_KEYFILE" 2>&1) && return 0
	echo "world_nsupdate failed: $out" >&2
	return 1
}

# world_txt_add NAME VALUE [TTL]: adds one TXT value (TTL default 5).
world_txt_add() { world_nsupdate "update add ${1%.}. ${3:-5} IN TXT \"$2\""; }
# world_txt_del NAME [VALUE]: deletes one TXT value, or the whole TXT RRset.
world_txt_del() {
	if [ $# -ge 2 ]; then
		world_nsupdate "update delete ${1%.}. IN TXT \"$2\""
	else
		world_nsupdate "update delete ${1%.}. IN TXT"
	fi
}
# world_cname_set NAME TARGET: makes NAME a CNAME to TARGET (replacing any CNAME there).
world_cname_set() {
	world_nsupdate "update delete ${1%.}. IN CNAME" "update add ${1%.}. 5 IN CNAME ${2%.}."
}
world_cname_del() { world_nsupdate "update delete ${1%.}. IN CNAME"; }
# world_caa_set NAME FLAGS TAG VALUE: makes NAME's CAA RRset this one record (e.g. 0 issue "ca.example").
world_caa_set() {
	world_nsupdate "update delete ${1%.}. IN CAA" "update add ${1%.}. 5 IN CAA $2 $3 \"$4\""
}
world_caa_del() { world_nsupdate "update delete ${1%.}. IN CAA"; }
# world_dname_set NAME TARGET: makes NAME a DNAME to TARGET (replacing any DNAME there).
world_dname_set() {
	world_nsupdate "update delete ${1%.}. IN DNAME" "update add ${1%.}. 5 IN DNAME ${2%.}."
}
world_dname_del() { world_nsupdate "update delete ${1%.}. IN DNAME"; }

# world_sync_secondary: asks the secondary to transfer the zone now and waits (10 s) until it has the primary's
# serial. Returns 1 when it does not.
world_sync_secondary() {
	local want i
	want=$(world_serial "$WORLD_PRIMARY")
	[ -n "$want" ] || return 1
	world_rndc secondary retransfer "$WORLD_ZONE" >/dev/null || return 1
	for ((i = 0; i < 100; i++)); do
		[ "$(world_serial "$WORLD_SECONDARY")" = "$want" ] && return 0
		sleep 0.1
	done
	return 1
}

# world_lag_on: the primary stops notifying the secondary, which then keeps its copy until the SOA refresh
# (1 h) or world_sync_secondary. The default after world_start.
world_lag_on() {
	_world_notify_conf on
	world_rndc primary reconfig >/dev/null
}
# world_lag_off: the primary notifies the secondary of every change again; the secondary is synced at once.
world_lag_off() {
	_world_notify_conf off
	world_rndc primary reconfig >/dev/null || return 1
	world_sync_secondary
}
