# Shared pieces of the DNS benchmarks: the same challenge data for acme-dnsd (its SQLite store), Knot and NSD (a
# zone file), a dnsperf query file, and how each server is started on loopback. Sourced after
# tests/integration/lib.sh (for T, free_port, track_pid, kill_pid, wait_for, write_config). Never run.
# shellcheck shell=bash

median() { sort -n | awk '{a[NR] = $1} END {if (NR == 0) print "nan"; else if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

# bench_name N: the Nth challenge subdomain, shaped like an acme-dns account's (a UUID).
bench_name() { printf '%08x-0000-4000-8000-%012x' "$1" "$1"; }
# The same value for every name: a dns-01 value is 43 base64url characters.
BENCH_VALUE=0123456789abcdefghijklmnopqrstuvwxyzABCDEFG

# bench_zone_data DIR ZONE N: DIR/zone.zone (for Knot and NSD), DIR/zone.db (acme-dnsd's store with N accounts,
# one value each, written by acme-dnsd itself first so the schema is its own) and DIR/queries (dnsperf).
bench_zone_data() {
	local dir=$1 zone=$2 n=$3
	awk -v zone="$zone" -v n="$n" -v val="$BENCH_VALUE" 'BEGIN {
		printf "$ORIGIN %s.\n$TTL 3600\n", zone
		printf "@ IN SOA ns1.%s. hostmaster.example.test. 1 3600 600 604800 60\n", zone
		printf "@ IN NS ns1.%s.\nns1 IN A 127.0.0.1\n", zone
		for (i = 1; i <= n; i++)
			printf "%08x-0000-4000-8000-%012x 1 IN TXT \"%s\"\n", i, i, val
	}' >"$dir/zone.zone"
	bench_store "$dir/zone.db" "$zone" "$n" || return 1
	# 70% TXT hits spread over every name, 10% NXDOMAIN, 10% NODATA (A at a challenge name), 10% apex SOA.
	awk -v zone="$zone" -v n="$n" 'BEGIN {
		srand(42)
		for (q = 0; q < 100000; q++) {
			r = q % 10
			i = int(rand() * n) + 1
			if (r < 7) printf "%08x-0000-4000-8000-%012x.%s TXT\n", i, i, zone
			else if (r == 7) printf "%08x-0000-4000-8000-%012x.%s TXT\n", i + n + 1000000, i, zone
			else if (r == 8) printf "%08x-0000-4000-8000-%012x.%s A\n", i, i, zone
			else printf "%s SOA\n", zone
		}
	}' >"$dir/queries"
}

# bench_store DB ZONE N: an acme-dnsd SQLite store with N accounts and one value each. acme-dnsd creates the
# schema (started once, then stopped), then sqlite3 fills it in one transaction.
bench_store() {
	local db=$1 zone=$2 n=$3 port api cfg
	free_port port && free_port api || return 1
	cfg=$(dirname "$db")/init.yaml
	write_config "$cfg" dns_port="$port" api_port="$api" listen6=no zone="$zone" store="$db" log_level=warn
	"$ADNSD" -c "$cfg" >"$(dirname "$db")/init.log" 2>&1 &
	local pid=$!
	track_pid "$pid"
	_store_made() { [ -s "$db" ] && sqlite3 "$db" 'SELECT 1 FROM accounts LIMIT 0' >/dev/null 2>&1; }
	wait_for 30 _store_made || { echo "acme-dnsd did not create $db: $(tail -3 "$(dirname "$db")/init.log")" >&2; return 1; }
	kill_pid "$pid" TERM 10
	# One bcrypt hash for every account: the benchmark never authenticates.
	sqlite3 "$db" <<EOF >/dev/null || return 1
BEGIN;
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < $n)
INSERT INTO accounts(username, password_hash, subdomain, allowfrom, created)
  SELECT printf('%08x-1111-4000-8000-%012x', i, i), '\$2a\$10\$CwTycUXWue0Thq9StjUM0uJ8DPLKXt1FYlwYpQW5G1vH4wN5uWp6u',
         printf('%08x-0000-4000-8000-%012x', i, i), '[]', 1700000000 FROM c;
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < $n)
INSERT INTO txt_values(subdomain, value, created)
  SELECT printf('%08x-0000-4000-8000-%012x', i, i), '$BENCH_VALUE', strftime('%s', 'now') FROM c;
COMMIT;
EOF
}

