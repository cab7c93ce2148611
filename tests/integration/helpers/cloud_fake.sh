# What the tests of the per-record cloud solvers share (cloudflare.sh, digitalocean.sh, hetzner.sh, httpreq.sh):
# acme-dnsd serving example.test and taking TSIG-signed UPDATEs, the fake provider API of tests/providers/ that
# mirrors its records into it, pebble validating against it, and the checks every one of them makes.
# Sourced after lib.sh, never run.
# shellcheck shell=bash

NAME=_acme-challenge.example.test
FOREIGN=someone-elses-value
FAKE_PID=""

# cloud_dns_start: acme-dnsd serving example.test from a zone file (its NS ns1.auth.example.test at 127.0.0.1),
# taking UPDATEs signed with the key in $T/fake-provider.key, which the fake provider publishes with.
cloud_dns_start() {
	local secret
	free_port DNS_PORT && free_port API_PORT || return 1
	zone_init "$T/zones"
	secret=$(openssl rand -base64 32)
	printf 'key "fake-provider" {\n\talgorithm hmac-sha256;\n\tsecret "%s";\n};\n' "$secret" >"$T/fake-provider.key"
	write_config "$T/acme-dnsd.yaml" zones_dir="$T/zones" log_level=info values_kept=8 ns_addresses='[127.0.0.1]'
	cat >>"$T/acme-dnsd.yaml" <<EOF
update:
  keys:
    - name: fake-provider
      algorithm: hmac-sha256
      secret: "$secret"
      zones: [example.test]
EOF
	start_acmednsd "$T/acme-dnsd.yaml"
}

# fake_start PROVIDER [ARGS...]: starts tests/providers/PROVIDER.py on a free port (credentials from the caller's
# FAKE_* variables), its request log in $FAKE_LOG; waits (20 s) for it. Sets FAKE_PID FAKE_PORT FAKE_URL.
fake_start() {
	local provider=$1
	shift
	free_port FAKE_PORT || return 1
	FAKE_URL=http://127.0.0.1:$FAKE_PORT
	FAKE_LOG=$T/fake-$provider.requests.jsonl
	echo "# starting tests/providers/$provider.py --port $FAKE_PORT $* (requests logged to $FAKE_LOG)"
	python3 "$REPO/tests/providers/$provider.py" --port "$FAKE_PORT" --log "$FAKE_LOG" --dns-port "$DNS_PORT" \
		--tsig-key-file "$T/fake-provider.key" "$@" >"$T/fake-$provider.log" 2>&1 &
	FAKE_PID=$!
	track_pid "$FAKE_PID"
	if ! wait_for 20 fake_up; then
		not_ok "the fake $provider API answers within 20 s" "$(tail -20 "$T/fake-$provider.log")"
		return 1
	fi
	ok "the fake $provider API is up and has published its seed into acme-dnsd"
}
fake_up() { pid_alive "$FAKE_PID" && curl -sf -m 2 -o /dev/null "$FAKE_URL/_fake/state"; }

# fake_state: the fake's zones and records (JSON).
fake_state() { curl -sf -m 5 "$FAKE_URL/_fake/state"; }
# fake_txt NAME [JQ_CONDITION]: the TXT contents the fake holds at NAME (and matching the condition), sorted, one
# line.
fake_txt() {
	fake_state | jq -r --arg n "$1" "[.records[] | select(.type == \"TXT\" and .name == \$n and (${2:-true})) |
		.content] | sort | join(\" \")"
}
# fake_count JQ_CONDITION: how many logged requests match.
fake_count() { jq -s "[.[] | select($1)] | length" "$FAKE_LOG"; }
# dig_txt NAME: the TXT values acme-dnsd serves at NAME, sorted, one line.
dig_txt() { qdig +short TXT "$1" | tr -d '"' | sort | tr '\n' ' ' | sed 's/ $//'; }
sans_of() {
	openssl x509 -in "$1" -noout -ext subjectAltName 2>/dev/null | tail -n +2 | tr -d ' ' | tr ',' '\n' | sort |
		tr '\n' ' '
}

# cloud_cli_args STATE_DIR SOLVER [FLAG...]: the flags of a run against pebble and acme-dnsd.
cloud_cli_args() {
	local state=$1 solver=$2
	shift 2
	CLI_ARGS=(--state-dir "$state" --server "$PEBBLE_DIR" --ca-file "$PEBBLE_CA" --email admin@example.test
		--dns-resolvers "127.0.0.1:$DNS_PORT" --authoritative-port "$DNS_PORT"
		--propagation-interval 1 --propagation-timeout 30 --timeout 60 --log-level debug --solver "$solver" "$@")
}

