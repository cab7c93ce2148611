#!/usr/bin/env bash
# The HTTP API of acme-dnsd with curl: acme-dns compatible /register, /update, /health, the extensions
# (DELETE /update, GET /values), limits, proxies, TLS with reload, restart persistence, `-t`, and the import of
# a real acme-dns database.
. "$(dirname "$0")/lib.sh"

require_tools dig curl openssl ss sha256sum
require_daemon

free_port DNS_PORT && free_port API_PORT || exit 1
write_config "$T/acme-dnsd.yaml"
start_acmednsd "$T/acme-dnsd.yaml" || exit 1

UUID_RE='^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
txt_of() { qdig +short TXT "$1.$ZONE" | tr -d '"' | sort | tr '\n' ' '; }
sorted() { printf '%s\n' "$@" | sort | tr '\n' ' '; }
err_of() { json_str "$1" error; }
# oneshot ARGS...: runs acme-dnsd for a command that exits (-t, --import-acme-dns); sets out and rc, and keeps
# the output for the sanitizer check at the end.
oneshot() {
	out=$("$ADNSD" "$@" 2>&1) && rc=0 || rc=$?
	printf '== acme-dnsd %s\n%s\n' "$*" "$out" >>"$T/oneshot.log"
}

# ---- /health ----
api GET /health
check "GET /health: 200" 200 "$HTTP_CODE" "$HTTP_BODY"

# ---- /register ----
api POST /register
check "POST /register without a body: 201" 201 "$HTTP_CODE" "$HTTP_BODY"
body=$HTTP_BODY
A_USER=$(json_str "$body" username) A_KEY=$(json_str "$body" password) A_SUB=$(json_str "$body" subdomain)
check_match "register: username is a UUID" "$UUID_RE" "$A_USER" "$body"
check_match "register: subdomain is a UUID" "$UUID_RE" "$A_SUB" "$body"
check "register: password has 40 characters" 40 "${#A_KEY}" "$body"
check "register: fulldomain = subdomain.zone" "$A_SUB.$ZONE" "$(json_str "$body" fulldomain)" "$body"
check_match "register: allowfrom is an empty list" '"allowfrom"[[:space:]]*:[[:space:]]*\[[[:space:]]*\]' "$body"

register '{"allowfrom": ["10.1.2.0/24", "2001:db8::/32"]}'
check "POST /register with allowfrom: 201" 201 "$HTTP_CODE" "$HTTP_BODY"
check_match "register: allowfrom echoed" '"10\.1\.2\.0/24".*"2001:db8::/32"' "$HTTP_BODY"
X_USER=$REG_USER X_KEY=$REG_KEY X_SUB=$REG_SUB

register '{}'
check "POST /register with {}: 201" 201 "$HTTP_CODE" "$HTTP_BODY"
B_USER=$REG_USER B_KEY=$REG_KEY B_SUB=$REG_SUB

api POST /register -H 'Content-Type: application/json' --data-binary '{"allowfrom": ['
check "POST /register with broken JSON: 400 malformed_json_payload" "400 malformed_json_payload" \
	"$HTTP_CODE $(err_of "$HTTP_BODY")" "$HTTP_BODY"
for bad in '"not-a-cidr"' '"10.0.0.0/33"' '"300.1.2.0/24"' '"2001:db8::/129"'; do
	api POST /register -H 'Content-Type: application/json' --data-binary "{\"allowfrom\": [$bad]}"
	check "POST /register with allowfrom [$bad]: 400 invalid_allowfrom_cidr" "400 invalid_allowfrom_cidr" \
		"$HTTP_CODE $(err_of "$HTTP_BODY")" "$HTTP_BODY"
done

# ---- /update ----
V1=$(new_txt)
update "$A_USER" "$A_KEY" "$A_SUB" "$V1"
check "POST /update: 200" 200 "$HTTP_CODE" "$HTTP_BODY"
check "POST /update: answers {\"txt\": value}" "$V1" "$(json_str "$HTTP_BODY" txt)" "$HTTP_BODY"
check "the value is served at once" "$V1 " "$(txt_of "$A_SUB")"

V0=$(new_txt)
api POST /update -H "X-Api-User: $A_USER" -H "X-Api-Key: $A_KEY" \
	--data-binary "{\"txt\": \"$V0\", \"extra\": [1, {\"a\": null}], \"subdomain\": \"$A_SUB\"}"
check "update with members reordered and an unknown member: 200 (acme-dns ignores unknown members)" 200 "$HTTP_CODE" "$HTTP_BODY"

