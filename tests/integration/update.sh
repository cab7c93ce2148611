#!/usr/bin/env bash
# RFC 2136 UPDATE signed with TSIG against acme-dnsd, from two independent clients: BIND's nsupdate and Knot's
# knsupdate. Values at _acme-challenge names of a zone from zones_dir and at an account subdomain, deletes,
# a restart, every TSIG error, the key's policy, prerequisites, UDP and TCP.
. "$(dirname "$0")/lib.sh"

require_tools dig nsupdate knsupdate faketime curl ss openssl
require_daemon

free_port DNS_PORT && free_port API_PORT || exit 1
zone_init "$T/zones"
CFG=$T/acme-dnsd.yaml
CHAL=_acme-challenge.example.test

# ---- first start without keys, to register the account the key will be given ----
write_config "$CFG" zones_dir="$T/zones" log_level=info
start_acmednsd "$CFG" || exit 1
register || { not_ok "POST /register: 201" "got $HTTP_CODE $HTTP_BODY"; exit 1; }
stop_acmednsd "acme-dnsd without keys stops cleanly"
ACCT=$REG_SUB.auth.example.test

S256=$(openssl rand -base64 32 | tr -d "\n")
S512=$(openssl rand -base64 64 | tr -d "\n")
SMD5=$(openssl rand -base64 16 | tr -d "\n")
S384=$(openssl rand -base64 48 | tr -d "\n")
S224=$(openssl rand -base64 28 | tr -d "\n")
SSHA1=$(openssl rand -base64 20 | tr -d "\n")
WRONG=$(openssl rand -base64 32 | tr -d "\n")
printf '%s\n' "$S256" >"$T/lego-key.secret"
chmod 600 "$T/lego-key.secret"
write_config "$CFG" zones_dir="$T/zones" log_level=info
cat >>"$CFG" <<EOF
update:
  keys:
    - name: lego-key.
      algorithm: hmac-sha256
      secret_file: lego-key.secret
      subdomains: [$REG_SUB]
    - name: knot-key
      algorithm: hmac-sha512
      secret: "$S512"
    - name: old-key
      algorithm: hmac-md5
      secret: "$SMD5"
    - name: knot384-key
      algorithm: hmac-sha384
      secret: "$S384"
      zones: [example.test]
    - name: narrow-key
      secret: "$S256"
      zones: [other.test]
    - {name: knot224-key, algorithm: hmac-sha224, secret: "$S224"}
    - {name: sha1-key, algorithm: HMAC-SHA1, secret: "$SSHA1"}
  fudge: 300
EOF
start_acmednsd "$CFG" || exit 1
grep -q "update key narrow-key: zone other.test is not served" "$ADNS_LOG" &&
	ok "a key given a zone that is not served is reported at start" ||
	not_ok "a key given a zone that is not served is reported at start" "$(grep 'update key' "$ADNS_LOG")"

# nsu LABEL [nsupdate options...] <<< SCRIPT: runs nsupdate (bounded) on the commands read from stdin, with our
# server; sets RC and OUT (stdout + stderr).
nsu() {
	local label=$1
	shift
	{ echo "server 127.0.0.1 $DNS_PORT"; cat; echo send; } >"$T/nsu.$label"
	OUT=$(timeout 20 nsupdate -t 5 "$@" "$T/nsu.$label" 2>&1) && RC=0 || RC=$?
}
# knsu LABEL [knsupdate options...] <<< SCRIPT: the same with Knot's knsupdate.
knsu() {
	local label=$1
	shift
	{ echo "server 127.0.0.1 $DNS_PORT"; cat; echo send; } >"$T/knsu.$label"
	OUT=$(timeout 20 knsupdate -t 5 "$@" "$T/knsu.$label" 2>&1) && RC=0 || RC=$?
}
# txt NAME [dig options]: the TXT values served at NAME, sorted, on one line.
txt() { qdig +short "$@" TXT | tr -d '"' | sort | tr '\n' ' '; }
status_of() { d_status "$(qdig "$@")"; }

V1=$(new_txt) V2=$(new_txt) V3=$(new_txt) V4=$(new_txt) V5=$(new_txt) V6=$(new_txt)
LEGO=(-y "hmac-sha256:lego-key:$S256")

