#!/usr/bin/env bash
# lego `exec` DNS provider hook for acme-dnsd: `acmedns-hook.sh present|cleanup FQDN VALUE`.
# present POSTs VALUE to /update; cleanup removes it with DELETE /update when ACMEDNS_CLEANUP_DELETE=1 (acme-dns
# clients leave values in place; acme-dnsd keeps the newest store.values_kept anyway).
# Environment: ACMEDNS_API (base URL), ACMEDNS_USERNAME, ACMEDNS_PASSWORD, ACMEDNS_SUBDOMAIN,
# optional ACMEDNS_CACERT (for an https API) and ACMEDNS_HOOK_LOG (a file that records each call).
# Not a test: tests/run.sh runs every *.sh here without arguments, so that case exits 0 and prints nothing.
set -u
[ $# -eq 0 ] && exit 0
if [ $# -ne 3 ] || { [ "$1" != present ] && [ "$1" != cleanup ]; }; then
	echo "usage: $0 present|cleanup FQDN VALUE" >&2
	exit 2
fi
action=$1 fqdn=$2 value=$3
: "${ACMEDNS_API:?}" "${ACMEDNS_USERNAME:?}" "${ACMEDNS_PASSWORD:?}" "${ACMEDNS_SUBDOMAIN:?}"
log=${ACMEDNS_HOOK_LOG:-/dev/null}
if [ "$action" = cleanup ] && [ "${ACMEDNS_CLEANUP_DELETE:-0}" != 1 ]; then
	echo "cleanup $fqdn $value: left in place" >>"$log"
	exit 0
fi
method=POST
[ "$action" = cleanup ] && method=DELETE
tls=()
[ -n "${ACMEDNS_CACERT:-}" ] && tls=(--cacert "$ACMEDNS_CACERT")
out=$(curl -s -m 10 "${tls[@]}" -X "$method" -w '\n%{http_code}' \
	-H "X-Api-User: $ACMEDNS_USERNAME" -H "X-Api-Key: $ACMEDNS_PASSWORD" -H 'Content-Type: application/json' \
	--data-binary "{\"subdomain\": \"$ACMEDNS_SUBDOMAIN\", \"txt\": \"$value\"}" "$ACMEDNS_API/update")
code=${out##*$'\n'}
echo "$action $fqdn $value: $method /update -> $code ${out%$'\n'*}" >>"$log"
[ "$code" = 200 ] || { echo "acmedns-hook: $method /update answered $code: ${out%$'\n'*}" >&2; exit 1; }
exit 0