seen=""
for i in 1 2 3 4 5; do
	v=$(new_txt)
	update "$A_USER" "$A_KEY" "$A_SUB" "$v"
	[ "$HTTP_CODE" = 200 ] || seen="$seen update $i: $HTTP_CODE $HTTP_BODY;"
	qdig +short TXT "$A_SUB.$ZONE" | grep -q "\"$v\"" || seen="$seen value $i not served right after its 200;"
done
check "five updates: each value served by dig right after its 200" "" "$seen"

V1=$(new_txt) V2=$(new_txt) V3=$(new_txt)
update "$A_USER" "$A_KEY" "$A_SUB" "$V1" && c1=$HTTP_CODE
update "$A_USER" "$A_KEY" "$A_SUB" "$V2" && c2=$HTTP_CODE
update "$A_USER" "$A_KEY" "$A_SUB" "$V3" && c3=$HTTP_CODE
check "three quick updates: 200 each" "200 200 200" "$c1 $c2 $c3"
check "three quick updates: DNS serves exactly the two newest (values_kept 2)" "$(sorted "$V2" "$V3")" "$(txt_of "$A_SUB")"

update "$A_USER" "wrong-key-wrong-key-wrong-key-wrong-key1" "$A_SUB" "$(new_txt)"
check "update with a wrong key: 401 forbidden" "401 forbidden" "$HTTP_CODE $(err_of "$HTTP_BODY")" "$HTTP_BODY"
update "$A_USER" "$B_KEY" "$A_SUB" "$(new_txt)"
check "update with another account's key: 401 forbidden" "401 forbidden" "$HTTP_CODE $(err_of "$HTTP_BODY")" "$HTTP_BODY"
update "0a1b2c3d-0000-4000-8000-00000000beef" "$A_KEY" "$A_SUB" "$(new_txt)"
check "update for an unknown user: 401 forbidden" "401 forbidden" "$HTTP_CODE $(err_of "$HTTP_BODY")" "$HTTP_BODY"
update "not a uuid" "$A_KEY" "$A_SUB" "$(new_txt)"
check "update with a malformed user: 401 forbidden" "401 forbidden" "$HTTP_CODE $(err_of "$HTTP_BODY")" "$HTTP_BODY"
api POST /update -H 'Content-Type: application/json' --data-binary "{\"subdomain\": \"$A_SUB\", \"txt\": \"$(new_txt)\"}"
check "update without credentials: 401 forbidden" "401 forbidden" "$HTTP_CODE $(err_of "$HTTP_BODY")" "$HTTP_BODY"
update "$A_USER" "$A_KEY" "$B_SUB" "$(new_txt)"
check "update of another account's subdomain: 401 forbidden (as acme-dns)" "401 forbidden" \
	"$HTTP_CODE $(err_of "$HTTP_BODY")" "$HTTP_BODY"
check "nothing changed for the other account" "" "$(txt_of "$B_SUB")"
check "nor for the first" "$(sorted "$V2" "$V3")" "$(txt_of "$A_SUB")"

for bad in short "$(new_txt)x" "$(new_txt | cut -c2-)!" "$(new_txt | cut -c2-) " '' "$(new_txt | cut -c2-)\\\""; do
	update "$A_USER" "$A_KEY" "$A_SUB" "$bad"
	check "update with txt '$bad': 400 bad_txt" "400 bad_txt" "$HTTP_CODE $(err_of "$HTTP_BODY")" "$HTTP_BODY"
done
for bad in "not-a-subdomain" "../../etc/passwd" "$A_SUB.evil"; do
	update "$A_USER" "$A_KEY" "$bad" "$(new_txt)"
	case "$HTTP_CODE $(err_of "$HTTP_BODY")" in
	"400 bad_subdomain") ok "update with subdomain '$bad': 400 bad_subdomain" ;;
	"401 forbidden") ok "update with subdomain '$bad': 401 forbidden (what acme-dns answers: its auth compares subdomains first)" ;;
	*) not_ok "update with subdomain '$bad': 400 bad_subdomain or 401 forbidden" "got $HTTP_CODE $HTTP_BODY" ;;
	esac
done
api POST /update -H "X-Api-User: $A_USER" -H "X-Api-Key: $A_KEY" --data-binary '{"subdomain": '
case "$HTTP_CODE $(err_of "$HTTP_BODY")" in
"400 malformed_json_payload" | "401 forbidden") ok "update with broken JSON: refused ($HTTP_CODE $(err_of "$HTTP_BODY"))" ;;
*) not_ok "update with broken JSON: 400 malformed_json_payload or 401 forbidden (acme-dns)" "got $HTTP_CODE $HTTP_BODY" ;;
esac
check "after all refused updates the values are unchanged" "$(sorted "$V2" "$V3")" "$(txt_of "$A_SUB")"