# ---- nsupdate, hmac-sha256 ----
nsu add2 "${LEGO[@]}" <<EOF
zone example.test
update add $CHAL 60 TXT "$V1"
update add $CHAL 60 TXT "$V2"
EOF
check "nsupdate (hmac-sha256) adds two TXT values at $CHAL" 0 "$RC" "$OUT"
check "dig sees both values at $CHAL" "$(printf '%s\n' "$V1" "$V2" | sort | tr '\n' ' ')" "$(txt $CHAL)"
out=$(qdig A $CHAL)
check "an A query at $CHAL is NODATA (the name exists now)" "NOERROR|0" "$(d_status "$out")|$(d_count "$out" ANSWER)" "$out"

nsu acct "${LEGO[@]}" <<EOF
zone auth.example.test
update add $ACCT 60 TXT "$V3"
update add $ACCT 60 TXT "$V4"
EOF
check "nsupdate adds two TXT values at the account subdomain granted to the key" 0 "$RC" "$OUT"
check "dig sees both values at the account subdomain" "$(printf '%s\n' "$V3" "$V4" | sort | tr '\n' ' ')" "$(txt "$ACCT")"
api GET /values -H "X-Api-User: $REG_USER" -H "X-Api-Key: $REG_KEY"
check_match "the HTTP API's GET /values shows the values UPDATE wrote" "$V3.*$V4|$V4.*$V3" "$HTTP_BODY"

nsu del1 "${LEGO[@]}" <<EOF
zone example.test
update delete $CHAL TXT "$V1"
EOF
check "nsupdate deletes one value" 0 "$RC" "$OUT"
check "the other value stays" "$V2 " "$(txt $CHAL)"

# ---- a restart: everything is still served ----
stop_acmednsd "acme-dnsd stops cleanly after the updates"
start_acmednsd "$CFG" || exit 1
check "after a restart, $CHAL still serves its value" "$V2 " "$(txt $CHAL)"
check "after a restart, the account subdomain still serves both values" \
	"$(printf '%s\n' "$V3" "$V4" | sort | tr '\n' ' ')" "$(txt "$ACCT")"

# ---- knsupdate, hmac-sha512 and hmac-sha384 ----
KW=_acme-challenge.www.example.test
knsu add2 -y "hmac-sha512:knot-key:$S512" <<EOF
zone example.test.
update add $KW. 60 TXT "$V5"
update add $KW. 60 TXT "$V6"
EOF
check "knsupdate (hmac-sha512) adds two values at $KW" 0 "$RC" "$OUT"
check "dig sees both values at $KW" "$(printf '%s\n' "$V5" "$V6" | sort | tr '\n' ' ')" "$(txt $KW)"
out=$(qdig A www.example.test)
check "www.example.test, above it, answers NODATA rather than NXDOMAIN" NOERROR "$(d_status "$out")" "$out"
knsu del1 -y "hmac-sha512:knot-key:$S512" <<EOF
zone example.test.
update del $KW. 0 TXT "$V5"
EOF
check "knsupdate deletes one value" 0 "$RC" "$OUT"
check "the other value stays at $KW" "$V6 " "$(txt $KW)"
knsu add384 -y "hmac-sha384:knot384-key:$S384" <<EOF
zone example.test.
update add _acme-challenge.sha384.example.test. 60 TXT "$V1"
EOF
check "knsupdate with an hmac-sha384 key" "0|$V1 " "$RC|$(txt _acme-challenge.sha384.example.test)" "$OUT"

knsu add224 -y "hmac-sha224:knot224-key:$S224" <<EOF
zone example.test.
update add _acme-challenge.sha224.example.test. 60 TXT "$V2"
EOF
check "knsupdate with an hmac-sha224 key" "0|$V2 " "$RC|$(txt _acme-challenge.sha224.example.test)" "$OUT"
nsu sha1ok -y "hmac-sha1:sha1-key:$SSHA1" <<EOF
zone example.test
update add _acme-challenge.sha1.example.test 60 TXT "$V2"
EOF
check "nsupdate with an hmac-sha1 key" "0|$V2 " "$RC|$(txt _acme-challenge.sha1.example.test)" "$OUT"

