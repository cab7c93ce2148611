#!/usr/bin/env bash
# Malformed and unusual DNS messages over UDP and TCP (queries, and RFC 2136 UPDATEs), each with the outcome it
# must get; afterwards the daemon still answers and its log holds no sanitizer report.
. "$(dirname "$0")/lib.sh"

require_tools dig curl ss od
require_daemon
dnssend_path || { not_ok "dnssend helper builds"; exit 1; }

free_port DNS_PORT && free_port API_PORT || exit 1
write_config "$T/acme-dnsd.yaml" tcp_idle_timeout=2 extra_dns="  tcp_max_queries: 3" log_level=info
start_acmednsd "$T/acme-dnsd.yaml" || exit 1

# hdr ID FLAGS QD AN NS AR (numbers) -> 12 header bytes in hex
hdr() { printf '%04x%04x%04x%04x%04x%04x' "$1" "$2" "$3" "$4" "$5" "$6"; }
rnd() { od -An -tx1 -N"$1" /dev/urandom | tr -d ' \n'; }
rep() { local i s=""; for ((i = 0; i < $2; i++)); do s+=$1; done; printf '%s' "$s"; }

QN=$(name_hex auth.example.test)
QSOA=${QN}00060001
OPT=00002904d0000000000000        # root, OPT, 1232, ext-rcode 0, version 0, flags 0, rdlen 0
OPT_V1=00002904d0000100000000     # version 1
OPT_DO=00002904d0000080000000     # DO set
RR_A=c00c000100010000003c00047f000001
L63=3f$(rep 61 63)
NAME255=$(rep 0161 118)$QN        # 118 one-letter labels + auth.example.test = 255 bytes
NAME256=02$(rep 61 2)$(rep 0161 117)$QN
VERSION_BIND=$(name_hex version.bind)
# TSIG "key." hmac-sha256, time 0, fudge 300, a 32-byte MAC of zeros, original id 0x1075
TSIG_RR=036b65790000fa00ff00000000003d0b686d61632d73686132353600000000000000012c0020$(rep 00 32)107500000000
# An update record TXT "x" at the apex in class 42.
UPD_BOGUS=${QN}0010002a0000003c00020178

