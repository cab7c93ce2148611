#!/usr/bin/env bash
# The exec solver: `acme-dns-cli issue --solver exec --exec-program HOOK` runs HOOK present|cleanup FQDN VALUE
# once per record (no shell in between). The hook here is a real one: it writes the value into acme-dnsd through
# its HTTP API (POST /update, DELETE /update) with an account registered beforehand, behind the CNAME
# _acme-challenge.example.test -> the account's name, which the engine follows, so FQDN is the account's name.
# pebble validates wildcard + base; then a failing hook (exit 4 with its stderr in the error), a hook that hangs
# (killed after --exec-timeout, its children too) and a program that is not executable (exit 2).
. "$(dirname "$0")/lib.sh"

require_tools dig curl openssl ss pebble timeout jq
require_daemon
require_cli

free_port DNS_PORT && free_port API_PORT || exit 1
zone_init "$T/zones"
write_config "$T/acme-dnsd.yaml" zones_dir="$T/zones" log_level=info ns_addresses='[127.0.0.1, "::1"]'
start_acmednsd "$T/acme-dnsd.yaml" || exit 1
start_pebble || exit 1
pebble_root "$T/root.pem" || { not_ok "pebble's root is served on /roots/0"; exit 1; }

register || { not_ok "POST /register at acme-dnsd" "$HTTP_CODE $HTTP_BODY"; exit 1; }
zone_add "_acme-challenge.example.test. IN CNAME $REG_FULL."
zone_reload _acme-challenge.example.test "$REG_FULL" || { not_ok "acme-dnsd serves the CNAME"; exit 1; }
ok "an acme-dnsd account is registered and _acme-challenge.example.test is a CNAME to $REG_FULL"

# The hook: logs its arguments and environment, then sets (POST) or removes (DELETE) the value at acme-dnsd.
HOOK=$T/hook.sh
cat >"$HOOK" <<EOF
#!/bin/bash
printf '%s|%s|%s|%s|%s %s %s %s %s\n' "\$#" "\$1" "\$2" "\$3" "\$ACME_DNS_ACTION" "\$ACME_DNS_FQDN" \\
	"\$ACME_DNS_VALUE" "\$ACME_DNS_DOMAIN" "\$ACME_DNS_ZONE" >>"$T/hook.log"
case \$1 in
present) method=POST ;;
cleanup) method=DELETE ;;
*) echo "hook: unknown action \$1" >&2; exit 2 ;;
esac
[ "\$2" = "$REG_FULL." ] || { echo "hook: no account for \$2" >&2; exit 3; }
code=\$(curl -s -m 5 -o /dev/null -w '%{http_code}' -X "\$method" -H "X-Api-User: $REG_USER" \\
	-H "X-Api-Key: $REG_KEY" -H 'Content-Type: application/json' \\
	--data-binary "{\"subdomain\": \"$REG_SUB\", \"txt\": \"\$3\"}" "$API_URL/update")
[ "\$code" = 200 ] || { echo "hook: acme-dnsd answered \$code" >&2; exit 1; }
EOF
chmod 755 "$HOOK"

cli_default_args "$T/state"
cli_args_set --solver exec
cli_args_set --exec-program "$HOOK"
sans_of() { openssl x509 -in "$1" -noout -ext subjectAltName 2>/dev/null | tail -n +2 | tr -d ' ' | tr ',' '\n' | sort | tr '\n' ' '; }

# ---- 1. wildcard + base through the hook ----
run_cli issue issue -d example.test -d '*.example.test' --accept-tos
check_rc "issue --solver exec -d example.test -d '*.example.test': exit 0" 0
D=$T/state/certificates/example.test
out=$(openssl verify -CAfile "$T/root.pem" -untrusted "$D/chain.pem" "$D/cert.pem" 2>&1) && rc=0 || rc=$?
check "  the certificate verifies against pebble's root" 0 "$rc" "$out"
check "  its names are the wildcard and the base" "DNS:*.example.test DNS:example.test " "$(sans_of "$D/cert.pem")"
check "  the hook ran present, present, cleanup, cleanup" "present present cleanup cleanup" \
	"$(cut -d'|' -f2 "$T/hook.log" | tr '\n' ' ' | sed 's/ $//')" "$(cat "$T/hook.log")"
check "  each run had 3 arguments, FQDN the CNAME's target with a final dot" \
	"3 $REG_FULL. 3 $REG_FULL. 3 $REG_FULL. 3 $REG_FULL." \
	"$(cut -d'|' -f1,3 "$T/hook.log" | tr '|\n' '  ' | sed 's/ $//')"
PRESENTED=$(awk -F'|' '$2 == "present" {print $4}' "$T/hook.log" | sort | tr '\n' ' ')
CLEANED=$(awk -F'|' '$2 == "cleanup" {print $4}' "$T/hook.log" | sort | tr '\n' ' ')
check_match "  two different 43-character values were presented" '^[A-Za-z0-9_-]{43} [A-Za-z0-9_-]{43} $' \
	"$([ "$(printf '%s' "$PRESENTED" | wc -w)" = 2 ] && [ "$(printf '%s\n' $PRESENTED | sort -u | wc -l)" = 2 ] && echo "$PRESENTED")"
