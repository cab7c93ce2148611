#!/usr/bin/env bash
# Crash safety: bursts of concurrent API updates while acme-dnsd is killed with SIGKILL at a random moment, several
# rounds. After each restart every account's last update that was answered 200 must be served, and the store
# must pass SQLite's integrity check. Bounded: ROUNDS rounds, each client sends at most 60 updates.
. "$(dirname "$0")/lib.sh"

require_tools dig curl sqlite3
require_daemon

ROUNDS=${CRASH_ROUNDS:-5}
CLIENTS=4
PER_CLIENT=5                    # accounts per client
free_port DNS_PORT && free_port API_PORT || exit 1
write_config "$T/acme-dnsd.yaml" log_level=info
start_acmednsd "$T/acme-dnsd.yaml" || exit 1

# Accounts, one file per client: "user key subdomain" lines.
for ((c = 0; c < CLIENTS; c++)); do
	for ((i = 0; i < PER_CLIENT; i++)); do
		register || { not_ok "register account $c.$i"; exit 1; }
		echo "$REG_USER $REG_KEY $REG_SUB" >>"$T/accounts.$c"
	done
done
ok "registered $((CLIENTS * PER_CLIENT)) accounts"

# client C ROUND: updates its accounts round-robin until acme-dnsd stops answering or 60 updates are sent; each
# update answered 200 is appended to acked.C as "subdomain value".
client() {
	local c=$1 r=$2 n=0 user key sub v code
	while [ "$n" -lt 60 ]; do
		while read -r user key sub; do
			v=$(new_txt)
			code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -X POST "$API_URL/update" \
				-H "X-Api-User: $user" -H "X-Api-Key: $key" -H 'Content-Type: application/json' \
				--data-binary "{\"subdomain\": \"$sub\", \"txt\": \"$v\"}" 2>/dev/null)
			[ "$code" = 200 ] && echo "$sub $v" >>"$T/acked.$c"
			[ "$code" = 000 ] && return 0       # the daemon is gone
			n=$((n + 1))
		done <"$T/accounts.$c"
	done
}

for ((round = 1; round <= ROUNDS; round++)); do
	pids=()
	for ((c = 0; c < CLIENTS; c++)); do
		client "$c" "$round" &
		pids+=($!)
		track_pid "$!"
	done
	sleep "$(awk -v s="$RANDOM" 'BEGIN {printf "%.2f", 0.3 + (s % 1200) / 1000}')"
	kill -KILL "$ADNS_PID"
	wait "$ADNS_PID" 2>/dev/null
	untrack_pid "$ADNS_PID"
	ADNS_PID=""
	for p in "${pids[@]}"; do
		wait "$p" 2>/dev/null
		untrack_pid "$p"
	done
	acked=$(cat "$T"/acked.* 2>/dev/null | wc -l)
	check "round $round: the store passes SQLite's integrity check after SIGKILL" ok \
		"$(sqlite3 "$T/acme-dnsd.db" 'PRAGMA integrity_check' 2>&1)"
	start_acmednsd "$T/acme-dnsd.yaml" || exit 1
	# The last acknowledged value of each account must be served (older ones may have been pushed out by newer
	# acknowledged ones: store.values_kept is 2).
	missing=""
	n_acc=0
	# A lost value never shows; a query that times out on a loaded machine is asked again (5 s at most).
	_served() { qdig +short TXT "$sub.auth.example.test" | tr -d '"' | grep -qx -- "$v"; }
	while read -r sub v; do
		n_acc=$((n_acc + 1))
		wait_for 5 _served || missing="$missing $sub=$v (served: $(qdig +short TXT "$sub.auth.example.test" | tr '\n' ' '))"
	done < <(cat "$T"/acked.* 2>/dev/null | awk '{last[$1] = $2} END {for (s in last) print s, last[s]}')
	check "round $round: every account's last acknowledged update is served after restart ($acked acknowledged so far, $n_acc accounts)" \
		"" "${missing# }"
done
stop_acmednsd
finish