# name|expected outcomes (alternatives with /; drop = no answer)|message in hex
CASES=(
	"1 byte|drop/FORMERR|ab"
	"2 bytes|drop/FORMERR|1234"
	"11 bytes|drop/FORMERR|1234010000010000000000"
	"header only, QDCOUNT=0|FORMERR|$(hdr 0x1001 0x0100 0 0 0 0)"
	"QDCOUNT=0 with a question behind|FORMERR|$(hdr 0x1002 0x0100 0 0 0 0)$QSOA"
	"QDCOUNT=1, header only|FORMERR|$(hdr 0x1003 0x0100 1 0 0 0)"
	"QDCOUNT=2, two questions|FORMERR|$(hdr 0x1004 0x0100 2 0 0 0)$QSOA$QSOA"
	"QDCOUNT=2, one question|FORMERR|$(hdr 0x1005 0x0100 2 0 0 0)$QSOA"
	"QDCOUNT=65535|FORMERR|$(hdr 0x1006 0x0100 65535 0 0 0)$QSOA"
	"QR=1 (a response)|drop|$(hdr 0x1007 0x8100 1 0 0 0)$QSOA"
	"QR=1 header only|drop|$(hdr 0x1008 0x8000 0 0 0 0)"
	"QR=1 with rcode FORMERR|drop|$(hdr 0x1009 0x8001 1 0 0 0)$QSOA"
	"opcode 5 (UPDATE), unsigned|REFUSED|$(hdr 0x1010 0x2800 1 0 0 0)$QSOA"
	"UPDATE, zone count 2|FORMERR|$(hdr 0x1016 0x2800 2 0 0 0)$QSOA$QSOA"
	"UPDATE, zone count 0|FORMERR|$(hdr 0x1017 0x2800 0 0 0 0)"
	"UPDATE, zone type A|FORMERR|$(hdr 0x1018 0x2800 1 0 0 0)${QN}00010001"
	"UPDATE, bogus class in the update section|FORMERR|$(hdr 0x1019 0x2800 1 0 1 0)$QSOA$UPD_BOGUS"
	"UPDATE, update section cut short|FORMERR|$(hdr 0x101a 0x2800 1 0 1 0)$QSOA${UPD_BOGUS:0:30}"
	"UPDATE, truncated TSIG|FORMERR|$(hdr 0x101b 0x2800 1 0 0 1)$QSOA${TSIG_RR:0:60}"
	"UPDATE, TSIG not the last record|FORMERR|$(hdr 0x1075 0x2800 1 0 0 2)$QSOA$TSIG_RR$OPT"
	"UPDATE, TSIG in the update section|FORMERR|$(hdr 0x1075 0x2800 1 0 1 0)$QSOA$TSIG_RR"
	"UPDATE, TSIG with trailing bytes|FORMERR|$(hdr 0x1075 0x2800 1 0 0 1)$QSOA${TSIG_RR}00"
	"UPDATE, TSIG of an unknown key|NOTAUTH|$(hdr 0x1075 0x2800 1 0 0 1)$QSOA$TSIG_RR"
	"UPDATE, a response (QR=1)|drop|$(hdr 0x101c 0xa800 1 0 0 0)$QSOA"
	"UPDATE, header only cut at 11 bytes|drop/FORMERR|$(hdr 0x101d 0x2800 1 0 0 0 | cut -c1-22)"
	"opcode 2 (STATUS)|NOTIMP|$(hdr 0x1011 0x1000 1 0 0 0)$QSOA"
	"opcode 1 (IQUERY)|NOTIMP|$(hdr 0x1012 0x0800 1 0 0 0)$QSOA"
	"opcode 4 (NOTIFY)|NOTIMP|$(hdr 0x1013 0x2400 1 0 0 0)$QSOA"
	"opcode 15|NOTIMP|$(hdr 0x1014 0x7800 1 0 0 0)$QSOA"
	"opcode 2, QDCOUNT=0|NOTIMP/FORMERR|$(hdr 0x1015 0x1000 0 0 0 0)"
	"compression pointer to itself|FORMERR|$(hdr 0x1020 0x0100 1 0 0 0)c00c00060001"
	"two pointers in a loop|FORMERR|$(hdr 0x1021 0x0100 1 0 0 0)c00ec00c0001"
	"label then pointer back to the name|FORMERR|$(hdr 0x1022 0x0100 1 0 0 0)0461757468c00c00060001"
	"forward pointer|FORMERR|$(hdr 0x1023 0x0100 1 0 0 0)c01200060001${QN}"
	"pointer past the end|FORMERR|$(hdr 0x1024 0x0100 1 0 0 0)c0ff00060001"
	"pointer cut in half|FORMERR|$(hdr 0x1025 0x0100 1 0 0 0)c0"
	"label of 64|FORMERR|$(hdr 0x1026 0x0100 1 0 0 0)40$(rep 61 64)${QN}00060001"
	"label type 0x80|FORMERR|$(hdr 0x1027 0x0100 1 0 0 0)8161${QN}00060001"
	"extended label type 0x41|FORMERR|$(hdr 0x1028 0x0100 1 0 0 0)4161${QN}00060001"
	"name of 268 bytes|FORMERR|$(hdr 0x1029 0x0100 1 0 0 0)$L63$L63$L63${L63}0a$(rep 61 10)0000060001"
	"name of 256 bytes|FORMERR|$(hdr 0x102a 0x0100 1 0 0 0)${NAME256}00060001"
	"name of 255 bytes (legal) under the apex|NXDOMAIN|$(hdr 0x102b 0x0100 1 0 0 0)${NAME255}00100001"
	"question without class|FORMERR|$(hdr 0x1030 0x0100 1 0 0 0)${QN}0006"
	"question without type|FORMERR|$(hdr 0x1031 0x0100 1 0 0 0)${QN}"
	"name without its end|FORMERR|$(hdr 0x1032 0x0100 1 0 0 0)046175746807657861"
	"label longer than the message|FORMERR|$(hdr 0x1033 0x0100 1 0 0 0)3f6161"
	"two OPT records|FORMERR|$(hdr 0x1040 0x0100 1 0 0 2)$QSOA$OPT$OPT"
	"OPT with a non-root owner|FORMERR|$(hdr 0x1041 0x0100 1 0 0 1)${QSOA}047465737400002904d0000000000000"
	"OPT rdlen past the end|FORMERR|$(hdr 0x1042 0x0100 1 0 0 1)${QSOA}00002904d0000000000010"
	"OPT options that do not tile|FORMERR|$(hdr 0x1043 0x0100 1 0 0 1)${QSOA}00002904d0000000000004000a0008"
	"OPT cut short|FORMERR|$(hdr 0x1044 0x0100 1 0 0 1)${QSOA}00002904d000"
	"ARCOUNT=1, nothing there|FORMERR|$(hdr 0x1045 0x0100 1 0 0 1)$QSOA"
	"EDNS version 1|BADVERS|$(hdr 0x1046 0x0100 1 0 0 1)$QSOA$OPT_V1"
	"EDNS with DO and a cookie option|NOERROR|$(hdr 0x1047 0x0100 1 0 0 1)${QSOA}00002904d000008000000c000a00080102030405060708"
	"EDNS size 0|NOERROR|$(hdr 0x1048 0x0100 1 0 0 1)${QSOA}0000290000000000000000"
	"ANCOUNT=1 with a record|FORMERR|$(hdr 0x1050 0x0100 1 1 0 0)$QSOA$RR_A"
	"ANCOUNT=1 without a record|FORMERR|$(hdr 0x1051 0x0100 1 1 0 0)$QSOA"
	"NSCOUNT=1 with a record|FORMERR|$(hdr 0x1052 0x0100 1 0 1 0)$QSOA$RR_A"
	"ANCOUNT=65535|FORMERR|$(hdr 0x1053 0x0100 1 65535 0 0)$QSOA"
	"class CH, version.bind TXT|REFUSED/NOTIMP|$(hdr 0x1060 0x0100 1 0 0 0)${VERSION_BIND}00100003"
	"class CH, the apex SOA|REFUSED/NOTIMP|$(hdr 0x1061 0x0100 1 0 0 0)${QN}00060003"
	"class ANY|REFUSED/NOTIMP|$(hdr 0x1062 0x0100 1 0 0 0)${QN}000600ff"
	"class NONE|REFUSED/NOTIMP/FORMERR|$(hdr 0x1063 0x0100 1 0 0 0)${QN}000600fe"
	"AXFR|REFUSED/NOTIMP|$(hdr 0x1064 0x0000 1 0 0 0)${QN}00fc0001"
	"IXFR without SOA|REFUSED/NOTIMP/FORMERR|$(hdr 0x1065 0x0000 1 0 0 0)${QN}00fb0001"
	"type OPT as question|FORMERR|$(hdr 0x1066 0x0100 1 0 0 0)${QN}00290001"
	"type TSIG as question|FORMERR|$(hdr 0x1067 0x0100 1 0 0 0)${QN}00fa0001"
	"type TKEY as question|FORMERR|$(hdr 0x1068 0x0100 1 0 0 0)${QN}00f90001"
	"type MAILA|NOTIMP|$(hdr 0x1069 0x0100 1 0 0 0)${QN}00fe0001"
	"type 0|NOERROR/FORMERR/NOTIMP/REFUSED|$(hdr 0x106a 0x0100 1 0 0 0)${QN}00000001"
	"type 65535|NOERROR|$(hdr 0x106b 0x0100 1 0 0 0)${QN}ffff0001"
	"root name|REFUSED|$(hdr 0x106c 0x0100 1 0 0 0)0000060001"
	"pointer into the header|REFUSED/FORMERR|$(hdr 0x0000 0x0100 1 0 0 0)c00000060001"
	"Z bit set|NOERROR|$(hdr 0x1070 0x0140 1 0 0 0)$QSOA"
	"rcode bits set in the query|NOERROR|$(hdr 0x1071 0x010f 1 0 0 0)$QSOA"
	"TC bit set in the query|NOERROR/FORMERR|$(hdr 0x1072 0x0300 1 0 0 0)$QSOA"
	"AA and RA set in the query|NOERROR|$(hdr 0x1073 0x0580 1 0 0 0)$QSOA"
	"trailing bytes after the question|NOERROR/FORMERR|$(hdr 0x1074 0x0100 1 0 0 0)${QSOA}deadbeef"
	"a TSIG record (unknown key)|NOERROR/NOTAUTH/REFUSED/FORMERR|$(hdr 0x1075 0x0100 1 0 0 1)${QSOA}$TSIG_RR"
)

