#!/bin/bash
# run-icmp.sh - ICMP through libclat in the lab (lab.sh): ping over ICMP datagram
# ("ping") sockets and raw sockets, ICMPv6 errors seen as ICMPv4 (ping, traceroute,
# tracepath, IP_RECVERR), IP_TTL/IP_TOS/IP_MTU on translated UDP sockets. The
# `make check` entry.
#
# Path from the client: gw's IPv6 side 2001:db8:1::1 (hop 1) and TAYGA's own
# 2001:db8:ff::64 (hop 2) are IPv6 routers outside the NAT64 prefix, so their
# ICMPv6 errors must read 192.0.0.8 (RFC 7600); gw's IPv4 side 203.0.113.1 (hop
# 3, its errors arrive translated by TAYGA, inside the prefix) and the server
# 203.0.113.10 (hop 4) keep their IPv4 addresses.
#
# Environment: CLATRUN, CLAT_LIB (tests/Makefile.am exports both);
# CLAT_REQUIRE_ROOT_TESTS=1 turns a skip (not root, a missing tool) into a failure;
# LAB_NAME (default clat-icmp-PID). CLAT_CONFIG is an empty file and
# CLAT_CACHE_DIR a directory of the run (testlib.sh); --prefix is always given.
# Tools: iputils-ping, traceroute, iputils-tracepath, strace, python3.
#
# Cases (numbers as in the output); every positive one is also run without
# clatrun, where it must fail (no IPv4 route: "Network is unreachable"):
#   1 ping 203.0.113.10 under clatrun: 3 replies "from 203.0.113.10 ... ttl=",
#     over a ping socket (ping_group_range "0 2147483647") and, as root, over a
#     raw socket (ping_group_range "1 0"), the socket type seen with strace;
#     -s 1400 and -s 1452 (IPv6 packet of 1500 bytes, the link MTU); -s 3000
#     behaves like native ping6 -s 3000 to the synthesised address; python clients
#     on a ping socket and on a raw socket check checksums (RFC 1071), id, seq,
#     payload, and the raw socket's IPv4 header
#   2 ping 203.0.113.99 (gw cannot resolve it): "Destination Host Unreachable"
#     from 203.0.113.1 within a bounded time, for both socket types
#   3 traceroute (UDP) and traceroute -I (raw ICMP): hops as native traceroute6 to
#     the synthesised address shows them, mapped (192.0.0.8, 192.0.0.8,
#     203.0.113.1, 203.0.113.10); tracepath reaches 203.0.113.10 with pmtu 1480
#   4 IP_TOS 0x20 and IP_TTL 3 on a UDP socket (set before connect and after it)
#     give traffic class 0x20 and hop limit 3 (AF_PACKET capture in gw), IP_MTU
#     reads 1480; IP_TTL 1 / 3 with IP_RECVERR: time exceeded (origin ICMP, type
#     11) from 192.0.0.8 / 203.0.113.1
# Output: "ok N - ..." / "not ok N - ..." lines, then "icmp: P passed, F failed".

here=$(cd "$(dirname "$0")" && pwd)
export LAB_NAME=${LAB_NAME:-clat-icmp-$$}
# shellcheck source=lab.sh
. "$here/lab.sh"
# shellcheck source=testlib.sh
. "$here/testlib.sh"
tl_init icmp
TL_SHOW_LINES=30

PREFIX=2001:db8:64::/96
T=15                       # per-command timeout, seconds
SV=$LAB_SV4
GW4=$LAB_GW4
NOHOST=203.0.113.99        # on sv's link, nobody answers gw's ARP for it
RFC7600=192.0.0.8          # IPv4 source of errors from IPv6-only routers
PY=$LAB_PYTHON
PROBE=$here/icmpprobe.py
UNREACH='[Nn]etwork (is )?unreachable'
PING_GROUPS_DGRAM='0 2147483647'   # everyone may open ICMP datagram sockets
PING_GROUPS_RAW='1 0'              # nobody: iputils ping falls back to a raw socket
CAP_PID=