check "  and the same two cleaned up" "$PRESENTED" "$CLEANED"
check "  the environment says the same (ACME_DNS_ACTION FQDN VALUE DOMAIN ZONE)" "ok ok ok ok" \
	"$(awk -F'|' '{split($5, e, " "); print (e[1] == $2 && e[2] == $3 && e[3] == $4 && e[4] == "example.test" && e[5] == "auth.example.test.") ? "ok" : "bad: " $0}' "$T/hook.log" | tr '\n' ' ' | sed 's/ $//')" \
	"$(cat "$T/hook.log")"
check "  the values are gone from acme-dnsd" "" "$(qdig +short TXT "$REG_FULL")"
check "  the journal is empty" 0 "$(ls "$T/state/journal" 2>/dev/null | grep -c '\.json$')"

# ---- 2. a failing hook: its stderr in the error, exit 4 ----
cat >"$T/failing.sh" <<'EOF'
#!/bin/sh
echo "some progress on stdout"
echo "provider said: quota exceeded for zone example.test" >&2
exit 3
EOF
chmod 755 "$T/failing.sh"
cli_args_set --exec-program "$T/failing.sh"
run_cli failing issue -d example.test -d '*.example.test' --cert-name failing --accept-tos
check_rc "a hook that exits 3: exit 4 (DNS)" 4
check_match "  the error names the program and its exit status" "failing\.sh present $REG_FULL\. failed with exit status 3" "$ERR"
check_match "  and carries its stderr" 'provider said: quota exceeded for zone example\.test' "$ERR"
check "  no certificate was written" no "$([ -e "$T/state/certificates/failing" ] && echo yes || echo no)"

# ---- 3. a hook that hangs: killed after --exec-timeout, with what it started ----
cat >"$T/hanging.sh" <<EOF
#!/bin/bash
[ "\$1" = present ] || exit 0
sleep 300 &
echo \$! >"$T/sleep.pid"
wait
EOF
chmod 755 "$T/hanging.sh"
cli_args_set --exec-program "$T/hanging.sh"
start=$(date +%s)
run_cli hanging issue -d example.test -d '*.example.test' --cert-name hanging --accept-tos --exec-timeout 2
took=$(($(date +%s) - start))
check_rc "a hook that hangs, --exec-timeout 2: exit 4 (DNS)" 4
check_match "  the error says it was killed" 'hanging\.sh did not finish within 2 s \(killed\)' "$ERR"
check "  the run ended within 20 s" yes "$([ "$took" -le 20 ] && echo yes || echo no)" "$took s"
SLEEP_PID=$(cat "$T/sleep.pid" 2>/dev/null)
check "  the hook's own child (sleep) was killed too" gone \
	"$([ -n "$SLEEP_PID" ] && ! pid_alive "$SLEEP_PID" && echo gone || echo "alive or unknown: '$SLEEP_PID'")"

# ---- 3b. SIGTERM while the hook hangs: the hook is killed at once, clean-up still runs, exit 10 ----
cat >"$T/hanging2.sh" <<EOF
#!/bin/bash
echo "\$1 \$2 \$3" >>"$T/hanging2.calls"
[ "\$1" = present ] || exit 0
sleep 300 &
wait
EOF
chmod 755 "$T/hanging2.sh"
cli_args_set --exec-program "$T/hanging2.sh"
"$ACME_CLI" issue "${CLI_ARGS[@]}" -d example.test --cert-name term --accept-tos --exec-timeout 120 \
	>"$T/term.out" 2>"$T/term.err" &
TERM_PID=$!
track_pid "$TERM_PID"
_presenting() { [ -s "$T/hanging2.calls" ]; }
wait_for 30 _presenting
start=$(date +%s)
kill -TERM "$TERM_PID"
wait "$TERM_PID" && rc=0 || rc=$?
untrack_pid "$TERM_PID"
took=$(($(date +%s) - start))
check "SIGTERM while the hook hangs (--exec-timeout 120): exit 10 within 10 s" "10 yes" \
	"$rc $([ "$took" -le 10 ] && echo yes || echo no)" "$took s" "$(tail -5 "$T/term.err")"
check "  the hook was still called for clean-up" 1 "$(grep -c '^cleanup ' "$T/hanging2.calls")" \
	"$(cat "$T/hanging2.calls")"
check "  no sanitizer report" "" "$(sanitizer_report "$T/term.err")"

# ---- 4. a program that cannot run ----
printf '#!/bin/sh\nexit 0\n' >"$T/not-executable.sh"
chmod 644 "$T/not-executable.sh"
cli_args_set --exec-program "$T/not-executable.sh"
run_cli not-exec issue -d example.test --cert-name notexec --accept-tos
check_rc "an --exec-program that is not executable: exit 2 (usage)" 2
check_match "  the error says so" 'not-executable\.sh: not an executable file' "$ERR"

check_cli_sanitizers
stop_pebble
stop_acmednsd
finish