# classify RESPONSE SENT_HEX: prints drop, dead, or the rcode name; with BAD: prefix when the answer is broken.
classify() {
	local r=$1 sent=$2 flags
	case $r in
	timeout | closed | "") echo drop; return ;;
	refused) echo dead; return ;;
	esac
	if [ ${#r} -lt 24 ]; then echo "BAD:shorter than a header"; return; fi
	flags=$(r_flags "$r")
	if [ $((flags & 0x8000)) -eq 0 ]; then echo "BAD:QR clear"; return; fi
	if [ ${#sent} -ge 4 ] && [ "$(r_id "$r")" != "${sent:0:4}" ]; then echo "BAD:ID $(r_id "$r") not echoed"; return; fi
	printf '%s\n' "$(r_rcode "$r")"
}

# run_case TRANSPORT NAME EXPECT HEX
run_case() {
	local tr=$1 name=$2 exp=$3 hex=$4 w=3000 resp got opt=()
	case $exp in drop | drop/*) w=1500 ;; esac
	[ "$tr" = tcp ] && opt=(-t)
	resp=$(timeout 40 "$DNSSEND" "${opt[@]}" -w "$w" 127.0.0.1 "$DNS_PORT" "$hex" 2>&1 | head -1)
	got=$(classify "$resp" "$hex")
	if [[ "/$exp/" == *"/$got/"* ]] || { [ "$exp" = any ] && [[ $got != BAD:* ]] && [ "$got" != dead ]; }; then
		ok "$tr: $name -> $got"
	else
		not_ok "$tr: $name -> expected $exp" "got: $got" "sent:     $hex" "received: ${resp:0:200}"
	fi
}

for tr in udp tcp; do
	for c in "${CASES[@]}"; do
		IFS='|' read -r name exp hex <<<"$c"
		run_case "$tr" "$name" "$exp" "$hex"
	done
done

# Random garbage and random corruptions of a valid query: any outcome, but a well-formed answer if any.
valid=$(hdr 0x2000 0x0100 1 0 0 1)$QSOA$OPT_DO
for tr in udp tcp; do
	bad=""
	for n in 12 13 17 30 64 200 511 512 1232 1500; do
		hex=$(rnd "$n")
		opt=()
		[ "$tr" = tcp ] && opt=(-t)
		resp=$(timeout 10 "$DNSSEND" "${opt[@]}" -w 800 127.0.0.1 "$DNS_PORT" "$hex" 2>&1 | head -1)
		got=$(classify "$resp" "$hex")
		case $got in BAD:* | dead) bad="$bad$n bytes: $got (sent $hex, got ${resp:0:80}); " ;; esac
	done
	check "$tr: 10 random messages of 12-1500 bytes: no broken answer, never dead" "" "$bad"
	bad=""
	for i in $(seq 1 25); do
		hex=$valid
		for j in 1 2 3; do           # corrupt three random bytes
			p=$(((RANDOM % (${#valid} / 2)) * 2))
			hex=${hex:0:p}$(rnd 1)${hex:p+2}
		done
		opt=()
		[ "$tr" = tcp ] && opt=(-t)
		resp=$(timeout 10 "$DNSSEND" "${opt[@]}" -w 800 127.0.0.1 "$DNS_PORT" "$hex" 2>&1 | head -1)
		got=$(classify "$resp" "$hex")
		case $got in BAD:* | dead) bad="$bad$got (sent $hex, got ${resp:0:80}); " ;; esac
	done
	check "$tr: 25 corrupted queries: no broken answer, never dead" "" "$bad"
done

# TCP framing.
good=$(query_hex 0x3001 auth.example.test 6)
resp=$(timeout 10 "$DNSSEND" -r -w 1500 127.0.0.1 "$DNS_PORT" "0000" 2>&1)
last=$(printf '%s\n' "$resp" | tail -1)
case $last in
closed | timeout) ok "tcp: zero-length message: no answer ($last)" ;;
*) [ "$(classify "$(printf '%s\n' "$resp" | head -1)" "")" = FORMERR ] && ok "tcp: zero-length message: FORMERR" ||
	not_ok "tcp: zero-length message: no answer or FORMERR" "$resp" ;;
esac
msg1=$(hdr 0x3002 0x0100 0 0 0 0)
resp=$(timeout 10 "$DNSSEND" -t -w 3000 127.0.0.1 "$DNS_PORT" "$msg1" "$good" 2>&1)
got=$(printf '%s\n' "$resp" | while read -r r; do classify "$r" ""; done | tr '\n' ' ')
check "tcp: FORMERR then a good query on the same connection: both answered" "FORMERR NOERROR " "$got" "$resp"
m1=$(hdr 0x3003 0x8100 1 0 0 0)$QSOA
resp=$(timeout 10 "$DNSSEND" -r -w 1500 127.0.0.1 "$DNS_PORT" \
	"$(printf '%04x' $((${#m1} / 2)))$m1" "$(printf '%04x' $((${#good} / 2)))$good" 2>&1)
got=$(printf '%s\n' "$resp" | while read -r r; do case $r in closed | timeout) echo "$r" ;; *) echo "$(r_id "$r")/$(classify "$r" "")" ;; esac; done | tr '\n' ' ')
case $got in
"3001/NOERROR timeout " | "closed ") ok "tcp: a response then a query on one connection: the response gets nothing (${got% })" ;;
*) not_ok "tcp: a response then a query on one connection: only the query answered, or a hang-up" \
	"expected: '3001/NOERROR timeout' or 'closed'" "got: $got" "$resp" ;;
esac
start=$(date +%s)
resp=$(timeout 15 "$DNSSEND" -r -w 8000 127.0.0.1 "$DNS_PORT" "0040$(hdr 0x3004 0x0100 1 0 0 0)" 2>&1)
took=$(($(date +%s) - start))
if [ "$resp" = closed ] && [ "$took" -le 6 ]; then ok "tcp: a partial message is closed after tcp_idle_timeout (2 s) (${took} s)"
else not_ok "tcp: a partial message is closed after tcp_idle_timeout (2 s)" "got '$resp' after ${took} s"; fi
q=(); for i in 1 2 3 4 5; do q+=("$(query_hex $((0x3010 + i)) auth.example.test 6)"); done
resp=$(timeout 20 "$DNSSEND" -t -w 3000 127.0.0.1 "$DNS_PORT" "${q[@]}" 2>&1)
got=$(printf '%s\n' "$resp" | while read -r r; do case $r in closed | timeout) echo "$r" ;; *) echo answer ;; esac; done | tr '\n' ' ')
check "tcp: tcp_max_queries 3: five pipelined queries get three answers, then the connection closes" \
	"answer answer answer closed closed " "$got" "$resp"
big=$(rnd 65535)
resp=$(timeout 20 "$DNSSEND" -t -w 3000 127.0.0.1 "$DNS_PORT" "$big" 2>&1 | head -1)
got=$(classify "$resp" "$big")
case $got in BAD:* | dead) not_ok "tcp: a 65535-byte random message: no broken answer" "$got ${resp:0:80}" ;;
*) ok "tcp: a 65535-byte random message: $got" ;; esac

# Still serving, and clean.
out=$(qdig SOA auth.example.test)
check "after all of them, UDP still answers" NOERROR "$(d_status "$out")" "$out"
out=$(qdig +tcp SOA auth.example.test)
check "after all of them, TCP still answers" NOERROR "$(d_status "$out")" "$out"
api GET /health
check "after all of them, /health is 200" 200 "$HTTP_CODE" "$HTTP_BODY"
stop_acmednsd
finish