tl_on_exit() {
	[ -n "$CAP_PID" ] && kill "$CAP_PID" 2>/dev/null
	[ -n "$CAP_PID" ] && wait "$CAP_PID" 2>/dev/null
	CAP_PID=
}

# need DESC TOOL...: true if every TOOL is installed, else one skip (a failure
# with CLAT_REQUIRE_ROOT_TESTS=1: CI installs them all).
need() {
	local desc=$1 t
	shift
	for t in "$@"; do
		have "$t" && continue
		if [ "${CLAT_REQUIRE_ROOT_TESTS:-0}" = 1 ]; then notok "$desc" "$t not installed"
		else skip "$desc" "$t not installed"; fi
		return 1
	done
	return 0
}

# run plain|clatrun|strace CMD...: CMD in the client namespace, bounded by $T;
# stdout+stderr in $OUT, exit status in RC, wall time in MS. strace: under
# clatrun, with strace -f -e trace=socket writing to $WORK/strace.
run() {
	local mode=$1 t0
	shift
	case "$mode" in
	plain) LAST_CMD=("$@") ;;
	clatrun) LAST_CMD=("${SAN_ENV[@]}" "$CLATRUN" --prefix "$PREFIX" -- "$@") ;;
	strace)
		rm -f "$WORK/strace"
		LAST_CMD=(strace -f -qq -o "$WORK/strace" -e trace=socket "${SAN_ENV[@]}" "$CLATRUN" --prefix "$PREFIX" -- "$@") ;;
	esac
	t0=$(date +%s%N)
	ip netns exec "$LAB_NS_CL" timeout -k 2 "$T" "${LAST_CMD[@]}" </dev/null >"$OUT" 2>&1
	RC=$?
	MS=$((($(date +%s%N) - t0) / 1000000))
}

# last_is DESC RC ERE...: the last run exited RC ("!0": any failure, not a
# timeout) and its output matches every ERE; an ERE written "!ERE" must not
# match. FILE=path: match in that file instead of $OUT (for the ERE after it).
last_is() {
	local desc=$1 want=$2 re miss='' file=$OUT
	shift 2
	if [ "$RC" -eq 124 ] || [ "$RC" -eq 137 ]; then
		notok "$desc" "timed out after ${T}s" show
		return 1
	fi
	if { [ "$want" = '!0' ] && [ "$RC" -eq 0 ]; } || { [ "$want" != '!0' ] && [ "$RC" -ne "$want" ]; }; then
		notok "$desc" "exit status $RC, want $want" show
		return 1
	fi
	for re in "$@"; do
		case "$re" in
		FILE=*) file=${re#FILE=}; continue ;;
		!*) grep -Eq -- "${re#!}" "$file" 2>/dev/null && miss="$miss ${file##*/} has /${re#!}/;" ;;
		*) grep -Eq -- "$re" "$file" 2>/dev/null || miss="$miss ${file##*/} lacks /$re/;" ;;
		esac
	done
	if [ -z "$miss" ]; then ok "$desc"; return 0; fi
	notok "$desc" "output$miss" show
	if [ "$file" != "$OUT" ] && [ -s "$file" ]; then
		echo "#   ${file##*/}:"
		grep -v -e AF_UNIX -e AF_NETLINK "$file" | head -n 20 | sed 's/^/#     /'
	fi
	return 1
}

# fails DESC CMD...: without clatrun CMD fails with "Network is unreachable".
fails() {
	local desc=$1
	shift
	run plain "$@"
	last_is "$desc: fails without clatrun" '!0' "$UNREACH"
}

ping_groups() { lab__sysctl "$LAB_NS_CL" "net.ipv4.ping_group_range=$1"; }

# replies N: the last output has exactly N echo replies from $SV with a TTL.
replies() {
	local n
	n=$(grep -Ec "^[0-9]+ bytes from $SV: icmp_seq=[0-9]+ ttl=[0-9]+ time=" "$OUT")
	[ "$n" -eq "$1" ] && grep -Eq "$1 packets transmitted, $1 received" "$OUT"
}

