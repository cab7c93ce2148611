#!/usr/bin/env bash
# Crash safety: bursts of concurrent API updates and RFC 2136 UPDATEs (nsupdate, TSIG) while acme-dnsd is killed
# with SIGKILL at a random moment, several rounds. After each restart every account's last update answered 200, and
# every name's last UPDATE answered NOERROR, must be served, and the store must pass SQLite's integrity check.
# Bounded: ROUNDS rounds, each API client sends at most 60 updates, the UPDATE client at most 40.
. "$(dirname "$0")/lib.sh"

require_tools dig curl sqlite3 nsupdate openssl
require_daemon

ROUNDS=${CRASH_ROUNDS:-5}
CLIENTS=4
PER_CLIENT=5                    # accounts per client
free_port DNS_PORT && free_port API_PORT || exit 1
zone_init "$T/zones"
write_config "$T/acme-dnsd.yaml" log_level=info zones_dir="$T/zones"
SECRET=$(openssl rand -base64 32 | tr -d '\n')
note_secret "$SECRET"
printf 'update:\n  keys:\n    - name: crash-key\n      secret: "%s"\n      zones: [example.test]\n' "$SECRET" \
	>>"$T/acme-dnsd.yaml"
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
			echo "$sub $v" >>"$T/tried.$c"
			code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -X POST "$API_URL/update" \
				-H "X-Api-User: $user" -H "X-Api-Key: $key" -H 'Content-Type: application/json' \
				--data-binary "{\"subdomain\": \"$sub\", \"txt\": \"$v\"}" 2>/dev/null)
			[ "$code" = 200 ] && echo "$sub $v" >>"$T/acked.$c"
			[ "$code" = 000 ] && return 0       # the daemon is gone
			n=$((n + 1))
		done <"$T/accounts.$c"
	done
}

# updater ROUND: RFC 2136 UPDATEs replacing the TXT set of _acme-challenge.uN.example.test (N = 0..3 in turn)
# with one new value, until the server stops answering or 40 are sent; each NOERROR is appended to acked.rfc2136.
updater() {
	local n=0 name v
	while [ "$n" -lt 40 ]; do
		name=_acme-challenge.u$((n % 4)).example.test
		v=$(new_txt)
		echo "$name $v" >>"$T/tried.rfc2136"
		if printf 'server 127.0.0.1 %s\nzone example.test\nupdate delete %s TXT\nupdate add %s 60 TXT "%s"\nsend\n' \
			"$DNS_PORT" "$name" "$name" "$v" | timeout 10 nsupdate -t 3 -y "hmac-sha256:crash-key:$SECRET" >/dev/null 2>&1
		then
			echo "$name $v" >>"$T/acked.rfc2136"
		elif ! pid_alive "$ADNS_PID"; then
			return 0
		fi
		n=$((n + 1))
	done
}

for ((round = 1; round <= ROUNDS; round++)); do
	pids=()
	updater "$round" &
	pids+=($!)
	track_pid "$!"
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
	acked=$(cat "$T"/acked.[0-9]* 2>/dev/null | wc -l)
	check "round $round: the store passes SQLite's integrity check after SIGKILL" ok \
		"$(sqlite3 "$T/acme-dnsd.db" 'PRAGMA integrity_check' 2>&1)"
	start_acmednsd "$T/acme-dnsd.yaml" || exit 1
	missing=""
	n_acc=0
	# The last acknowledged value of each account must be served (beside an older one: store.values_kept is 2),
	# unless two updates sent after it whose answers the kill cut off (committed, never acknowledged) pushed it out;
	# each round's kill can leave one such update per client. Then only those later values may be served.
	_served() {
		local got
		got=$(qdig +short TXT "$sub.auth.example.test" | tr -d '"')
		[ -n "$got" ] || return 1
		printf '%s\n' "$got" | grep -qx -- "$v" && return 0
		[ "$(printf '%s\n' $later | grep -cvx -- "$v")" -ge 2 ] || return 1
		printf '%s\n' "$got" | while read -r g; do printf '%s\n' $later | grep -qx -- "$g" || exit 1; done
	}
	while read -r sub v; do
		n_acc=$((n_acc + 1))
		later=$(cat "$T"/tried.[0-9]* | awk -v n="$sub" -v v="$v" '$1 == n {if ($2 == v) {list = v; on = 1} else if (on) list = list " " $2} END {print list}')
		wait_for 5 _served || missing="$missing $sub=$v (served: $(qdig +short TXT "$sub.auth.example.test" | tr '\n' ' '))"
	done < <(cat "$T"/acked.[0-9]* 2>/dev/null | awk '{last[$1] = $2} END {for (s in last) print s, last[s]}')
	check "round $round: every account's last acknowledged update is served after restart ($acked acknowledged so far, $n_acc accounts)" \
		"" "${missing# }"
	# Each UPDATE replaces the name's set: what is served is its last UPDATE answered NOERROR, or one sent after it
	# whose answer the kill cut off (committed, never acknowledged) -- never an older one.
	missing=""
	n_names=0
	_served_ok() {
		local got
		got=$(qdig +short TXT "$sub" | tr -d '"')
		[ -n "$got" ] && printf '%s\n' $ok_values | grep -qx -- "$got"
	}
	while read -r sub v; do
		n_names=$((n_names + 1))
		ok_values=$(awk -v n="$sub" -v v="$v" '$1 == n {if ($2 == v) {list = v; on = 1} else if (on) list = list " " $2} END {print list}' \
			"$T/tried.rfc2136")
		wait_for 5 _served_ok || missing="$missing $sub=$v (served: $(qdig +short TXT "$sub" | tr '\n' ' '))"
	done < <(awk '{last[$1] = $2} END {for (s in last) print s, last[s]}' "$T/acked.rfc2136" 2>/dev/null)
	check "round $round: every name's last UPDATE answered NOERROR (or a later, unanswered one) is what is served ($(wc -l <"$T/acked.rfc2136" 2>/dev/null || echo 0) acknowledged so far, $n_names names)" \
		"" "${missing# }"
done
stop_acmednsd
finish