# ---- allowfrom and the proxy header ----
update "$X_USER" "$X_KEY" "$X_SUB" "$(new_txt)"
check "allowfrom 10.1.2.0/24, request from 127.0.0.1: 401 forbidden" "401 forbidden" \
	"$HTTP_CODE $(err_of "$HTTP_BODY")" "$HTTP_BODY"
v=$(new_txt)
update "$X_USER" "$X_KEY" "$X_SUB" "$v" POST -H 'X-Forwarded-For: 10.1.2.3'
check "allowfrom 10.1.2.0/24, X-Forwarded-For 10.1.2.3 from the trusted proxy 127.0.0.1: 200" 200 "$HTTP_CODE" "$HTTP_BODY"
check "  and the value is served" "$v " "$(txt_of "$X_SUB")"
update "$X_USER" "$X_KEY" "$X_SUB" "$(new_txt)" POST -H 'X-Forwarded-For: 10.1.2.3' --interface 127.0.0.2
check "X-Forwarded-For 10.1.2.3 from 127.0.0.2 (not a trusted proxy): ignored, 401" "401 forbidden" \
	"$HTTP_CODE $(err_of "$HTTP_BODY")" "$HTTP_BODY"
update "$X_USER" "$X_KEY" "$X_SUB" "$(new_txt)" POST -H 'X-Forwarded-For: 10.9.9.9'
check "X-Forwarded-For outside allowfrom from the trusted proxy: 401" "401 forbidden" \
	"$HTTP_CODE $(err_of "$HTTP_BODY")" "$HTTP_BODY"