# received: "N received" of the last ping's statistics line (empty if none).
received() { sed -nE 's/.* ([0-9]+) received.*/\1/p' "$OUT" | head -n 1; }

# ---- 1: echo to 203.0.113.10 ----------------------------------------------------------
# c1_ping KIND GROUPS STRACE-ERE...: the ping cases over one socket type.
c1_ping() {
	local kind=$1 groups=$2 native
	shift 2
	local tag="1 [$kind socket]"
	ping_groups "$groups" || { notok "$tag ping_group_range=$groups" "sysctl failed"; return; }
	need "$tag ping" ping strace || return
	fails "$tag ping -c 3 $SV" ping -c 3 -W 2 "$SV"
	run strace ping -c 3 -W 2 "$SV"
	if last_is "$tag ping -c 3 -W 2 $SV under clatrun: replies from $SV with ttl=" 0 \
		"^64 bytes from $SV: icmp_seq=3 ttl=[0-9]+ " "$@"; then
		LAST_CMD=(replies 3)
		if replies 3; then ok "$tag ... exactly 3 replies, 0% loss"
		else notok "$tag ... exactly 3 replies, 0% loss" "reply count differs" show; fi
	fi
	run clatrun ping -c 2 -i 0.2 -W 2 -s 1400 "$SV"
	last_is "$tag ping -s 1400 under clatrun" 0 "^1408 bytes from $SV: icmp_seq=2 ttl=[0-9]+" \
		'2 packets transmitted, 2 received'
	# 1452 + 8 + 20 = 1480 bytes of IPv4, 1500 of IPv6: the largest unfragmented.
	run clatrun ping -c 2 -i 0.2 -W 2 -s 1452 "$SV"
	last_is "$tag ping -s 1452 (1500-byte IPv6 packet) under clatrun" 0 \
		"^1460 bytes from $SV: icmp_seq=2 ttl=[0-9]+" '2 packets transmitted, 2 received'
	# -s 3000 is sent as IPv6 fragments. TAYGA (0.9.2) drops fragmented ICMPv6
	# (it cannot translate a fragment's ICMP checksum), so native ping6 gets no
	# reply either: the translated ping must behave like native IPv6 here.
	run plain ping -6 -c 2 -i 0.2 -W 1 -s 3000 "$SYNTH"
	native=$(received)
	run clatrun ping -c 2 -i 0.2 -W 1 -s 3000 "$SV"
	if [ -n "$native" ] && [ "$(received)" = "$native" ]; then
		ok "$tag ping -s 3000 under clatrun: $native of 2 received, as native ping -6 -s 3000 to $SYNTH"
	elif [ "$RC" -eq 124 ] || [ "$RC" -eq 137 ]; then
		notok "$tag ping -s 3000 under clatrun" "timed out after ${T}s" show
	else
		notok "$tag ping -s 3000 under clatrun: as native ping -6 -s 3000" \
			"received '$(received)', native ping -6 to $SYNTH received '$native'" show
	fi
}

c1_python() {
	local tag="1 [python]"
	ping_groups "$PING_GROUPS_DGRAM" || return
	fails "$tag ping socket echo" "$PY" "$PROBE" ping "$SV"
	run clatrun "$PY" "$PROBE" ping "$SV"
	last_is "$tag ping socket: 3 echoes, ICMPv4 checksum (RFC 1071), id, seq, payload" 0 \
		'^PYOK ping socket$'
	fails "$tag raw socket echo" "$PY" "$PROBE" raw "$SV"
	run clatrun "$PY" "$PROBE" raw "$SV"
	last_is "$tag raw socket: 3 echoes, IPv4 header + ICMPv4 checksums, id, seq, payload" 0 \
		'^PYOK raw socket$'
}

