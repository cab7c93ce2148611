#!/usr/bin/env bash
# acme-dnsd binds its ports as root, then runs as the configured user: it answers, writes its store, and
# starts again on the store it handed over.
. "$(dirname "$0")/lib.sh"

require_tools dig curl ss ps
require_daemon

if [ "$(id -u)" != 0 ] || ! id nobody >/dev/null 2>&1; then
	ok "privilege drop # SKIP needs root and a user nobody"
	finish
fi
chmod 755 "$T"                                  # the user we become must reach its store
free_port DNS_PORT && free_port API_PORT || exit 1
write_config "$T/acme-dnsd.yaml"
echo "user: nobody" >>"$T/acme-dnsd.yaml"
start_acmednsd "$T/acme-dnsd.yaml" || exit 1

check "the daemon runs as nobody" nobody "$(ps -o user= -p "$ADNS_PID" | tr -d ' ')"
NB=$(id -u nobody)
check "real, effective, saved and filesystem uid are all nobody's" "$NB $NB $NB $NB" \
	"$(awk '/^Uid:/ {print $2, $3, $4, $5}' "/proc/$ADNS_PID/status")"
check "no supplementary group of root is kept" "" "$(awk '/^Groups:/ {$1 = ""; print}' "/proc/$ADNS_PID/status" | tr ' ' '\n' | grep -x 0)"
register
check "register as nobody: 201" 201 "$HTTP_CODE" "$HTTP_BODY"
V=$(new_txt)
update "$REG_USER" "$REG_KEY" "$REG_SUB" "$V"
check "update as nobody: 200" 200 "$HTTP_CODE" "$HTTP_BODY"
check "the value is served" "\"$V\"" "$(qdig +short TXT "$REG_SUB.$ZONE")"
check "the store belongs to nobody" nobody "$(stat -c %U "$T/acme-dnsd.db")"
stop_acmednsd

start_acmednsd "$T/acme-dnsd.yaml" || exit 1
check "after a restart the value is still served" "\"$V\"" "$(qdig +short TXT "$REG_SUB.$ZONE")"
V2=$(new_txt)
update "$REG_USER" "$REG_KEY" "$REG_SUB" "$V2"
check "after a restart updates still work" 200 "$HTTP_CODE" "$HTTP_BODY"
stop_acmednsd

write_config "$T/bad.yaml" store="$T/bad.db"
echo "user: no-such-user-here" >>"$T/bad.yaml"
out=$("$ADNSD" -c "$T/bad.yaml" 2>&1) && rc=0 || rc=$?
check "an unknown user is fatal" 1 "$rc" "$out"
check_match "and the log names it" "no-such-user-here: no such user" "$out"
finish
