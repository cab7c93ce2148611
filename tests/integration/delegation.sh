#!/usr/bin/env bash
# `acme-dns-cli delegation` in a real DNS world on loopback (world.sh): the CNAME from _acme-challenge.DOMAIN to
# the acme-dns subdomain is found missing, wrong, right; a wildcard that stands in for it, a DNAME above it and
# CAA records that leave the CA out are reported.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/world.sh"

require_tools dig curl ss named unbound nsupdate timeout
require_daemon
require_cli
mkdir -p "$T/adz"
WORLD_ACMEDNSD_ZONES=$T/adz
world_start || exit 1
ok "the DNS world is up on $WORLD_NET.0/24 (resolver $WORLD_RESOLVER)"

FULL=11111111-2222-3333-4444-555555555555.auth.example.test
# run_dg LABEL ARGS...: acme-dns-cli delegation with the world's resolver and a CA identity; sets RC, OUT, ERR.
# The directory URL is on loopback and closed: nothing leaves the machine.
run_dg() {
	local label=$1
	shift
	timeout -k 5 60 "$ACME_CLI" delegation --dns-resolvers "$WORLD_RESOLVER" --state-dir "$T/state" \
		--server http://127.0.0.1:9/directory "$@" >"$T/$label.out" 2>"$T/$label.err" </dev/null && RC=0 || RC=$?
	OUT=$(cat "$T/$label.out")
	ERR=$(cat "$T/$label.err")
	[ -z "$(sanitizer_report "$T/$label.err")" ] || not_ok "$label: no sanitizer report" "$ERR"
}
ctx() { printf -- '--- stdout ---\n%s\n--- stderr ---\n%s\n' "$OUT" "$(tail -n 15 <<<"$ERR")"; }
# change: a signed update on the primary, then the secondary in step (the resolver may ask either).
change() { "$@" && world_sync_secondary || not_ok "the zone change $* is made" ; }

# ---- 1. usage: no account and no --to ----
run_dg noacct -d none.example.test --caa-identity pebble.letsencrypt.org
check "no acme-dns account and no --to: exit 2" 2 "$RC" "$(ctx)"
check_match "  the message says to run register or pass --to" "register -d none.example.test.*--to" "$ERR" "$(ctx)"

# ---- 2. missing ----
run_dg missing -d miss.example.test --to "$FULL" --caa-identity pebble.letsencrypt.org --json
check "no CNAME: exit 6" 6 "$RC" "$(ctx)"
check_match "  the exact record to add is printed" "_acme-challenge\\.miss\\.example\\.test\\. CNAME $FULL\\." "$ERR" "$(ctx)"
check_match "  --json: result missing" '"result":"missing"' "$OUT" "$(ctx)"
check_match "  --json: delegation.found is null" '"found":null' "$OUT" "$(ctx)"

# ---- 3. a CNAME to something else ----
change world_cname_set _acme-challenge.wrong.example.test other.auth.example.test
run_dg wrong -d wrong.example.test --to "$FULL" --caa-identity pebble.letsencrypt.org --json
check "a CNAME to another name: exit 6" 6 "$RC" "$(ctx)"
check_match "  names what is there and what belongs there" "other\\.auth\\.example\\.test.*_acme-challenge\\.wrong\\.example\\.test\\. CNAME $FULL\\." "$ERR" "$(ctx)"
check_match "  --json: result wrong_target" '"result":"wrong_target"' "$OUT" "$(ctx)"

# ---- 4. right, from --to and from the storage file ----
change world_cname_set _acme-challenge.right.example.test "$FULL"
run_dg right -d '*.right.example.test' --to "$FULL" --caa-identity pebble.letsencrypt.org
check "the right CNAME (for a wildcard name): exit 0" 0 "$RC" "$(ctx)"
check_match "  one line says so" "^_acme-challenge\\.right\\.example\\.test is a CNAME to $FULL: delegated$" "$OUT" "$(ctx)"
mkdir -p "$T/state"
printf '{"right.example.test":{"fulldomain":"%s","subdomain":"x","username":"u","password":"p","server_url":""}}\n' \
	"$FULL" >"$T/accounts.json"
