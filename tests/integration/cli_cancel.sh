#!/usr/bin/env bash
# An interrupted run leaves nothing behind: acme-dns-cli gets SIGTERM (as from a cancelled CI job) while it
# waits for its records to show at an authoritative server that never answers; it must stop within seconds with exit code 10,
# and the challenge values it had published at acme-dnsd must be gone.
. "$(dirname "$0")/lib.sh"

require_tools dig curl openssl ss pebble timeout
require_daemon
require_cli

free_port DNS_PORT && free_port API_PORT && free_port DEAD_PORT || exit 1
zone_init "$T/zones"
write_config "$T/acme-dnsd.yaml" zones_dir="$T/zones" log_level=info ns_addresses='[127.0.0.1, "::1"]'
start_acmednsd "$T/acme-dnsd.yaml" || exit 1
start_pebble || exit 1
cli_default_args "$T/state"

run_cli register register -d example.test
check_rc "register -d example.test" 0
REC=$(cnames_in "$OUT")
TARGET=$(printf '%s\n' "$REC" | awk '{print $3}')
TARGET=${TARGET%.}
zone_add "$REC"
zone_reload _acme-challenge.example.test "$TARGET" || { not_ok "acme-dnsd serves the CNAME"; exit 1; }

# The resolver (acme-dnsd) answers the CNAME check and names the NS; the propagation checker asks the NS
# addresses on a port nobody answers, so the wait goes on.
cli_args_set --authoritative-port "$DEAD_PORT"
cli_args_set --propagation-timeout 120
"$ACME_CLI" issue "${CLI_ARGS[@]}" -d example.test -d '*.example.test' --accept-tos >"$T/cancel.out" 2>"$T/cancel.err" &
CLI_PID=$!
track_pid "$CLI_PID"
values_up() { [ "$(qdig +short TXT "$TARGET" | wc -l)" -eq 2 ]; }
if wait_for 30 values_up; then ok "both challenge values are published while the client waits"; else
	not_ok "both challenge values are published while the client waits" "$(qdig TXT "$TARGET")" "$(tail -20 "$T/cancel.err")"
fi
start=$(date +%s)
kill -TERM "$CLI_PID"
for _ in $(seq 1 150); do pid_alive "$CLI_PID" || break; sleep 0.1; done
if pid_alive "$CLI_PID"; then
	not_ok "the client stops within 15 s of SIGTERM" "$(tail -20 "$T/cancel.err")"
	kill -KILL "$CLI_PID"
fi
wait "$CLI_PID" && rc=0 || rc=$?
untrack_pid "$CLI_PID"
check "SIGTERM: exit code 10 (interrupted)" 10 "$rc" "$(tail -20 "$T/cancel.err")"
check "  it stopped within 15 s" yes "$([ $(($(date +%s) - start)) -le 15 ] && echo yes || echo no)"
check "  the published values were removed" "" "$(qdig +short TXT "$TARGET")" "$(tail -20 "$T/cancel.err")"
check_match "  the message says it was interrupted" "interrupted" "$(cat "$T/cancel.err")"
check "  no certificate was written" no "$([ -e "$T/state/certificates/example.test" ] && echo yes || echo no)"
check "  no sanitizer report" "" "$(sanitizer_report "$T/cancel.err")"
stop_pebble
stop_acmednsd
finish