check "  and the value is unchanged" "$v " "$(txt_of "$X_SUB")"
for spec in "10.1.2.3, 10.9.9.9|401" "10.9.9.9, 10.1.2.3|200" "10.1.2.3, 127.0.0.1|200" "not-an-address|401"; do
	xff=${spec%|*} want=${spec#*|}
	update "$X_USER" "$X_KEY" "$X_SUB" "$(new_txt)" POST -H "X-Forwarded-For: $xff"
	check "X-Forwarded-For '$xff' from the trusted proxy (client = rightmost untrusted hop): $want" "$want" "$HTTP_CODE" "$HTTP_BODY"
done
update "$X_USER" "$X_KEY" "$X_SUB" "$(new_txt)" POST -H "X-Forwarded-For: 10.9.9.9" -H "X-Forwarded-For: 10.1.2.3"
check "two X-Forwarded-For headers '10.9.9.9' then '10.1.2.3' from the trusted proxy: 200" 200 "$HTTP_CODE" "$HTTP_BODY"
update "$X_USER" "$X_KEY" "$X_SUB" "$(new_txt)" POST -H "X-Forwarded-For: 10.1.2.3" -H "X-Forwarded-For: 10.9.9.9"
check "two X-Forwarded-For headers '10.1.2.3' then '10.9.9.9' from the trusted proxy: 401" 401 "$HTTP_CODE" "$HTTP_BODY"

register '{"allowfrom": ["127.0.0.2/32"]}'
check "register with allowfrom 127.0.0.2/32: 201" 201 "$HTTP_CODE" "$HTTP_BODY"
L_USER=$REG_USER L_KEY=$REG_KEY L_SUB=$REG_SUB
update "$L_USER" "$L_KEY" "$L_SUB" "$(new_txt)"
check "allowfrom 127.0.0.2/32, request from 127.0.0.1: 401" "401 forbidden" "$HTTP_CODE $(err_of "$HTTP_BODY")" "$HTTP_BODY"
update "$L_USER" "$L_KEY" "$L_SUB" "$(new_txt)" POST --interface 127.0.0.2
check "allowfrom 127.0.0.2/32, request from 127.0.0.2: 200" 200 "$HTTP_CODE" "$HTTP_BODY"

# ---- extensions: DELETE /update and GET /values ----
api GET /values -H "X-Api-User: $A_USER" -H "X-Api-Key: $A_KEY"
check "GET /values: 200" 200 "$HTTP_CODE" "$HTTP_BODY"
if printf '%s' "$HTTP_BODY" | grep -q -- "$V2" && printf '%s' "$HTTP_BODY" | grep -q -- "$V3"; then
	ok "GET /values lists both current values"; else not_ok "GET /values lists both current values" "$HTTP_BODY"; fi
api GET /values -H "X-Api-User: $A_USER" -H "X-Api-Key: $B_KEY"
check "GET /values with a wrong key: 401 forbidden" "401 forbidden" "$HTTP_CODE $(err_of "$HTTP_BODY")" "$HTTP_BODY"
update "$A_USER" "$B_KEY" "$A_SUB" "$V3" DELETE
check "DELETE /update with a wrong key: 401 forbidden" "401 forbidden" "$HTTP_CODE $(err_of "$HTTP_BODY")" "$HTTP_BODY"
update "$A_USER" "$A_KEY" "$A_SUB" "$V3" DELETE
check "DELETE /update: 200" 200 "$HTTP_CODE" "$HTTP_BODY"
check "DELETE /update: the value is gone from DNS at once" "$V2 " "$(txt_of "$A_SUB")"
update "$A_USER" "$A_KEY" "$A_SUB" "$V2" DELETE
check "DELETE /update of the last value: 200" 200 "$HTTP_CODE" "$HTTP_BODY"
out=$(qdig TXT "$A_SUB.$ZONE")
check "no values left: NODATA" "NOERROR 0" "$(d_status "$out") $(d_count "$out" ANSWER)" "$out"
V4=$(new_txt)
update "$A_USER" "$A_KEY" "$A_SUB" "$V4"
check "update after deletes: 200 and served" "200 $V4 " "$HTTP_CODE $(txt_of "$A_SUB")" "$HTTP_BODY"

# ---- HTTP errors and limits ----
api GET /nothing-here
check "unknown path: 404" 404 "$HTTP_CODE" "$HTTP_BODY"
api GET /register
check "GET /register: 405" 405 "$HTTP_CODE" "$HTTP_BODY"
api PUT /update -H "X-Api-User: $A_USER" -H "X-Api-Key: $A_KEY" --data-binary '{}'
check "PUT /update: 405" 405 "$HTTP_CODE" "$HTTP_BODY"
api POST /health
check "POST /health: 405" 405 "$HTTP_CODE" "$HTTP_BODY"
big=$(head -c 6000 /dev/zero | tr '\0' 'a')
api POST /register -H 'Content-Type: application/json' --data-binary "{\"allowfrom\": [], \"pad\": \"$big\"}"
check "POST /register with a body over max_body (4096): 413" 413 "$HTTP_CODE" "$HTTP_BODY"
api POST /update -H "X-Api-User: $A_USER" -H "X-Api-Key: $A_KEY" --data-binary "{\"subdomain\": \"$A_SUB\", \"txt\": \"$big\"}"
check "POST /update with a body over max_body: 413" 413 "$HTTP_CODE" "$HTTP_BODY"
api POST /register -H 'Transfer-Encoding: chunked' --data-binary "{\"pad\": \"$big\"}"
check "chunked POST /register over max_body: 413" 413 "$HTTP_CODE" "$HTTP_BODY"
api GET /health -H "X-Padding: $(head -c 10000 /dev/zero | tr '\0' 'b')"
case $HTTP_CODE in
4[0-9][0-9] | 000) ok "a 10 kB header (over max_headers 8192): refused ($HTTP_CODE)" ;;
*) not_ok "a 10 kB header (over max_headers 8192): refused with 4xx or a hang-up" "got $HTTP_CODE $HTTP_BODY" ;;
esac
api HEAD /health -I
check "HEAD /health: 200" 200 "$HTTP_CODE"
out=$(curl -s -v -m 10 -o /dev/null -w '%{http_code} ' "$API_URL/health" --next -o /dev/null -w '%{http_code} ' -X POST \
	"$API_URL/register" --next -o /dev/null -w '%{http_code}' "$API_URL/health" 2>&1)
check "keep-alive: /health, /register, /health on one connection" "200 201 200|2" \
	"$(printf '%s\n' "$out" | grep -v '^[*<>{}]' | tr -d '\n')|$(printf '%s\n' "$out" | grep -c 'Re-using existing connection')" "$out"
pad=$(head -c 3000 /dev/zero | tr '\0' ' ')
api POST /register -H 'Expect: 100-continue' --data-binary "{\"allowfrom\": []$pad}"
check "POST /register with Expect: 100-continue and a 3 kB body: 201" 201 "$HTTP_CODE" "$HTTP_BODY"
api GET /health
check "still healthy after the errors" 200 "$HTTP_CODE" "$HTTP_BODY"
check "values unchanged after the errors" "$V4 " "$(txt_of "$A_SUB")"