# ---- 2: an IPv4 address the NAT64 cannot reach ------------------------------------------
c2_unreachable() {
	local kind=$1 groups=$2 tag
	tag="2 [$1 socket]"
	ping_groups "$groups" || return
	need "$tag ping $NOHOST" ping || return
	# gw's ARP for it fails after ~3 s, then it answers host unreachable (ICMPv4,
	# translated by TAYGA; the address is inside the prefix).
	run clatrun ping -c 3 -W 2 "$NOHOST"
	if last_is "$tag ping -c 3 -W 2 $NOHOST under clatrun: Destination Host Unreachable from $GW4" 1 \
		"^From $GW4 icmp_seq=[0-9]+ Destination Host Unreachable" '3 packets transmitted, 0 received'; then
		if [ "$MS" -lt 10000 ]; then ok "$tag ... within 10 s (${MS} ms)"
		else notok "$tag ... within 10 s" "took ${MS} ms" show; fi
	fi
}

# ---- 3: traceroute, tracepath ---------------------------------------------------------
# hops: the addresses of the last traceroute output, one per hop, "*" for none.
hops() { awk '$1 ~ /^[0-9]+$/ { print $2 }' "$OUT"; }

# Native traceroute6 to the synthesised address, mapped to what an IPv4 program
# must see: inside the prefix the embedded IPv4, outside it 192.0.0.8.
expected_hops() {
	local h
	run plain traceroute -6 -n -w 1 -q 1 -m 6 "$SYNTH"
	[ "$RC" -eq 0 ] || return 1
	for h in $(hops); do
		case "$h" in
		2001:db8:64::*) printf '%s\n' "$("$PY" -c 'import ipaddress,sys; print(ipaddress.IPv4Address(ipaddress.IPv6Address(sys.argv[1]).packed[12:]))' "$h")" ;;
		'*') echo '*' ;;
		*) echo "$RFC7600" ;;
		esac
	done
}

c3_trace() {
	local tag=3 want got opt what
	ping_groups "$PING_GROUPS_RAW" || return
	need "$tag traceroute" traceroute || return
	want=$(expected_hops)
	if [ -z "$want" ] || [ "$(tail -n 1 <<<"$want")" != "$SV" ]; then
		notok "$tag native traceroute6 to $SYNTH (reference)" "no usable hop list" show
		return
	fi
	ok "$tag native traceroute6 to $SYNTH maps to: ${want//$'\n'/ }"
	for opt in '' -I; do
		what="traceroute ${opt:+$opt }-n -w 1 -q 1 -m 6 $SV"
		fails "$tag $what" traceroute $opt -n -w 1 -q 1 -m 6 "$SV"
		run clatrun traceroute $opt -n -w 1 -q 1 -m 6 "$SV"
		last_is "$tag $what under clatrun: reaches $SV via $GW4, routers as $RFC7600" 0 \
			"^ *[0-9]+ +$SV " "^ *[0-9]+ +$GW4 " "^ *1 +$RFC7600 " || continue
		got=$(hops)
		LAST_CMD=(hops)
		if [ "$got" = "$want" ]; then ok "$tag ... hops as native IPv6: ${got//$'\n'/ }"
		else notok "$tag ... hops as native IPv6" "got '${got//$'\n'/ }', want '${want//$'\n'/ }'" show; fi
	done
	need "$tag tracepath" tracepath || return
	# tracepath without a route just prints "send failed" (exit status 0).
	run plain tracepath -n "$SV"
	last_is "$tag tracepath -n $SV: fails without clatrun" 0 'send failed' '!reached'
	run clatrun tracepath -n "$SV"
	last_is "$tag tracepath -n $SV under clatrun: reached, pmtu 1480, routers as $RFC7600" 0 \
		"^ *[0-9]+: +$SV +.*reached" 'Resume: pmtu 1480 ' "^ *1: +$RFC7600 " "^ *[0-9]+: +$GW4 "
}

