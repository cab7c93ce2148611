#!/usr/bin/env bash
# An interrupted run leaves nothing behind: acme-dns-cli gets SIGTERM (as from a cancelled CI job) while it
# waits for its records to show at an authoritative server that never answers;
# then a run killed with SIGKILL, whose records `cleanup --stale` removes from the journal; it must stop within seconds with exit code 10,
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
check "  the journal of created records is empty again" 0 "$(ls "$T/state/journal" 2>/dev/null | wc -l)"

# A run killed with SIGKILL cannot clean up: the journal lists what it created, and `cleanup --stale` removes
# exactly that.
"$ACME_CLI" issue "${CLI_ARGS[@]}" -d example.test -d '*.example.test' --accept-tos >"$T/kill.out" 2>"$T/kill.err" &
CLI_PID=$!
track_pid "$CLI_PID"
if wait_for 30 values_up; then ok "SIGKILL run: both challenge values are published while it waits"; else
	not_ok "SIGKILL run: both challenge values are published while it waits" "$(tail -20 "$T/kill.err")"
fi
kill -KILL "$CLI_PID"
wait "$CLI_PID" 2>/dev/null
untrack_pid "$CLI_PID"
check "  after SIGKILL the values are still served" 2 "$(qdig +short TXT "$TARGET" | wc -l)"
check "  and the journal lists both" 2 "$(ls "$T/state/journal" 2>/dev/null | grep -c '\.json$')" \
	"$(cat "$T/state/journal"/*.json 2>&1)"
run_cli stale cleanup --stale --json
check_rc "cleanup --stale: exit 0" 0
check "  it names the two records it removed" "removed removed" \
	"$(printf '%s' "$OUT" | jq -r '[.records[].state] | join(" ")' 2>/dev/null)" "$OUT"
check "  the values are gone from DNS" "" "$(qdig +short TXT "$TARGET")"
check "  the journal is empty" 0 "$(ls "$T/state/journal" 2>/dev/null | grep -c '\.json$')"
run_cli stale-again cleanup --stale
check_rc "cleanup --stale again: exit 0, nothing to do" 0
check_match "  it says the journal is empty" "journal is empty" "$OUT"
run_cli no-stale cleanup
check_rc "cleanup without --stale: exit 2 (usage)" 2
check_cli_sanitizers
stop_pebble
stop_acmednsd
finish
