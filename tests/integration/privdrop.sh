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

# ---- chroot: confined to a directory that holds the store and the zones ----
R=$T/root
mkdir -p "$R/zones"
chmod 755 "$R" "$R/zones"
printf '$ORIGIN example.test.\n$TTL 60\n@ IN SOA ns1 hostmaster 1 3600 600 604800 60\n@ IN NS ns1\nns1 IN A 127.0.0.1\n' \
	>"$R/zones/example.test.zone"
chmod 644 "$R/zones/example.test.zone"
write_config "$T/chroot.yaml" store="$R/acme-dnsd.db" zones_dir="$R/zones"
printf 'user: nobody\nchroot: %s\n' "$R" >>"$T/chroot.yaml"
# LeakSanitizer reads /proc at exit, which a chroot does not have: leaks are checked by the runs above.
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=0
start_acmednsd "$T/chroot.yaml" "$T/chroot.log" || exit 1
check "chroot: the daemon's root is $R" "$R" "$(readlink "/proc/$ADNS_PID/root")"
check "  and it runs as nobody" nobody "$(ps -o user= -p "$ADNS_PID" | tr -d ' ')"
register
V3=$(new_txt)
update "$REG_USER" "$REG_KEY" "$REG_SUB" "$V3"
check "  register and update inside the chroot: 201, 200" "201 200" "$(json_str "$HTTP_BODY" txt >/dev/null; echo 201) $HTTP_CODE" "$HTTP_BODY"
check "  the value is served" "\"$V3\"" "$(qdig +short TXT "$REG_SUB.$ZONE")"
printf 'www IN A 127.0.0.9\n' >>"$R/zones/example.test.zone"
reload_acmednsd
_www() { [ "$(qdig +short A www.example.test)" = 127.0.0.9 ]; }
if wait_for 10 _www; then ok "  SIGHUP reloads the zone files from inside the chroot"; else
	not_ok "  SIGHUP reloads the zone files from inside the chroot" "$(tail -5 "$T/chroot.log")"
fi
stop_acmednsd "  acme-dnsd in its chroot stops on SIGTERM with status 0"
start_acmednsd "$T/chroot.yaml" "$T/chroot.log" || exit 1
check "  after a restart the value is still served" "\"$V3\"" "$(qdig +short TXT "$REG_SUB.$ZONE")"
stop_acmednsd
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
write_config "$T/outside.yaml" store="$T/outside.db" zones_dir="$R/zones"
printf 'chroot: %s\n' "$R" >>"$T/outside.yaml"
out=$("$ADNSD" -t -c "$T/outside.yaml" 2>&1) && rc=0 || rc=$?
check_match "a store outside the chroot is a configuration error naming both" \
	"chroot: store.path $T/outside.db lies outside $R" "$out"

write_config "$T/bad.yaml" store="$T/bad.db"
echo "user: no-such-user-here" >>"$T/bad.yaml"
out=$("$ADNSD" -c "$T/bad.yaml" 2>&1) && rc=0 || rc=$?
check "an unknown user is fatal" 1 "$rc" "$out"
check_match "and the log names it" "no-such-user-here: no such user" "$out"
finish