# ---- concurrent updates and registrations ----
register
C_USER=$REG_USER C_KEY=$REG_KEY C_SUB=$REG_SUB
vals=()
PAR_PIDS=""
for i in $(seq 1 8); do vals+=("$(new_txt)"); done
for i in $(seq 0 7); do
	curl -s -m 20 -o /dev/null -w '%{http_code}\n' -X POST -H "X-Api-User: $C_USER" -H "X-Api-Key: $C_KEY" \
		--data-binary "{\"subdomain\": \"$C_SUB\", \"txt\": \"${vals[$i]}\"}" "$API_URL/update" >"$T/par.$i" 2>&1 &
	track_pid $!
	PAR_PIDS+=" $!"
done
for i in $(seq 1 4); do
	curl -s -m 20 -o "$T/reg.$i" -w '%{http_code}\n' -X POST "$API_URL/register" >"$T/regcode.$i" 2>&1 &
	track_pid $!
	PAR_PIDS+=" $!"
done
for pid in $PAR_PIDS; do reap "$pid" 30; done
check "8 concurrent updates of one account: all 200" "200 200 200 200 200 200 200 200 " "$(cat "$T"/par.* | tr '\n' ' ')"
check "4 concurrent registrations: all 201" "201 201 201 201 " "$(cat "$T"/regcode.* | tr '\n' ' ')"
check "4 concurrent registrations: 4 different subdomains" 4 \
	"$(for i in 1 2 3 4; do json_str "$(cat "$T/reg.$i")" subdomain; echo; done | sort -u | grep -c .)"
served=$(qdig +short TXT "$C_SUB.$ZONE" | tr -d '"')
n_ok=0
for w in $served; do printf '%s\n' "${vals[@]}" | grep -qx -- "$w" && n_ok=$((n_ok + 1)); done
check "after concurrent updates DNS serves exactly 2 of the posted values" "2 2" "$(printf '%s\n' "$served" | grep -c .) $n_ok" "$served"
api GET /values -H "X-Api-User: $C_USER" -H "X-Api-Key: $C_KEY"
missing=""
for w in $served; do printf '%s' "$HTTP_BODY" | grep -q -- "$w" || missing="$missing $w"; done
check "GET /values agrees with DNS after concurrent updates" "" "$missing" "$HTTP_BODY"

# ---- restart on the same store ----
X_BEFORE=$(txt_of "$X_SUB") C_BEFORE=$(txt_of "$C_SUB")
stop_acmednsd "acme-dnsd stops cleanly (first run)"
start_acmednsd "$T/acme-dnsd.yaml" || exit 1
check "after a restart the value is still served" "$V4 " "$(txt_of "$A_SUB")"
check "after a restart the allowfrom account's values are still served" "$X_BEFORE" "$(txt_of "$X_SUB")"
check "after a restart the values of the concurrent updates are still served" "$C_BEFORE" "$(txt_of "$C_SUB")"
out=$(qdig TXT "$B_SUB.$ZONE")
check "after a restart a registered account without values is NODATA" "NOERROR 0" "$(d_status "$out") $(d_count "$out" ANSWER)" "$out"
V5=$(new_txt)
update "$A_USER" "$A_KEY" "$A_SUB" "$V5"
check "after a restart the account still updates" "200 $(sorted "$V4" "$V5")" "$HTTP_CODE $(txt_of "$A_SUB")" "$HTTP_BODY"
stop_acmednsd "acme-dnsd stops cleanly (after restart)"

# ---- registration disabled ----
free_port DNS_PORT && free_port API_PORT || exit 1
set_api_plain
write_config "$T/noreg.yaml" registration=false store="$T/noreg.db" extra_api="  max_connections: 4
  timeout: 2"
if start_acmednsd "$T/noreg.yaml" "$T/noreg.log"; then
	api POST /register
	case $HTTP_CODE in
	403 | 404 | 405) ok "registration: false: POST /register refused ($HTTP_CODE)" ;;
	*) not_ok "registration: false: POST /register refused (403/404)" "got $HTTP_CODE $HTTP_BODY" ;;
	esac
	api GET /health
	check "registration: false: /health still 200" 200 "$HTTP_CODE" "$HTTP_BODY"
	# max_connections 4 taken by idle clients: api.timeout (2 s) frees them and a real request gets through.
	idle=()
	for i in 1 2 3 4 5; do
		exec {fd}<>"/dev/tcp/127.0.0.1/$API_PORT" && idle+=("$fd")
	done
	start=$(date +%s)
	api GET /health
	took=$(($(date +%s) - start))
	for fd in "${idle[@]}"; do exec {fd}>&-; done
	if [ "$HTTP_CODE" = 200 ] && [ "$took" -le 6 ]; then
		ok "5 idle connections over max_connections 4: /health still 200 after api.timeout 2 s (${took} s)"
	else
		not_ok "5 idle connections over max_connections 4: /health 200 within 6 s" "got $HTTP_CODE after ${took} s"
	fi
	stop_acmednsd "acme-dnsd stops cleanly (registration disabled)"