chmod 600 "$T/accounts.json"
run_dg stored -d right.example.test --acme-dns-storage "$T/accounts.json" --caa-identity pebble.letsencrypt.org --json
check "the target from the acme-dns storage: exit 0" 0 "$RC" "$(ctx)"
check_match "  --json: result delegated" '"result":"delegated"' "$OUT" "$(ctx)"
check_match "  --json: expected and found are the fulldomain" "\"expected\":\"$FULL\",\"found\":\"$FULL\"" "$OUT" "$(ctx)"

# ---- 5. a wildcard CNAME stands in for the missing one ----
change world_cname_set '*.wild.example.test' somewhere.example.org
run_dg wild -d wild.example.test --to "$FULL" --caa-identity pebble.letsencrypt.org --json
check "only a wildcard CNAME answers: exit 6" 6 "$RC" "$(ctx)"
check_match "  says an explicit CNAME is needed" "explicit CNAME is needed" "$ERR" "$(ctx)"
check_match "  --json: result missing" '"result":"missing"' "$OUT" "$(ctx)"
change world_cname_set _acme-challenge.wild.example.test "$FULL"
sleep 6                                   # the resolver caches the wildcard answer at most 5 s
run_dg wild-ok -d wild.example.test --to "$FULL" --caa-identity pebble.letsencrypt.org --json
check "an explicit CNAME next to the wildcard: exit 0" 0 "$RC" "$(ctx)"
check_match "  with a warning that the wildcard exists" '"warnings":\["[^"]*wildcard \*\.wild\.example\.test' "$OUT" "$(ctx)"

# ---- 6. a DNAME above the name ----
change world_dname_set dn.example.test elsewhere.example.org
run_dg dname -d x.dn.example.test --to "$FULL" --caa-identity pebble.letsencrypt.org
check "a DNAME above the challenge name: exit 6" 6 "$RC" "$(ctx)"
check_match "  says a CNAME below a DNAME cannot work, and where the DNAME is" \
	"CNAME below a DNAME cannot work.*DNAME at dn\\.example\\.test" "$ERR" "$(ctx)"

# ---- 7. CAA ----
change world_caa_set example.test 0 issue "other-ca.example"
sleep 6                                   # the resolver caches "no CAA" at most 5 s
run_dg caa-no -d right.example.test --to "$FULL" --caa-identity pebble.letsencrypt.org --json
check "a CAA record for another CA: still exit 0" 0 "$RC" "$(ctx)"
check_match "  a warning names the CAA owner example.test and its value" \
	'warning: CAA at example\.test .*issue "other-ca\.example"' "$ERR" "$(ctx)"
check_match "  --json: the warning is in delegation.warnings" '"warnings":\["CAA at example\.test' "$OUT" "$(ctx)"
run_dg caa-yes -d right.example.test --to "$FULL" --caa-identity other-ca.example --json
check "a CAA record for this CA: exit 0" 0 "$RC" "$(ctx)"
check_match "  no warning" '"warnings":\[\]' "$OUT" "$(ctx)"
run_dg caa-env -d right.example.test --to "$FULL"
check "no --caa-identity and the directory unreachable: exit 0" 0 "$RC" "$(ctx)"
check_match "  a note says the CAA check was skipped" "note: CAA check skipped" "$ERR" "$(ctx)"
ACME_DNS_CLI_CAA_IDENTITY=pebble.letsencrypt.org,x.example run_dg caa-env2 -d right.example.test --to "$FULL"
check_match "ACME_DNS_CLI_CAA_IDENTITY is read: the warning shows" "warning: CAA at example\\.test" "$ERR" "$(ctx)"

world_stop
finish