# ---- TSIG errors ----
nsu wrong -y "hmac-sha256:lego-key:$WRONG" <<EOF
zone example.test
update add $CHAL 60 TXT "$V3"
EOF
check_match "a wrong secret: nsupdate reports NOTAUTH(BADSIG)" "NOTAUTH\(BADSIG\)" "$RC $OUT"
nsu unknown -y "hmac-sha256:nobody:$S256" <<EOF
zone example.test
update add $CHAL 60 TXT "$V3"
EOF
check_match "an unknown key: nsupdate reports NOTAUTH(BADKEY)" "NOTAUTH\(BADKEY\)" "$RC $OUT"
nsu sha1 -y "hmac-sha1:lego-key:$S256" <<EOF
zone example.test
update add $CHAL 60 TXT "$V3"
EOF
check_match "the hmac-sha256 key used with hmac-sha1: BADKEY" "NOTAUTH\(BADKEY\)" "$RC $OUT"
nsu md5 -y "hmac-md5:old-key:$SMD5" <<EOF
zone example.test
update add _acme-challenge.md5.example.test 60 TXT "$V3"
EOF
check "a key configured as hmac-md5 works with nsupdate -y hmac-md5" "0|$V3 " \
	"$RC|$(txt _acme-challenge.md5.example.test)" "$OUT"
# nsupdate hangs under libfaketime on this system (its clock_gettime recursion guard); knsupdate runs under it.
printf 'server 127.0.0.1 %s\nzone example.test.\nupdate add %s. 60 TXT "%s"\nsend\n' "$DNS_PORT" "$KW" "$V1" \
	>"$T/knsu.badtime"
OUT=$(timeout 20 faketime -f '-1h' knsupdate -t 5 -y "hmac-sha512:knot-key:$S512" "$T/knsu.badtime" 2>&1) && RC=0 || RC=$?
check_match "a client clock an hour behind: BADTIME" "status: BADTIME" "$OUT"
if printf '%s' "$OUT" | grep -q "failed to verify"; then
	not_ok "the BADTIME answer is signed and verifies at the client" "$OUT"
else
	check_match "the BADTIME answer is signed and verifies at the client (it carries our time)" \
		"BADTIME 6 [0-9]+" "$OUT"
fi
nsu unsigned <<EOF
zone example.test
update add $CHAL 60 TXT "$V3"
EOF
check_match "an unsigned UPDATE is REFUSED" "REFUSED" "$RC $OUT"
check "none of the refused UPDATEs changed $CHAL" "$V2 " "$(txt $CHAL)"

# ---- policy ----
nsu notchal "${LEGO[@]}" <<EOF
zone example.test
update add www.example.test 60 TXT "$V3"
EOF
check_match "a TXT at a name that is not _acme-challenge: REFUSED" "REFUSED" "$RC $OUT"
nsu arec "${LEGO[@]}" <<EOF
check-names no
zone example.test
update add $CHAL 60 TXT "$V3"
update add $CHAL 60 A 192.0.2.1
EOF
check_match "an A record (with a good TXT in the same message): REFUSED" "REFUSED" "$RC $OUT"
check "the refused message left nothing behind" "$V2 " "$(txt $CHAL)"
check "no A record appeared" "" "$(qdig +short A $CHAL)"
nsu narrow -y "hmac-sha256:narrow-key:$S256" <<EOF
zone example.test
update add $CHAL 60 TXT "$V3"
EOF
check_match "a key limited to other zones: REFUSED" "REFUSED" "$RC $OUT"
nsu notzone "${LEGO[@]}" <<EOF
zone not-served.test
update add _acme-challenge.not-served.test 60 TXT "$V3"
EOF
check_match "a zone that is not served: NOTAUTH" "NOTAUTH" "$RC $OUT"