fi

# ---- values_kept 16: more values than a 512-byte answer holds ----
free_port DNS_PORT && free_port API_PORT || exit 1
write_config "$T/many.yaml" store="$T/many.db" values_kept=16
if start_acmednsd "$T/many.yaml" "$T/many.log"; then
	register
	vals=()
	codes=""
	for i in $(seq 1 17); do
		vals+=("$(new_txt)")
		update "$REG_USER" "$REG_KEY" "$REG_SUB" "${vals[$((i - 1))]}"
		codes+="$HTTP_CODE "
	done
	check "values_kept 16: 17 updates answer 200" "$(printf '200 %.0s' $(seq 1 17))" "$codes"
	out=$(qdig +tcp TXT "$REG_SUB.$ZONE")
	check "values_kept 16: DNS over TCP serves the 16 newest" "$(sorted "${vals[@]:1}")" \
		"$(d_rdata "$out" ANSWER TXT | tr -d '"' | sort | tr '\n' ' ')" "$out"
	out=$(qdig +noedns +ignore TXT "$REG_SUB.$ZONE")
	check "values_kept 16: over UDP without EDNS (about 950 bytes): TC and no records" "qr aa tc rd 0" \
		"$(d_flags "$out") $(d_count "$out" ANSWER)" "$out"
	out=$(qdig +bufsize=1232 +ignore TXT "$REG_SUB.$ZONE")
	check "values_kept 16: over UDP with EDNS 1232: all 16, no TC" "qr aa rd 16" "$(d_flags "$out") $(d_count "$out" ANSWER)" "$out"
	stop_acmednsd "acme-dnsd stops cleanly (values_kept 16)"
fi

