#!/usr/bin/env bash
# uacme challenge hook for acme-dnsd: `uacme-acmedns-hook.sh METHOD TYPE IDENT TOKEN AUTH` (uacme(1), -h).
# Accepts only dns-01: on `begin` it publishes AUTH through acmedns-hook.sh (POST /update, same environment:
# ACMEDNS_API, ACMEDNS_USERNAME, ACMEDNS_PASSWORD, ACMEDNS_SUBDOMAIN, ...); declines http-01 and tls-alpn-01
# (non-zero status); `done` and `failed` leave the value in place (acme-dnsd keeps the newest values anyway).
# Not a test: without arguments it exits 0 and prints nothing.
set -u
[ $# -eq 0 ] && exit 0
if [ $# -ne 5 ]; then
	echo "usage: $0 begin|done|failed TYPE IDENT TOKEN AUTH" >&2
	exit 85
fi
method=$1 type=$2 ident=$3 auth=$5
[ "$type" = dns-01 ] || exit 1
case $method in
begin) exec "$(dirname "$0")/acmedns-hook.sh" present "_acme-challenge.$ident." "$auth" ;;
done | failed) exit 0 ;;
*) exit 1 ;;
esac