# bench_start_acmednsd DIR ZONE PORT WORKERS: sets SRV_PID.
bench_start_acmednsd() {
	local dir=$1 zone=$2 port=$3 workers=$4 api
	free_port api || return 1
	write_config "$dir/acme-dnsd.yaml" dns_port="$port" api_port="$api" listen6=no zone="$zone" \
		store="$dir/zone.db" log_level=warn ns_addresses='[127.0.0.1]' extra_dns="  udp_workers: $workers"
	"$ADNSD" -c "$dir/acme-dnsd.yaml" >>"$dir/acme-dnsd.log" 2>&1 &
	SRV_PID=$!
	track_pid "$SRV_PID"
}

# bench_start_knot DIR ZONE PORT WORKERS: knotd in the foreground with its own run and storage folders.
bench_start_knot() {
	local dir=$1 zone=$2 port=$3 workers=$4 k=$1/knot
	mkdir -p "$k"
	cp "$dir/zone.zone" "$k/$zone.zone"
	cat >"$k/knot.conf" <<EOF
server:
    rundir: "$k"
    user: $(id -un):$(id -gn)
    listen: 127.0.0.1@$port
    udp-workers: $workers
    tcp-workers: 1
    background-workers: 1
database:
    storage: "$k"
log:
  - target: stderr
    any: warning
zone:
  - domain: $zone
    storage: "$k"
    file: "$zone.zone"
    journal-content: none
    zonefile-sync: -1
EOF
	knotd -c "$k/knot.conf" >>"$k/knot.log" 2>&1 &
	SRV_PID=$!
	track_pid "$SRV_PID"
}

# bench_start_nsd DIR ZONE PORT WORKERS: nsd in the foreground (-d), server-count processes.
bench_start_nsd() {
	local dir=$1 zone=$2 port=$3 workers=$4 n=$1/nsd
	mkdir -p "$n"
	cp "$dir/zone.zone" "$n/$zone.zone"
	cat >"$n/nsd.conf" <<EOF
server:
    ip-address: 127.0.0.1@$port
    do-ip6: no
    server-count: $workers
    zonesdir: "$n"
    database: ""
    pidfile: "$n/nsd.pid"
    xfrdfile: "$n/xfrd.state"
    zonelistfile: "$n/zone.list"
    username: ""
    chroot: ""
    hide-version: yes
    verbosity: 0
    # Debian builds NSD with response rate limiting on (200 qps per client network): off, as for the others.
    rrl-ratelimit: 0
    rrl-whitelist-ratelimit: 0
remote-control:
    control-enable: no
zone:
    name: $zone
    zonefile: "$zone.zone"
EOF
	nsd -d -c "$n/nsd.conf" >>"$n/nsd.log" 2>&1 &
	SRV_PID=$!
	track_pid "$SRV_PID"
}

# bench_tool NAME: compiles bench/tools/NAME.c (libcurl, pthreads) into $T; sets TOOL.
bench_tool() {
	TOOL=$T/$1
	[ -x "$TOOL" ] && return 0
	# shellcheck disable=SC2046
	${CC:-cc} -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -pthread -o "$TOOL" "$REPO/bench/tools/$1.c" \
		$(pkg-config --cflags --libs libcurl)
}

# bench_start_pdns DIR PORT API_PORT KEY [SETTING=VALUE...]: PowerDNS Authoritative with the gsqlite3 backend (a
# new database in DIR/pdns), its HTTP API on 127.0.0.1:API_PORT with KEY, in the foreground; extra settings are
# appended to its configuration. Sets SRV_PID.
bench_start_pdns() {
	local dir=$1 port=$2 api=$3 key=$4 p=$1/pdns s
	shift 4
	mkdir -p "$p"
	rm -f "$p/pdns.sqlite3"*
	sqlite3 "$p/pdns.sqlite3" </usr/share/pdns-backend-sqlite3/schema/schema.sqlite3.sql || return 1
	{
		cat <<EOC
launch=gsqlite3
gsqlite3-database=$p/pdns.sqlite3
# WAL and synchronous=FULL: the durability acme-dnsd's store has (both are the defaults here, written out)
gsqlite3-pragma-journal-mode=WAL
gsqlite3-pragma-synchronous=2
local-address=127.0.0.1
local-port=$port
socket-dir=$p
daemon=no
guardian=no
disable-syslog=yes
loglevel=4
# else it sends a DNS query off the machine at start
security-poll-suffix=
api=yes
api-key=$key
webserver=yes
webserver-address=127.0.0.1
webserver-port=$api
webserver-allow-from=127.0.0.0/8
EOC
		for s in "$@"; do echo "$s"; done
	} >"$p/pdns.conf"
	pdns_server --config-dir="$p" >>"$p/pdns.log" 2>&1 &
	SRV_PID=$!
	track_pid "$SRV_PID"
}