# ---- TLS, and SIGHUP replacing the certificate ----
mkcert() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/$1.key" -out "$T/$1.pem" \
		-days 2 -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1" 2>/dev/null
}
served_serial() {
	timeout 5 openssl s_client -connect "127.0.0.1:$API_PORT" -servername localhost </dev/null 2>/dev/null |
		openssl x509 -noout -serial 2>/dev/null
}
mkcert tls1 && mkcert tls2 || not_ok "openssl makes two self-signed certificates"
cp "$T/tls1.pem" "$T/api.pem" && cp "$T/tls1.key" "$T/api.key"
free_port DNS_PORT && free_port API_PORT || exit 1
set_api_tls "$T/tls1.pem"
write_config "$T/tls.yaml" store="$T/tls.db" tls_cert="$T/api.pem" tls_key="$T/api.key"
if start_acmednsd "$T/tls.yaml" "$T/tls.log"; then
	api GET /health
	check "TLS: GET /health over https with the certificate as CA: 200" 200 "$HTTP_CODE" "$HTTP_BODY"
	register
	check "TLS: POST /register: 201" 201 "$HTTP_CODE" "$HTTP_BODY"
	v=$(new_txt)
	update "$REG_USER" "$REG_KEY" "$REG_SUB" "$v"
	check "TLS: POST /update: 200 and served" "200 $v " "$HTTP_CODE $(txt_of "$REG_SUB")" "$HTTP_BODY"
	code=$(curl -s -m 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$API_PORT/health")
	[ "$code" != 200 ] && ok "TLS: plain http is not answered with 200 ($code)" || not_ok "TLS: plain http is not answered with 200"
	s1=$(openssl x509 -noout -serial -in "$T/tls1.pem") s2=$(openssl x509 -noout -serial -in "$T/tls2.pem")
	check "TLS: the served certificate is the first one" "$s1" "$(served_serial)"
	cp "$T/tls2.pem" "$T/api.pem.new" && mv -f "$T/api.pem.new" "$T/api.pem"
	cp "$T/tls2.key" "$T/api.key.new" && mv -f "$T/api.key.new" "$T/api.key"
	reload_acmednsd
	new_cert() { [ "$(served_serial)" = "$s2" ]; }
	if wait_for 10 new_cert; then ok "TLS: SIGHUP serves the replaced certificate (serial changed)"; else
		not_ok "TLS: SIGHUP serves the replaced certificate" "expected $s2" "got $(served_serial)"; fi
	set_api_tls "$T/tls2.pem"
	api GET /health
	check "TLS: after the reload curl trusts the new certificate: 200" 200 "$HTTP_CODE" "$HTTP_BODY"
	update "$REG_USER" "$REG_KEY" "$REG_SUB" "$(new_txt)"
	check "TLS: update after the reload: 200" 200 "$HTTP_CODE" "$HTTP_BODY"
	# A broken certificate on reload keeps the one in use.
	echo "not a certificate" >"$T/api.pem"
	reload_acmednsd
	sleep 1
	check "TLS: a broken certificate file on SIGHUP keeps the current certificate" "$s2" "$(served_serial)"
	stop_acmednsd "acme-dnsd stops cleanly (TLS)"
fi
set_api_plain

# ---- acme-dnsd -t ----
free_port DNS_PORT && free_port API_PORT || exit 1
write_config "$T/good.yaml" store="$T/t.db"
oneshot -t -c "$T/good.yaml"
check "acme-dnsd -t on a good configuration: exit 0" 0 "$rc" "$out"
cat >"$T/bad1.yaml" <<EOF
dns:
  listen: ["127.0.0.1:$DNS_PORT"]
  zone: auth.example.test
  ns_name: ns1.auth.example.test
  admin: hostmaster.example.test
  no_such_key: 3
store:
  path: $T/t.db
EOF
cat >"$T/bad2.yaml" <<EOF
dns:
  listen: ["127.0.0.1:$DNS_PORT"]
  zone: auth.example.test
  ns_name: ns1.auth.example.test
  admin: hostmaster.example.test
store:
  path: $T/t.db
  values_kept: 99
EOF
cat >"$T/bad3.yaml" <<EOF
dns:
  listen: ["127.0.0.1:$DNS_PORT"
  zone: auth.example.test
EOF
cat >"$T/bad4.yaml" <<EOF
dns:
  listen: ["127.0.0.1:99999"]
  zone: auth.example.test
  ns_name: ns1.auth.example.test
  admin: hostmaster.example.test
store:
  path: $T/t.db
EOF
for spec in bad1:6 bad2:8 bad3:[0-9]+ bad4:2; do
	f=$T/${spec%%:*}.yaml line=${spec#*:}
	oneshot -t -c "$f"
	if [ "$rc" -ne 0 ] && printf '%s' "$out" | grep -Eq -- "$f:$line:"; then
		ok "acme-dnsd -t on ${spec%%:*}.yaml: non-zero with $f:$line: ($(printf '%s' "$out" | head -1))"
	else
		not_ok "acme-dnsd -t on ${spec%%:*}.yaml: non-zero exit with '$f:$line:'" "exit $rc" "$out" "$(cat -n "$f")"
	fi
done
mkdir -p "$T/badzones"
printf '$ORIGIN broken.test.\n$TTL 60\n@ IN SOA ns1 hostmaster 1 3600 600 604800 60\nx IN A 999.1.1.1\n' >"$T/badzones/broken.test.zone"
write_config "$T/badzone.yaml" store="$T/t.db" zones_dir="$T/badzones"
oneshot -t -c "$T/badzone.yaml"
if [ "$rc" -ne 0 ] && printf '%s' "$out" | grep -q 'broken.test.zone:4'; then
	ok "acme-dnsd -t with a broken zone file: non-zero, names broken.test.zone:4"
else
	not_ok "acme-dnsd -t with a broken zone file: non-zero exit naming broken.test.zone:4" "exit $rc" "$out"
fi

# A TLS private key other users may read: acme-dnsd refuses to start, naming the file and the fix.
cp "$T/tls1.key" "$T/open.key" && chmod 644 "$T/open.key"
write_config "$T/openkey.yaml" store="$T/openkey.db" tls_cert="$T/tls1.pem" tls_key="$T/open.key"
out=$(timeout -k 5 20 "$ADNSD" -c "$T/openkey.yaml" 2>&1) && rc=0 || rc=$?
if [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && printf '%s' "$out" | grep -q "open.key: other users may read it (mode 0644): chmod o-rwx"; then
	ok "a TLS key readable by other users: acme-dnsd does not start (exit $rc) and says chmod o-rwx"
else
	not_ok "a TLS key readable by other users: acme-dnsd does not start and says chmod o-rwx" "exit $rc" "$out"
fi

# ---- import of a joohoi/acme-dns v1 database ----
FIX=$REPO/tests/fixtures/acme-dns-v1.sqlite3
[ -f "$FIX" ] || FIX=/work/shared/fixtures/acme-dns-v1.sqlite3
if [ ! -f "$FIX" ]; then
	not_ok "the fixture tests/fixtures/acme-dns-v1.sqlite3 exists"
else
	I1_USER=d1e141a7-2d07-4dda-9303-69a3c4c38072 I1_KEY=JzzoMAozfa0iJ2ueh-9nP6eu7HVVW6xz28prSdcQ
	I1_SUB=ee7f390c-350c-4bb3-9efd-6734274f5b18
	I2_USER=24811146-a59a-49fe-bbca-8a78e2498bd8 I2_KEY=BdvRJtSQihBwSs38i4FUXhPPZJ-2twPfzXMU8YP5
	I2_SUB=cf62d42e-10c0-4b0a-b320-b7424a67d6c3
	I3_USER=848d3b28-6aca-4d50-9649-3c62b4200baf I3_KEY=BhP89T-MzdiuD2RWzrSxctr_Or3xg7XVc1xR05xi
	I3_SUB=e102b3e9-82f1-4e60-ba54-2bb0d3da2a1f
	IV1=BCiW3BlmuKYhTlODq6W4uTHPoEnReq-jfrinfIWbldo IV2=26AILsaOctR_qSbcyR-5sAlhzrQ0JVSgwqpWcUSlptM
	cp "$FIX" "$T/acme-dns.db"
	chmod u+w "$T/acme-dns.db"
	free_port DNS_PORT && free_port API_PORT || exit 1
	write_config "$T/import.yaml" zone=auth.example.org admin=hostmaster.example.org store="$T/imported.db"
	oneshot -c "$T/import.yaml" --import-acme-dns "$T/acme-dns.db"
	check "--import-acme-dns: exit 0" 0 "$rc" "$out"
	check_match "--import-acme-dns: says 3 accounts and 2 values" '3 accounts.* 2 values' "$out"
	oneshot -c "$T/import.yaml" --import-acme-dns "$T/acme-dns.db"
	check "--import-acme-dns a second time: exit 0 (accounts present are left alone)" 0 "$rc" "$out"
	check "--import-acme-dns leaves the source database as it was" \
		"$(sha256sum <"$FIX" | cut -d' ' -f1)" "$(sha256sum <"$T/acme-dns.db" | cut -d' ' -f1)"
	if start_acmednsd "$T/import.yaml" "$T/import.log"; then
		check "imported account 1: both values served" "$(sorted "$IV1" "$IV2")" "$(txt_of "$I1_SUB")"
		out=$(qdig TXT "$I2_SUB.auth.example.org")
		check "imported account 2 (no values): NODATA" "NOERROR 0" "$(d_status "$out") $(d_count "$out" ANSWER)" "$out"
		out=$(qdig TXT "$I3_SUB.auth.example.org")
		check "imported account 3 (no values): NODATA" "NOERROR 0" "$(d_status "$out") $(d_count "$out" ANSWER)" "$out"
		v=$(new_txt)
		update "$I1_USER" "$I1_KEY" "$I1_SUB" "$v"
		check "imported account 1 updates with its acme-dns key: 200" 200 "$HTTP_CODE" "$HTTP_BODY"
		check "  the new value replaces the older imported one" "$(sorted "$IV2" "$v")" "$(txt_of "$I1_SUB")"
		update "$I1_USER" "$I2_KEY" "$I1_SUB" "$(new_txt)"
		check "imported account 1 with a wrong key: 401" "401 forbidden" "$HTTP_CODE $(err_of "$HTTP_BODY")" "$HTTP_BODY"
		v=$(new_txt)
		update "$I2_USER" "$I2_KEY" "$I2_SUB" "$v"
		check "imported account 2 (allowfrom 127.0.0.0/8) updates from 127.0.0.1: 200" "200 $v " \
			"$HTTP_CODE $(txt_of "$I2_SUB")" "$HTTP_BODY"
		update "$I2_USER" "$I2_KEY" "$I2_SUB" "$(new_txt)" POST --interface 127.0.0.2
		check "imported account 2 from 127.0.0.2 (inside 127.0.0.0/8): 200" 200 "$HTTP_CODE" "$HTTP_BODY"
		update "$I3_USER" "$I3_KEY" "$I3_SUB" "$(new_txt)"
		check "imported account 3 updates: 200" 200 "$HTTP_CODE" "$HTTP_BODY"
		stop_acmednsd "acme-dnsd stops cleanly (imported store)"
	fi
fi
check "the one-shot runs (-t, --import-acme-dns) print no sanitizer report" "" "$(sanitizer_report "$T/oneshot.log")"
finish