# ---- 4: IP_TOS, IP_TTL, IP_MTU, IP_RECVERR ---------------------------------------------
c4_opts() {
	local tag=4 when i
	for when in before after; do
		fails "$tag IP_TOS/IP_TTL set $when connect" "$PY" "$PROBE" udp-opts "$SV" 7 0x20 3 "$when"
		rm -f "$WORK/cap.ready"
		ip netns exec "$LAB_NS_GW" timeout -k 1 10 "$PY" "$PROBE" capture to-cl "$SYNTH" 7 8 \
			"$WORK/cap.ready" >"$WORK/cap.out" 2>&1 &
		CAP_PID=$!
		for ((i = 0; i < 50; i++)); do
			[ -e "$WORK/cap.ready" ] && break
			sleep 0.1
		done
		run clatrun "$PY" "$PROBE" udp-opts "$SV" 7 0x20 3 "$when"
		last_is "$tag IP_TOS 0x20, IP_TTL 3 set $when connect: read back; IP_MTU 1480" 0 \
			'^PYOK udp options$'
		wait "$CAP_PID"
		CAP_PID=
		cp "$WORK/cap.out" "$OUT"
		LAST_CMD=(icmpprobe.py capture to-cl "$SYNTH" 7)
		if grep -q 'traffic_class=0x20 hop_limit=3$' "$OUT"; then
			ok "$tag ... gw sees the IPv6 datagram with traffic class 0x20, hop limit 3"
		else
			notok "$tag ... gw sees the IPv6 datagram with traffic class 0x20, hop limit 3" \
				"capture differs" show
		fi
	done
	fails "$tag IP_RECVERR, IP_TTL 1" "$PY" "$PROBE" recverr "$SV" 7 1 "$RFC7600"
	run clatrun "$PY" "$PROBE" recverr "$SV" 7 1 "$RFC7600"
	last_is "$tag IP_TTL 1: MSG_ERRQUEUE has time exceeded (origin ICMP, type 11) from $RFC7600" 0 \
		'^PYOK recverr$'
	run clatrun "$PY" "$PROBE" recverr "$SV" 7 3 "$GW4"
	last_is "$tag IP_TTL 3: MSG_ERRQUEUE has time exceeded from $GW4 (inside the prefix)" 0 \
		'^PYOK recverr$'
}

# ---- main ------------------------------------------------------------------------------
echo "icmp: namespaces $LAB_NAME-{cl,gw,sv}; CLATRUN=${CLATRUN:-unset}"
if [ -z "${CLATRUN:-}" ] || [ ! -x "$CLATRUN" ]; then
	notok "clatrun" "CLATRUN not set or not executable ('${CLATRUN:-}')"
	tl_summary
	exit 1
fi
start=$SECONDS
if ! lab_up "$PREFIX" 2>"$WORK/up.err"; then
	LAST_CMD=(lab_up "$PREFIX")
	cp "$WORK/up.err" "$OUT"
	notok "lab up ($PREFIX)" "lab_up failed" show
	tl_summary
	exit 1
fi
SYNTH=$(lab_synth "$PREFIX" "$SV")
# The run asks gw and sv for more ICMP errors than their default rate limits
# (per destination: a burst of 6, then 1/s; all traffic comes from one TAYGA pool
# address) would let through: switch those off, in these namespaces only.
if ! lab_exec gw sysctl -q -w net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0 ||
	! lab_exec sv sysctl -q -w net.ipv4.icmp_ratelimit=0; then
	notok "ICMP rate limits off in gw and sv" "sysctl failed"
fi

need "0 native ping6" ping && {
	run plain ping -6 -c 1 -W 2 "$SYNTH"
	last_is "0 native: ping -6 $SYNTH gets a reply through TAYGA" 0 "bytes from $SYNTH"
}

c1_ping ping "$PING_GROUPS_DGRAM" \
	"FILE=$WORK/strace" 'socket\(AF_INET, SOCK_DGRAM, IPPROTO_ICMP\) = [0-9]+$' \
	'!socket\(AF_INET, SOCK_RAW, IPPROTO_ICMP\)'
c1_ping raw "$PING_GROUPS_RAW" \
	"FILE=$WORK/strace" 'socket\(AF_INET, SOCK_DGRAM, IPPROTO_ICMP\) = -1 EACCES' \
	'socket\(AF_INET, SOCK_RAW, IPPROTO_ICMP\) = [0-9]+$'
c1_python
c2_unreachable ping "$PING_GROUPS_DGRAM"
c2_unreachable raw "$PING_GROUPS_RAW"
c3_trace
c4_opts

lab_down
echo "# $((SECONDS - start)) s"
tl_summary
