# Shared by route53.sh, gcloud.sh and azuredns.sh (sourced after lib.sh): acme-dnsd serving example.test and
# taking RFC 2136 UPDATEs signed with a TSIG key from the fake provider API (tests/providers/*_fake.py), which
# mirrors every _acme-challenge TXT set it holds there, so pebble validates what the API holds; the fake's state.
# shellcheck shell=bash

FAKE_DIR=$REPO/tests/providers
FAKE_PID=""
FAKE_URL=""
FAKE_LOG=""
FAKE_NSUPDATE_ARGS=()

# fakedns_dns_up: starts acme-dnsd (example.test from zones_dir, its NS address 127.0.0.1, an update key for the
# fake limited to example.test) and sets FAKE_NSUPDATE_ARGS. Returns 1 (with a not ok line) when it fails.
fakedns_dns_up() {
	local secret
	free_port DNS_PORT && free_port API_PORT || return 1
	zone_init "$T/zones"
	secret=$(openssl rand -base64 32)
	write_config "$T/acme-dnsd.yaml" zones_dir="$T/zones" log_level=info ns_addresses='[127.0.0.1]' values_kept=8
	cat >>"$T/acme-dnsd.yaml" <<EOF
update:
  keys:
    - name: fake-provider
      algorithm: hmac-sha256
      secret: "$secret"
      zones: [example.test]
EOF
	start_acmednsd "$T/acme-dnsd.yaml" || return 1
	FAKE_NSUPDATE_ARGS=(--nsupdate-server --nsupdate-port "$DNS_PORT" --nsupdate-key "hmac-sha256:fake-provider:$secret")
}

# fake_start NAME PORT [ARGS...]: starts tests/providers/NAME_fake.py on 127.0.0.1:PORT (log $T/NAME.log) and waits
# (10 s at most) until it answers; sets FAKE_PID FAKE_URL FAKE_LOG. Returns 1 (with a not ok line) when it does not.
fake_start() {
	local name=$1 port=$2 i
	shift 2
	FAKE_LOG=$T/$name.log
	FAKE_URL=http://127.0.0.1:$port
	echo "# starting $name fake on $FAKE_URL (log $FAKE_LOG)"
	python3 -B "$FAKE_DIR/${name}_fake.py" --port "$port" --log "$FAKE_LOG" "${FAKE_NSUPDATE_ARGS[@]}" "$@" \
		>"$T/$name.out" 2>&1 &
	FAKE_PID=$!
	track_pid "$FAKE_PID"
	for ((i = 0; i < 100; i++)); do
		[ "$(curl -s -o /dev/null -m 2 -w '%{http_code}' "$FAKE_URL/_fake/state")" = 200 ] && return 0
		pid_alive "$FAKE_PID" || break
		sleep 0.1
	done
	not_ok "the $name fake answers within 10 s" "$(tail -20 "$T/$name.out")"
	return 1
}

fake_state() { curl -s -m 5 "$FAKE_URL/_fake/state"; }
# fake_post CONTROL JSON: POST /_fake/CONTROL (throttle, race, seed).
fake_post() { curl -s -m 5 -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
	--data-binary "$2" "$FAKE_URL/_fake/$1"; }
# fake_values ZONE_ID NAME: the TXT values the fake holds at NAME (with its final dot) in that zone, sorted, one line.
fake_values() {
	fake_state | jq -r --arg z "$1" --arg n "$2" \
		'[.zones[] | select(.id == $z) | .rrsets[] | select(.name == $n and .type == "TXT") | .values[]] | sort | join(" ")'
}
# fake_ttl ZONE_ID NAME: the TTL of that set.
fake_ttl() {
	fake_state | jq -r --arg z "$1" --arg n "$2" \
		'.zones[] | select(.id == $z) | .rrsets[] | select(.name == $n and .type == "TXT") | .ttl'
}
# fake_count ERE: the lines of the fake's log matching ERE.
fake_count() { grep -cE -- "$1" "$FAKE_LOG"; }
# dig_txt NAME: the TXT values acme-dnsd serves at NAME, sorted, one line.
dig_txt() { qdig +short TXT "$1" | tr -d '"' | sort | tr '\n' ' ' | sed 's/ $//'; }
sans_of() { openssl x509 -in "$1" -noout -ext subjectAltName 2>/dev/null | tail -n +2 | tr -d ' ' | tr ',' '\n' | sort | tr '\n' ' '; }
# line_of FILE ERE: the number of the first line of FILE matching ERE, or 999999.
line_of() { local n; n=$(grep -n -E -m1 -- "$2" "$1" | cut -d: -f1); echo "${n:-999999}"; }

# cli_cloud_args STATE_DIR: the flags of a run against pebble and acme-dnsd (the solver's own are added per script).
cli_cloud_args() {
	CLI_ARGS=(--state-dir "$1" --server "$PEBBLE_DIR" --ca-file "$PEBBLE_CA" --email admin@example.test
		--dns-resolvers "127.0.0.1:$DNS_PORT" --authoritative-port "$DNS_PORT"
		--propagation-interval 1 --propagation-timeout 30 --timeout 60 --log-level debug)
}

# check_issued DIR: the certificate of DIR verifies against pebble's root ($T/root.pem) and names the wildcard and
# the base.
check_issued() {
	local out rc
	out=$(openssl verify -CAfile "$T/root.pem" -untrusted "$1/chain.pem" "$1/cert.pem" 2>&1) && rc=0 || rc=$?
	check "  the certificate verifies against pebble's root" 0 "$rc" "$out"
	check "  its names are the wildcard and the base" "DNS:*.example.test DNS:example.test " "$(sans_of "$1/cert.pem")"
}

# kill_after_present LABEL WAIT_CMD ARGS...: runs acme-dns-cli issue ARGS in the background with a dead
# authoritative port (so it waits after presenting), waits (30 s) until WAIT_CMD succeeds, then SIGKILLs it.
kill_after_present() {
	local label=$1 wait_cmd=$2 pid
	shift 2
	"$ACME_CLI" issue "$@" >"$T/$label.out" 2>"$T/$label.err" </dev/null &
	pid=$!
	track_pid "$pid"
	if wait_for 30 "$wait_cmd"; then ok "SIGKILL run: our values are in place while it waits"; else
		not_ok "SIGKILL run: our values are in place while it waits" "$(fake_state)" "$(tail -20 "$T/$label.err")"
	fi
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	untrack_pid "$pid"
}