# cloud_start: acme-dnsd, then pebble validating against it; its root in $T/root.pem.
cloud_start() {
	require_tools dig nsupdate curl openssl ss pebble timeout jq python3
	require_daemon
	require_cli
	cloud_dns_start || exit 1
	start_pebble dnsserver="127.0.0.1:$DNS_PORT" || exit 1
	pebble_root "$T/root.pem" || { not_ok "pebble's root is served on /roots/0"; exit 1; }
}

# check_cert STATE_DIR: the certificate of example.test in it verifies against pebble's root, for the wildcard and
# the base; the journal is empty.
check_cert() {
	local d=$1/certificates/example.test out rc
	out=$(openssl verify -CAfile "$T/root.pem" -untrusted "$d/chain.pem" "$d/cert.pem" 2>&1) && rc=0 || rc=$?
	check "  the certificate verifies against pebble's root" 0 "$rc" "$out"
	check "  its names are the wildcard and the base" "DNS:*.example.test DNS:example.test " "$(sans_of "$d/cert.pem")"
	check "  the journal is empty" 0 "$(ls "$1/journal" 2>/dev/null | grep -c '\.json$')"
}

# check_only_foreign [JQ_CONDITION]: the fake holds someone else's value at $NAME and nothing else; dig agrees.
check_only_foreign() {
	check "  the provider holds someone else's value at $NAME, and nothing of ours" "$FOREIGN" "$(fake_txt "$NAME" "${1:-true}")"
	check "  dig at acme-dnsd sees only someone else's value" "$FOREIGN" "$(dig_txt "$NAME")"
}

# check_retry_after: the last run met a 429 and waited for its Retry-After (1 s) before trying again.
check_retry_after() {
	check_match "  it was answered 429 once and waited the Retry-After (1 s)" 'HTTP 429, trying again in 1 s' "$ERR" \
		"$(grep -E 'http: |429' "$ERR_FILE" | tail -20)"
	check "  the fake answered exactly one 429" 1 "$(fake_count '.status == 429')"
}

# cloud_kill_run STATE_DIR CONDITION_CMD [VAR=VALUE...]: `issue -d example.test -d '*.example.test'` in the
# background, its credentials from the VAR=VALUE pairs, asking the authoritative servers on a dead port (so it waits
# after presenting); once CONDITION_CMD succeeds (both values presented) it is killed with SIGKILL.
cloud_kill_run() {
	local state=$1 cond=$2 dead pid
	shift 2
	free_port dead || return 1
	cli_args_set --authoritative-port "$dead"
	cli_args_set --propagation-timeout 120
	cli_args_set --state-dir "$state"
	env "$@" "$ACME_CLI" issue "${CLI_ARGS[@]}" -d example.test -d '*.example.test' --accept-tos \
		>"$T/kill.out" 2>"$T/kill.err" </dev/null &
	pid=$!
	track_pid "$pid"
	if wait_for 30 "$cond"; then ok "SIGKILL run: both values are presented while it waits"; else
		not_ok "SIGKILL run: both values are presented while it waits" "$(fake_state)" "$(tail -20 "$T/kill.err")"
	fi
	kill -KILL "$pid"
	wait "$pid" 2>/dev/null
	untrack_pid "$pid"
	check "  the journal lists 2 records" 2 "$(ls "$state/journal" 2>/dev/null | grep -c '\.json$')"
	check "  no sanitizer report in the killed run's output" "" "$(sanitizer_report "$T/kill.err")"
}

# check_stale_cleanup SOLVER [lookup]: after `cleanup --stale --json` (run by the caller), both journal entries are
# removed; with lookup, the records were found by their content (the killed run's ids died with it).
check_stale_cleanup() {
	check_rc "cleanup --stale --solver $1: exit 0" 0
	check "  it removed the two records" "removed removed" \
		"$(printf '%s' "$OUT" | jq -r '[.records[].state] | join(" ")' 2>/dev/null)" "$OUT"
	[ "${2:-}" = lookup ] || return 0
	check "  without ids (a killed run's), it found both by their content" 2 "$(grep -c 'found by its content' "$ERR_FILE")"
}

# check_secret_nowhere SECRET...: no output, log or state file of this run holds any of them.
check_secret_nowhere() {
	local s hits=""
	for s in "$@"; do
		hits+=$(grep -rlF -e "$s" "$T"/cli.*.out "$T"/cli.*.err "$T/kill.out" "$T/kill.err" "$T"/state* "$T"/fake-*.log \
			"$FAKE_LOG" 2>/dev/null)
	done
	check "no output, log or state file of any run holds a credential" "" "$hits"
}

# cloud_stop: pebble and the fake stopped; the sanitizer checks; acme-dnsd stops cleanly.
cloud_stop() {
	check_cli_sanitizers
	stop_pebble
	[ -n "$FAKE_PID" ] && kill_pid "$FAKE_PID" TERM 5
	check "the fake API reported no error of its own" "" "$(grep -v '^$' "$T"/fake-*.log 2>/dev/null | head -5)"
	stop_acmednsd
}