# ---- prerequisites ----
nsu nxrrset "${LEGO[@]}" <<EOF
zone example.test
prereq nxrrset $CHAL TXT
update add $CHAL 60 TXT "$V3"
EOF
check_match "prereq nxrrset on an existing RRset: YXRRSET" "YXRRSET" "$RC $OUT"
nsu yxrrset "${LEGO[@]}" <<EOF
zone example.test
prereq yxrrset _acme-challenge.none.example.test TXT
update add $CHAL 60 TXT "$V3"
EOF
check_match "prereq yxrrset on a missing RRset: NXRRSET" "NXRRSET" "$RC $OUT"
nsu yxdomain "${LEGO[@]}" <<EOF
zone example.test
prereq nxdomain example.test
update add $CHAL 60 TXT "$V3"
EOF
check_match "prereq nxdomain on the apex: YXDOMAIN" "YXDOMAIN" "$RC $OUT"
nsu prereq_ok "${LEGO[@]}" <<EOF
zone example.test
prereq yxrrset $CHAL TXT "$V2"
update delete $CHAL TXT
update add $CHAL 60 TXT "$V3"
EOF
check "a value-dependent prereq that holds: the update happens" "0|$V3 " "$RC|$(txt $CHAL)" "$OUT"

# ---- TCP ----
nsu tcp -v "${LEGO[@]}" <<EOF
zone example.test
update add _acme-challenge.tcp.example.test 60 TXT "$V4"
EOF
check "nsupdate -v (TCP) adds a value" "0|$V4 " "$RC|$(txt _acme-challenge.tcp.example.test +tcp)" "$OUT"
nsu tcpdel -v "${LEGO[@]}" <<EOF
zone example.test
update delete _acme-challenge.tcp.example.test TXT
EOF
check "nsupdate -v deletes the RRset: the name is gone" "0|NXDOMAIN" "$RC|$(status_of TXT _acme-challenge.tcp.example.test)" "$OUT"

# ---- writers at once: UPDATEs over UDP and TCP from several processes, and the HTTP API ----
pids=()
for i in 1 2 3 4 5 6; do
	v=$(new_txt)
	printf '%s\n' "$v" >"$T/par.$i.value"
	opt=()
	[ $((i % 2)) -eq 0 ] && opt=(-v)
	printf 'server 127.0.0.1 %s\nzone example.test\nupdate add _acme-challenge.p%s.example.test 60 TXT "%s"\nsend\n' \
		"$DNS_PORT" "$i" "$v" >"$T/par.$i.nsu"
	timeout 30 nsupdate -t 10 "${opt[@]}" "${LEGO[@]}" "$T/par.$i.nsu" >"$T/par.$i.out" 2>&1 &
	pids+=($!)
	track_pid $!
done
for i in 1 2 3 4 5 6; do
	update "$REG_USER" "$REG_KEY" "$REG_SUB" "$(new_txt)" >/dev/null
done
LAST=$(new_txt)
update "$REG_USER" "$REG_KEY" "$REG_SUB" "$LAST"
bad=""
for i in 1 2 3 4 5 6; do
	wait "${pids[$((i - 1))]}" || bad="$bad nsupdate#$i($(cat "$T/par.$i.out"))"
	untrack_pid "${pids[$((i - 1))]}"
	[ "$(txt "_acme-challenge.p$i.example.test")" = "$(cat "$T/par.$i.value") " ] || bad="$bad value#$i"
done
check "six parallel nsupdates (UDP and TCP) beside API updates all land" "" "$bad"
check_match "the account keeps the newest values (values_kept 2), the last API update among them" "$LAST" "$(txt "$ACCT")"

# ---- the log ----
n=$(grep -c ' update: key ' "$ADNS_LOG")
check_match "one log line per UPDATE (at least 20 since the restart)" "^([2-9][0-9]|[1-9][0-9]{2,})$" "$n"
leaked=""
for s in "$S256" "$S512" "$SMD5" "$S384" "$S224" "$SSHA1" "$WRONG"; do
	grep -qF -- "$s" "$ADNS_LOG" && leaked="$leaked $s"
done
check "no secret in the log" "" "$leaked"
check_match "a refusal is logged with key, zone, client and reason" \
	"update: key lego-key, zone example.test, from 127.0.0.1: no change -> REFUSED: neither an _acme-challenge name" \
	"$(grep 'REFUSED: neither' "$ADNS_LOG" | head -1)"

stop_acmednsd
finish
