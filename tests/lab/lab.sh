#!/bin/bash
# lab.sh - a NAT64/DNS64 lab in three network namespaces, for libclat tests.
#
#   client (IPv6 only)  ---  gw (TAYGA NAT64 + Unbound DNS64)  ---  sv (IPv4 only)
#   2001:db8:1::2/64         2001:db8:1::1/64 | 203.0.113.1/24      203.0.113.10/24
#
# CLI:
#   lab.sh up PREFIX              e.g. 2001:db8:64::/96, 2001:db8:64::/64, 2001:db8:6400::/40
#   lab.sh down                   idempotent; kills everything the lab started
#   lab.sh exec client|gw|sv CMD...
#   lab.sh synth PREFIX IPV4      print the RFC 6052 address of IPV4 under PREFIX
#   lab.sh status
#   lab.sh dns64 stop             stop the gw's resolver on 2001:db8:1::1
#   lab.sh dns64 start [KIND]     start it again: dns64 (default), plain (no DNS64:
#                                 ipv4only.arpa AAAA is NODATA) or silent (a UDP
#                                 socket on :53 that never answers)
#   lab.sh dns64 queries [NAME]   count the queries for NAME (default ipv4only.arpa)
#                                 in the running resolver's log
#   lab.sh wkn-ttl TTL [NEG_TTL]  serve ipv4only.arpa with these TTLs from now on
#   lab.sh nat64-prefix PREFIX    gw moves to another NAT64 prefix behind the same
#                                 router and resolver addresses (TAYGA, DNS64 restarted)
#   lab.sh resolver ADDR          the client's resolv.conf names ADDR (2001:db8:1::/64,
#                                 added to gw, which answers there too)
#   lab.sh ra PREFIX [LIFETIME [COUNT [INTERVAL]]]
#                                 send Router Advertisements with a PREF64 option
#                                 (RFC 8781) from gw to the client (accept_ra=2 set)
#   lab.sh nduseropt SECONDS      print the ND user options (RTM_NEWNDUSEROPT) the
#                                 client's kernel passes to netlink, for SECONDS
# Library: ". tests/lab/lab.sh" then lab_up, lab_down, lab_exec, lab_synth,
# lab_dns64_stop, lab_dns64_start, lab_dns64_queries, lab_wkn_ttl, lab_client_accept_ra,
# lab_ra_send, lab_ra_start, lab_ra_stop, lab_nduseropt.
#
# Environment: LAB_NAME (default clat-lab) names the namespaces LAB_NAME-cl,
# LAB_NAME-gw, LAB_NAME-sv, so two labs with different names can run at once.
# LAB_STATE_DIR (default /run/clat-lab) holds one directory per lab (configs, logs,
# PIDs). LAB_PYTHON picks the python3 used for the servers. LAB_WKN_TTL (default
# 3600, RFC 7050 section 4: at least 60 minutes) is the TTL of ipv4only.arpa's A
# records and so of the AAAA records the DNS64 synthesises from them;
# LAB_WKN_NEG_TTL (default 600) the SOA MINIMUM of ipv4only.arpa, i.e. the negative
# TTL of a NODATA answer for its AAAA (RFC 2308 section 5).
#
# All traffic stays inside the namespaces: sv has no default route, gw's only
# routes are the two lab links and the TAYGA tun, the client has only the gw link.

LAB_NAME=${LAB_NAME:-clat-lab}
LAB_STATE_DIR=${LAB_STATE_DIR:-/run/clat-lab}

# Addresses (fixed; the NAT64 prefix is the only variable part).
LAB_CL6=2001:db8:1::2
LAB_GW6=2001:db8:1::1
LAB_GW4=203.0.113.1
LAB_SV4=203.0.113.10
LAB_POOL4=192.168.255.0/24       # TAYGA dynamic pool: what the server sees as source
LAB_TAYGA4=192.168.255.1
LAB_TAYGA6=2001:db8:ff::64        # TAYGA's own IPv6 address (outside every lab prefix)
LAB_TUN=nat64
LAB_MARKER=clat-lab-marker-5c1e7a # content of http://203.0.113.10:8080/index.html
# v6only.test (AAAA only) is gw's $LAB_GW6: http on 8080 serving this marker,
# whoami on 9000 (tcp+udp), for the address mapper (RFC 6535) tests.
LAB_MARKER6=clat-lab-v6only-marker-9d2f41
LAB_WKN_TTL=${LAB_WKN_TTL:-3600}
LAB_WKN_NEG_TTL=${LAB_WKN_NEG_TTL:-600}

lab__set_names() {
	LAB_NS_CL=$LAB_NAME-cl
	LAB_NS_GW=$LAB_NAME-gw
	LAB_NS_SV=$LAB_NAME-sv
	LAB_DIR=$LAB_STATE_DIR/$LAB_NAME
}
lab__set_names

lab__here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

if [ -z "${LAB_PYTHON:-}" ]; then
	if [ -x /usr/bin/python3 ]; then LAB_PYTHON=/usr/bin/python3
	else LAB_PYTHON=$(command -v python3); fi
fi

lab__err() { echo "lab: $*" >&2; }

# lab__showlog FILE: print the tail of a daemon's log to stderr.
lab__showlog() {
	[ -s "$1" ] || { lab__err "(log $1 is empty)"; return 0; }
	echo "---- ${1##*/} (last 40 lines) ----" >&2
	tail -n 40 "$1" >&2
	echo "----" >&2
}

lab__ns() {
	case "$1" in
	client|cl) echo "$LAB_NS_CL" ;;
	gw) echo "$LAB_NS_GW" ;;
	sv|server) echo "$LAB_NS_SV" ;;
	*) return 1 ;;
	esac
}

# lab_exec client|gw|sv CMD...: run CMD inside a lab namespace.
lab_exec() {
	local ns
	ns=$(lab__ns "$1") || { lab__err "exec: unknown namespace '$1' (client, gw, sv)"; return 2; }
	shift
	[ $# -gt 0 ] || { lab__err "exec: no command"; return 2; }
	ip netns exec "$ns" "$@"
}

# lab_synth PREFIX IPV4: RFC 6052 section 2.2 address of IPV4 under PREFIX
# (/32../96; for lengths below /96 bits 64..71, the "u" octet, stay zero).
lab_synth() {
	"$LAB_PYTHON" - "$1" "$2" <<'EOF'
import ipaddress, sys
net = ipaddress.IPv6Network(sys.argv[1], strict=True)
v4 = ipaddress.IPv4Address(sys.argv[2]).packed
n = net.prefixlen
if n not in (32, 40, 48, 56, 64, 96):
    sys.exit("prefix length must be 32, 40, 48, 56, 64 or 96")
b = bytearray(net.network_address.packed)
if n < 96 and b[8] != 0:
    sys.exit("bits 64..71 of the prefix must be zero (RFC 6052 section 2.2)")
pos = [i for i in range(16) if i != 8][n // 8:][:4] if n < 96 else [12, 13, 14, 15]
for i, byte in zip(pos, v4):
    b[i] = byte
print(ipaddress.IPv6Address(bytes(b)))
EOF
}

# lab__wait SECONDS*10 CMD...: poll CMD every 0.1 s, bounded.
lab__wait() {
	local n=$1 i
	shift
	for ((i = 0; i < n; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

lab__listening() { # ns tcp|udp port
	local flag=t
	[ "$2" = udp ] && flag=u
	ip netns exec "$1" ss -Hln$flag "sport = :$3" 2>/dev/null | grep -q .
}

# lab__start NAME NS CMD...: start a daemon in the background, log to
# $LAB_DIR/NAME.log, record its PID (ip netns exec execs the command in place).
lab__start() {
	local name=$1 ns=$2
	shift 2
	ip netns exec "$ns" "$@" </dev/null >"$LAB_DIR/$name.log" 2>&1 &
	echo "$!" >"$LAB_DIR/$name.pid"
	echo "$! $(lab__starttime $!) $name" >>"$LAB_DIR/pids"
}

# Start time of a process (clock ticks since boot, /proc/PID/stat field 22):
# together with the PID it names the process, so down never kills a reused PID.
lab__starttime() {
	local st f
	st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	read -r -a f <<<"${st##*) }"  # fields from 3 on: state is f[0]
	echo "${f[19]}"
}

# lab__ready NAME CHECK...: wait until CHECK succeeds while NAME is alive.
lab__ready() {
	local name=$1 pid i
	shift
	pid=$(cat "$LAB_DIR/$name.pid")
	for ((i = 0; i < 100; i++)); do
		if ! lab__alive "$pid"; then
			lab__err "$name exited during startup"
			lab__showlog "$LAB_DIR/$name.log"
			return 1
		fi
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	lab__err "$name not ready after 10 s (waiting for: $*)"
	lab__showlog "$LAB_DIR/$name.log"
	return 1
}

lab__sysctl() { # ns key=value...
	local ns=$1
	shift
	ip netns exec "$ns" sysctl -q -w "$@" >/dev/null
}

lab__topology() {
	local ns
	for ns in "$LAB_NS_CL" "$LAB_NS_GW" "$LAB_NS_SV"; do
		ip netns add "$ns" || return 1
		ip -n "$ns" link set lo up || return 1
	done
	# No DAD anywhere (no waiting for tentative addresses); sv has no IPv6 at all.
	# Set before the veths exist so that they inherit the defaults.
	# ping_group_range: ping uses ICMP datagram sockets (as unprivileged users do
	# everywhere), not raw ones, in the client.
	lab__sysctl "$LAB_NS_CL" net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
		net.ipv6.conf.default.accept_ra=0 "net.ipv4.ping_group_range=0 2147483647" || return 1
	lab__sysctl "$LAB_NS_GW" net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
		net.ipv6.conf.all.forwarding=1 net.ipv4.ip_forward=1 || return 1
	lab__sysctl "$LAB_NS_SV" net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 \
		|| return 1

	ip link add eth0 netns "$LAB_NS_CL" type veth peer name to-cl netns "$LAB_NS_GW" || return 1
	ip link add eth0 netns "$LAB_NS_SV" type veth peer name to-sv netns "$LAB_NS_GW" || return 1

	ip -n "$LAB_NS_CL" addr add "$LAB_CL6/64" dev eth0 nodad || return 1
	ip -n "$LAB_NS_CL" link set eth0 up || return 1
	ip -n "$LAB_NS_CL" -6 route add default via "$LAB_GW6" dev eth0 || return 1

	ip -n "$LAB_NS_GW" addr add "$LAB_GW6/64" dev to-cl nodad || return 1
	ip -n "$LAB_NS_GW" addr add "$LAB_GW4/24" dev to-sv || return 1
	ip -n "$LAB_NS_GW" link set to-cl up || return 1
	ip -n "$LAB_NS_GW" link set to-sv up || return 1

	ip -n "$LAB_NS_SV" addr add "$LAB_SV4/24" dev eth0 || return 1
	ip -n "$LAB_NS_SV" link set eth0 up || return 1
	# Only the way back to TAYGA's pool; no default route.
	ip -n "$LAB_NS_SV" route add "$LAB_POOL4" via "$LAB_GW4" || return 1

	# A veth drops packets until the kernel's link watcher has activated its
	# qdisc (operstate UP), up to a second later; a neighbour solicitation lost
	# then costs a 1 s retransmission. Wait for it instead.
	lab__wait 30 lab__link_up "$LAB_NS_CL" eth0 || { lab__err "client eth0 not up"; return 1; }
	lab__wait 30 lab__link_up "$LAB_NS_GW" to-cl || { lab__err "gw to-cl not up"; return 1; }
	lab__wait 30 lab__link_up "$LAB_NS_GW" to-sv || { lab__err "gw to-sv not up"; return 1; }
	lab__wait 30 lab__link_up "$LAB_NS_SV" eth0 || { lab__err "sv eth0 not up"; return 1; }
}

lab__link_up() { # ns dev
	local l
	l=$(ip -n "$1" -o link show dev "$2" 2>/dev/null) || return 1
	# A tun reports operstate UNKNOWN.
	[[ "$l" == *"state UP"* || "$l" == *"state UNKNOWN"* ]] && [[ "$l" != *"qdisc noop"* ]]
}

lab__tayga() { # prefix
	mkdir -p "$LAB_DIR/tayga-data"
	cat >"$LAB_DIR/tayga.conf" <<EOF
tun-device $LAB_TUN
ipv4-addr $LAB_TAYGA4
ipv6-addr $LAB_TAYGA6
prefix $1
dynamic-pool $LAB_POOL4
data-dir $LAB_DIR/tayga-data
EOF
	# -d: debug messages and no detach, so that the PID stays ours.
	lab__start tayga "$LAB_NS_GW" tayga -d --config "$LAB_DIR/tayga.conf" || return 1
	lab__ready tayga ip -n "$LAB_NS_GW" link show "$LAB_TUN" || return 1
	# TAYGA configures nothing on the host side of its tun.
	ip -n "$LAB_NS_GW" link set "$LAB_TUN" up || return 1
	lab__wait 30 lab__link_up "$LAB_NS_GW" "$LAB_TUN" || { lab__err "$LAB_TUN not up"; return 1; }
	ip -n "$LAB_NS_GW" route add "$1" dev "$LAB_TUN" || return 1
	ip -n "$LAB_NS_GW" route add "$LAB_TAYGA6/128" dev "$LAB_TUN" || return 1
	ip -n "$LAB_NS_GW" route add "$LAB_POOL4" dev "$LAB_TUN" || return 1
}

# Unbound settings shared by both instances: foreground, root, no chroot, our
# directory, log to stderr (captured in NAME.log), no control socket.
lab__unbound_common() {
	cat <<EOF
	do-daemonize: no
	username: ""
	chroot: ""
	directory: "$LAB_DIR"
	pidfile: ""
	use-syslog: no
	logfile: ""
	verbosity: ${LAB_UNBOUND_VERBOSITY:-1}
	num-threads: 1
	port: 53
EOF
}

# Debian's and Ubuntu's AppArmor profile for /usr/sbin/unbound only lets it read
# /etc/unbound and closes inherited fds to other files (our log) at exec, so under
# an enforced profile the lab's unbound would die silently. Run it unconfined then.
lab__unbound_cmd() {
	LAB_UNBOUND=(unbound)
	grep -qs '^unbound (enforce)' /sys/kernel/security/apparmor/profiles || return 0
	if command -v aa-exec >/dev/null 2>&1; then
		LAB_UNBOUND=(aa-exec -p unconfined -- unbound)
		return 0
	fi
	lab__err "AppArmor enforces its unbound profile, which forbids the lab's files in" \
		"$LAB_DIR; install aa-exec (Debian: apparmor) or run: aa-complain /usr/sbin/unbound"
	return 1
}

lab__dns_sv() {
	{
		echo "server:"
		lab__unbound_common
		cat <<EOF
	interface: $LAB_SV4
	do-ip6: no
	access-control: 0.0.0.0/0 allow
	# Authoritative-ish: answer our zones, refuse everything else (no recursion).
	local-zone: "." refuse
	local-zone: "test." static
	local-data: "server.test. 300 IN A $LAB_SV4"
	local-data: "v6only.test. 300 IN AAAA $LAB_GW6"
	# Only an excluded A record (loopback) besides its AAAA: treated as
	# AAAA-only by the address mapper (docs/requirements.md D.28).
	local-data: "mixed.test. 300 IN A 127.0.0.1"
	local-data: "mixed.test. 300 IN AAAA $LAB_GW6"
	local-zone: "ipv4only.arpa." static
	local-data: "ipv4only.arpa. $LAB_WKN_TTL IN SOA ns.ipv4only.arpa. hostmaster.ipv4only.arpa. 1 3600 600 86400 $LAB_WKN_NEG_TTL"
	local-data: "ipv4only.arpa. $LAB_WKN_TTL IN A 192.0.0.170"
	local-data: "ipv4only.arpa. $LAB_WKN_TTL IN A 192.0.0.171"
remote-control:
	control-enable: no
EOF
	} >"$LAB_DIR/unbound-sv.conf"
	lab__start unbound-sv "$LAB_NS_SV" "${LAB_UNBOUND[@]}" -d -c "$LAB_DIR/unbound-sv.conf" || return 1
	lab__ready unbound-sv lab__listening "$LAB_NS_SV" udp 53 || return 1
	lab__ready unbound-sv lab__listening "$LAB_NS_SV" tcp 53 || return 1
}

# lab__dns_gw PREFIX [dns64|plain]: the client's resolver on $LAB_GW6, forwarding
# to sv. dns64 synthesises AAAA records under PREFIX; plain does not, so that
# ipv4only.arpa AAAA is NODATA (a network without DNS64). log-queries: one line per
# query ("info: 2001:db8:1::2 ipv4only.arpa. AAAA IN"), counted by lab_dns64_queries.
lab__dns_gw() {
	local modules='"dns64 iterator"' dns64="	dns64-prefix: $1" synth
	synth=$(lab_synth "$1" "$LAB_SV4") || return 1
	if [ "${2:-dns64}" = plain ]; then
		modules='"iterator"'
		dns64=''
	fi
	{
		echo "server:"
		lab__unbound_common
		local alias
		for alias in $(cat "$LAB_DIR/dns-aliases" 2>/dev/null); do
			echo "	interface: $alias"
		done
		cat <<EOF
	interface: $LAB_GW6
	access-control: 2001:db8:1::/64 allow
	module-config: $modules
$dns64
	log-queries: yes
	# Unbound serves test. as a local zone by default; we want it forwarded.
	local-zone: "test." nodefault
	# A name whose only record is an AAAA inside the NAT64 prefix: an IPv4
	# lookup must give the embedded 203.0.113.10 (docs/requirements.md D.27).
	local-zone: "synth.test." static
	local-data: "synth.test. 300 IN AAAA $synth"
	do-not-query-localhost: no
remote-control:
	control-enable: no
forward-zone:
	name: "."
	forward-addr: $LAB_SV4
EOF
	} >"$LAB_DIR/unbound-gw.conf"
	lab__start unbound-gw "$LAB_NS_GW" "${LAB_UNBOUND[@]}" -d -c "$LAB_DIR/unbound-gw.conf" || return 1
	lab__ready unbound-gw lab__listening "$LAB_NS_GW" udp 53 || return 1
	echo "${2:-dns64}" >"$LAB_DIR/dns-gw-kind"
}

# lab__dns_silent: a resolver address that swallows every query (UDP :53 bound,
# nothing read, nothing answered; TCP :53 closed), like a dead or filtered server.
lab__dns_silent() {
	lab__start unbound-gw "$LAB_NS_GW" "$LAB_PYTHON" -c '
import socket, sys, time
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 53))
time.sleep(3600)' "$LAB_GW6" || return 1
	lab__ready unbound-gw lab__listening "$LAB_NS_GW" udp 53 || return 1
	echo silent >"$LAB_DIR/dns-gw-kind"
}

# lab__kill NAME: stop one daemon started by lab__start (PID plus start time, so
# never a reused PID): TERM, then KILL, bounded.
lab__kill() {
	local name=$1 pid start i
	[ -f "$LAB_DIR/$name.pid" ] || return 0
	pid=$(cat "$LAB_DIR/$name.pid")
	start=$(awk -v p="$pid" -v n="$name" '$1 == p && $3 == n { s = $2 } END { print s }' \
		"$LAB_DIR/pids")
	rm -f "$LAB_DIR/$name.pid"
	[ -n "$start" ] || return 0
	grep -vxF "$pid $start $name" "$LAB_DIR/pids" >"$LAB_DIR/pids.new"
	mv "$LAB_DIR/pids.new" "$LAB_DIR/pids"
	[ "$(lab__starttime "$pid")" = "$start" ] || return 0
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < 30; i++)); do
		lab__alive "$pid" || return 0
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	for ((i = 0; i < 20; i++)); do
		lab__alive "$pid" || return 0
		sleep 0.1
	done
	lab__err "$name (pid $pid) does not die"
	return 1
}

lab__not_listening() { ! lab__listening "$@"; }

# lab_nat64_prefix PREFIX: the gateway moves to another NAT64 prefix behind the
# same router and resolver addresses (a network whose operator renumbered its
# NAT64, or another network with the same addresses): TAYGA and the DNS64
# restart with PREFIX, and the old prefix's route goes, so that packets to it
# get ICMPv6 "no route" back from gw.
lab_nat64_prefix() {
	local new=$1 old synth
	[ -d "$LAB_DIR" ] || { lab__err "nat64-prefix: lab $LAB_NAME is down"; return 1; }
	synth=$(lab_synth "$new" "$LAB_SV4") || { lab__err "nat64-prefix: bad prefix '$new'"; return 2; }
	old=$(cat "$LAB_DIR/prefix")
	lab__kill tayga || return 1
	ip -n "$LAB_NS_GW" route del "$old" 2>/dev/null
	ip -n "$LAB_NS_GW" route del "$LAB_TAYGA6/128" 2>/dev/null
	ip -n "$LAB_NS_GW" route del "$LAB_POOL4" 2>/dev/null
	lab__wait 30 lab__no_link "$LAB_NS_GW" "$LAB_TUN" || { lab__err "$LAB_TUN stays"; return 1; }
	echo "$new" >"$LAB_DIR/prefix"
	lab__tayga "$new" || return 1
	lab_dns64_start dns64 || return 1
	lab__wait 50 lab__dns64_answers "$synth" ||
		{ lab__err "nat64-prefix: DNS64 does not answer server.test AAAA = $synth"; return 1; }
}

lab__no_link() { ! ip -n "$1" link show dev "$2" >/dev/null 2>&1; }

# lab_client_resolver ADDR: the client's resolv.conf names ADDR only (programs
# started from now on see it). ADDR in 2001:db8:1::/64 other than the client's
# own is added to gw, whose DNS64 then answers there as well.
lab_client_resolver() {
	local addr=$1
	[ -d "$LAB_DIR" ] || { lab__err "resolver: lab $LAB_NAME is down"; return 1; }
	if [ "$addr" != "$LAB_GW6" ] && ! grep -qxF "$addr" "$LAB_DIR/dns-aliases" 2>/dev/null; then
		ip -n "$LAB_NS_GW" addr add "$addr/64" dev to-cl nodad || return 1
		echo "$addr" >>"$LAB_DIR/dns-aliases"
		lab_dns64_start dns64 || return 1
	fi
	echo "nameserver $addr" >"/etc/netns/$LAB_NS_CL/resolv.conf"
}

# lab_dns64_stop: stop the gw's resolver; then $LAB_GW6 port 53 answers with ICMPv6
# port unreachable. Its log is kept as unbound-gw.log.N.
lab_dns64_stop() {
	local n=0
	[ -d "$LAB_DIR" ] || { lab__err "dns64 stop: lab $LAB_NAME is down"; return 1; }
	lab__kill unbound-gw || return 1
	if [ -f "$LAB_DIR/unbound-gw.log" ]; then
		while [ -e "$LAB_DIR/unbound-gw.log.$n" ]; do n=$((n + 1)); done
		mv "$LAB_DIR/unbound-gw.log" "$LAB_DIR/unbound-gw.log.$n"
	fi
	rm -f "$LAB_DIR/dns-gw-kind"
	lab__wait 30 lab__not_listening "$LAB_NS_GW" udp 53 ||
		{ lab__err "dns64 stop: something still listens on $LAB_NS_GW udp 53"; return 1; }
}

# lab_dns64_start [dns64|plain|silent]: (re)start the gw's resolver.
lab_dns64_start() {
	local kind=${1:-dns64}
	[ -d "$LAB_DIR" ] || { lab__err "dns64 start: lab $LAB_NAME is down"; return 1; }
	case "$kind" in
	dns64|plain|silent) ;;
	*) lab__err "dns64 start: unknown kind '$kind' (dns64, plain, silent)"; return 2 ;;
	esac
	lab_dns64_stop || return 1
	if [ "$kind" = silent ]; then
		lab__dns_silent
		return
	fi
	lab__unbound_cmd && lab__dns_gw "$(cat "$LAB_DIR/prefix")" "$kind" || return 1
	# Ready when it answers the client (a plain resolver too: server.test A).
	lab__wait 50 lab__answers server.test A "$LAB_SV4" && return 0
	lab__err "dns64 start: the $kind resolver does not answer server.test A"
	lab__showlog "$LAB_DIR/unbound-gw.log"
	return 1
}

# lab_wkn_ttl TTL [NEG_TTL]: this lab serves ipv4only.arpa with these TTLs until
# it goes down (restarts sv's Unbound, then the gw's resolver, so that no cache
# holds the old answer). The next lab_up uses LAB_WKN_TTL and LAB_WKN_NEG_TTL again.
lab_wkn_ttl() {
	local LAB_WKN_TTL=$1 LAB_WKN_NEG_TTL=${2:-$LAB_WKN_NEG_TTL}
	[ -d "$LAB_DIR" ] || { lab__err "wkn-ttl: lab $LAB_NAME is down"; return 1; }
	lab__kill unbound-sv || return 1
	lab__wait 30 lab__not_listening "$LAB_NS_SV" udp 53 || return 1
	lab__unbound_cmd && lab__dns_sv || return 1
	lab_dns64_start "$(cat "$LAB_DIR/dns-gw-kind" 2>/dev/null || echo dns64)"
}

lab__answers() { # name type expected
	[ "$(ip netns exec "$LAB_NS_CL" dig +time=1 +tries=1 +short @"$LAB_GW6" "$1" "$2")" = "$3" ]
}

# lab_dns64_queries [NAME]: how many queries for NAME (default ipv4only.arpa, any
# type) the running gw resolver has logged (log-queries). Unbound logs a query
# before it answers it, so a count taken after the client got its answer is complete.
lab_dns64_queries() {
	local name=${1:-ipv4only.arpa}
	[ -f "$LAB_DIR/unbound-gw.log" ] || { echo 0; return 0; }
	grep -ciF " $name. " "$LAB_DIR/unbound-gw.log"
	return 0
}

# lab_client_accept_ra: let the client's kernel process Router Advertisements on
# eth0 (only then does it pass their PREF64 options to RTNLGRP_ND_USEROPT).
lab_client_accept_ra() {
	lab__sysctl "$LAB_NS_CL" net.ipv6.conf.eth0.accept_ra=2
}

# lab_ra_send PREFIX [LIFETIME [COUNT [INTERVAL [EXTRA...]]]]: COUNT (default 1)
# Router Advertisements carrying a PREF64 option for PREFIX, from gw's link-local
# address on to-cl to ff02::1, INTERVAL seconds apart; router lifetime 0, so the
# client's routes stay as they are. EXTRA: pref64.py send options (--plc, --length).
lab_ra_send() {
	local rc
	lab_ra_start "$1" "${2:-1800}" "${3:-1}" "${4:-0.5}" "${@:5}"
	wait "$LAB_RA_PID"
	rc=$?
	LAB_RA_PID=
	return $rc
}

# lab_ra_start PREFIX LIFETIME COUNT INTERVAL [EXTRA...]: lab_ra_send in the
# background; LAB_RA_PID is the sender (timeout(1), which passes a TERM on).
# lab_ra_stop ends it (or waits for it to end by itself), bounded.
lab_ra_start() {
	local prefix=$1 life=$2 count=$3 interval=$4
	shift 4
	ip netns exec "$LAB_NS_GW" timeout -k 1 120 "$LAB_PYTHON" "$lab__here/pref64.py" send \
		--ifname to-cl --prefix "$prefix" --lifetime "$life" --count "$count" \
		--interval "$interval" "$@" &
	LAB_RA_PID=$!
}
lab_ra_stop() {
	local i
	[ -n "${LAB_RA_PID:-}" ] || return 0
	kill -TERM "$LAB_RA_PID" 2>/dev/null
	for ((i = 0; i < 30; i++)); do
		lab__alive "$LAB_RA_PID" || break
		sleep 0.1
	done
	kill -KILL "$LAB_RA_PID" 2>/dev/null
	wait "$LAB_RA_PID" 2>/dev/null
	LAB_RA_PID=
	return 0
}

# lab_nduseropt SECONDS [MIN]: in the client, print every RTM_NEWNDUSEROPT for up
# to SECONDS, or until MIN (default 1) PREF64 options were seen; true if they were.
lab_nduseropt() {
	ip netns exec "$LAB_NS_CL" timeout -k 1 $((${1%.*} + 5)) "$LAB_PYTHON" \
		"$lab__here/pref64.py" listen --seconds "$1" --min "${2:-1}"
}

lab__servers() {
	local www=$LAB_DIR/www
	mkdir -p "$www"
	printf '<html><body>%s</body></html>\n' "$LAB_MARKER" >"$www/index.html"

	lab__start http "$LAB_NS_SV" "$LAB_PYTHON" -m http.server --bind "$LAB_SV4" \
		--directory "$www" 8080 || return 1
	lab__start tcp-echo "$LAB_NS_SV" socat TCP4-LISTEN:7,bind="$LAB_SV4",fork,reuseaddr PIPE \
		|| return 1
	# One child per datagram; -T reaps it after it has answered.
	lab__start udp-echo "$LAB_NS_SV" socat -T 3 UDP4-RECVFROM:7,bind="$LAB_SV4",fork PIPE \
		|| return 1
	lab__start whoami "$LAB_NS_SV" "$LAB_PYTHON" "$lab__here/whoami.py" "$LAB_SV4" 9000 || return 1
	local www6=$LAB_DIR/www6
	mkdir -p "$www6"
	printf '<html><body>%s</body></html>\n' "$LAB_MARKER6" >"$www6/index.html"
	lab__start http6 "$LAB_NS_GW" "$LAB_PYTHON" -m http.server --bind "$LAB_GW6" \
		--directory "$www6" 8080 || return 1
	lab__start whoami6 "$LAB_NS_GW" "$LAB_PYTHON" "$lab__here/whoami.py" "$LAB_GW6" 9000 \
		|| return 1

	lab__ready http lab__listening "$LAB_NS_SV" tcp 8080 || return 1
	lab__ready tcp-echo lab__listening "$LAB_NS_SV" tcp 7 || return 1
	lab__ready udp-echo lab__listening "$LAB_NS_SV" udp 7 || return 1
	lab__ready whoami lab__listening "$LAB_NS_SV" tcp 9000 || return 1
	lab__ready whoami lab__listening "$LAB_NS_SV" udp 9000 || return 1
	lab__ready http6 lab__listening "$LAB_NS_GW" tcp 8080 || return 1
	lab__ready whoami6 lab__listening "$LAB_NS_GW" udp 9000 || return 1
}

lab__dns64_answers() { # expected-AAAA
	[ "$(ip netns exec "$LAB_NS_CL" dig +time=1 +tries=1 +short @"$LAB_GW6" server.test AAAA)" = "$1" ]
}

lab__check_tools() {
	local t missing=
	for t in ip ss sysctl tayga unbound socat dig timeout "$LAB_PYTHON"; do
		command -v "$t" >/dev/null 2>&1 || missing="$missing $t"
	done
	[ -z "$missing" ] && return 0
	lab__err "missing tools:$missing (Debian: iproute2 procps tayga unbound socat dnsutils python3)"
	return 1
}

# lab_up PREFIX: build the lab from scratch (runs lab_down first).
lab_up() {
	local prefix=$1 synth
	[ -n "$prefix" ] || { lab__err "up: PREFIX missing (e.g. 2001:db8:64::/96)"; return 2; }
	lab__check_tools || return 1
	synth=$(lab_synth "$prefix" "$LAB_SV4") || { lab__err "up: bad prefix '$prefix'"; return 2; }
	lab_down
	mkdir -p "$LAB_DIR" || return 1
	echo "$prefix" >"$LAB_DIR/prefix"
	echo "${LAB_OWNER:-$$}" >"$LAB_DIR/owner"
	: >"$LAB_DIR/pids"

	if ! lab__topology; then lab__err "up: network setup failed"; lab_down; return 1; fi
	# Remember (for all labs) that /etc/netns is ours, so the last lab down removes it.
	[ -d /etc/netns ] || { mkdir -p /etc/netns && touch "$LAB_STATE_DIR/made-etc-netns"; }
	mkdir -p "/etc/netns/$LAB_NS_CL"
	echo "nameserver $LAB_GW6" >"/etc/netns/$LAB_NS_CL/resolv.conf"

	if ! lab__tayga "$prefix" || ! lab__unbound_cmd || ! lab__dns_sv || ! lab__dns_gw "$prefix" || ! lab__servers; then
		lab__err "up: failed, tearing down"
		lab_down
		return 1
	fi
	# End-to-end DNS64 readiness: the client gets the synthesised AAAA.
	if ! lab__wait 50 lab__dns64_answers "$synth"; then
		lab__err "up: DNS64 does not answer server.test AAAA = $synth"
		ip netns exec "$LAB_NS_CL" dig +time=1 +tries=1 @"$LAB_GW6" server.test AAAA >&2
		lab__showlog "$LAB_DIR/unbound-gw.log"
		lab__showlog "$LAB_DIR/unbound-sv.log"
		lab_down
		return 1
	fi
	return 0
}

lab__ns_exists() { ip netns list 2>/dev/null | grep -qE "^$1( |\$)"; }

# lab__alive PID...: true if one of them still runs. A zombie counts as gone: the
# PID 1 of some containers never reaps the orphaned daemons.
lab__alive() {
	local p st
	for p in "$@"; do
		st=$(cat "/proc/$p/stat" 2>/dev/null) || continue
		st=${st##*) }
		[ "${st%% *}" != Z ] && return 0
	done
	return 1
}

# lab_down: kill what the lab started (recorded PIDs plus anything still in its
# namespaces), delete the namespaces (and so the veths and the tun) and files.
lab_down() {
	local pids='' ns p i
	if [ -f "$LAB_DIR/pids" ]; then
		while read -r p start _; do
			[ "$(lab__starttime "$p")" = "$start" ] && pids="$pids $p"
		done <"$LAB_DIR/pids"
	fi
	for ns in "$LAB_NS_CL" "$LAB_NS_GW" "$LAB_NS_SV"; do
		lab__ns_exists "$ns" && pids="$pids $(ip netns pids "$ns" 2>/dev/null | tr '\n' ' ')"
	done
	# shellcheck disable=SC2086
	if [ -n "${pids// /}" ]; then
		for p in $pids; do kill -TERM "$p" 2>/dev/null; done
		for ((i = 0; i < 30; i++)); do
			lab__alive $pids || break
			sleep 0.1
		done
		for p in $pids; do kill -KILL "$p" 2>/dev/null; done
		for ((i = 0; i < 20; i++)); do
			lab__alive $pids || break
			sleep 0.1
		done
	fi
	for ns in "$LAB_NS_CL" "$LAB_NS_GW" "$LAB_NS_SV"; do
		lab__ns_exists "$ns" && ip netns del "$ns" 2>/dev/null
	done
	rm -f "/etc/netns/$LAB_NS_CL/resolv.conf" "/etc/netns/$LAB_NS_CL/hosts"
	rmdir "/etc/netns/$LAB_NS_CL" 2>/dev/null
	rm -rf "$LAB_DIR"
	# The last lab down removes what all labs share.
	if [ -z "$(find "$LAB_STATE_DIR" -mindepth 1 -maxdepth 1 -type d 2>/dev/null)" ]; then
		[ -f "$LAB_STATE_DIR/made-etc-netns" ] && rmdir /etc/netns 2>/dev/null
		rm -f "$LAB_STATE_DIR/made-etc-netns"
		rmdir "$LAB_STATE_DIR" 2>/dev/null
	fi
	return 0
}

# lab_reap_stale: tear down labs whose owner process (a run-lab.sh killed with
# SIGKILL, say) is gone. Labs made by "lab.sh up" have owner "cli" and stay.
lab_reap_stale() {
	local d name owner
	for d in "$LAB_STATE_DIR"/*/; do
		[ -f "$d/owner" ] || continue
		name=$(basename "$d")
		owner=$(cat "$d/owner")
		[[ "$owner" =~ ^[0-9]+$ ]] || continue
		lab__alive "$owner" && continue
		lab__err "removing stale lab $name (owner $owner is gone)"
		LAB_NAME=$name LAB_STATE_DIR=$LAB_STATE_DIR bash "$lab__here/lab.sh" down
	done
}

lab_status() {
	local ns
	if [ ! -d "$LAB_DIR" ]; then echo "lab $LAB_NAME: down"; return 1; fi
	echo "lab $LAB_NAME: prefix $(cat "$LAB_DIR/prefix" 2>/dev/null), state in $LAB_DIR"
	for ns in "$LAB_NS_CL" "$LAB_NS_GW" "$LAB_NS_SV"; do
		lab__ns_exists "$ns" && echo "  netns $ns" || echo "  netns $ns MISSING"
	done
	while read -r p _ name; do
		if lab__alive "$p"; then echo "  $name pid $p"
		else echo "  $name pid $p DEAD (log $LAB_DIR/$name.log)"; fi
	done <"$LAB_DIR/pids"
}

lab__main() {
	local cmd=${1:-}
	shift 2>/dev/null
	if [[ ! "$LAB_NAME" =~ ^[A-Za-z0-9._-]{1,40}$ ]]; then
		lab__err "bad LAB_NAME '$LAB_NAME'"
		return 2
	fi
	case "$cmd" in
	up)
		[ "$(id -u)" = 0 ] || { lab__err "up needs root"; return 1; }
		LAB_OWNER=cli lab_up "$@" || return $?
		echo "lab $LAB_NAME up, prefix $1:"
		echo "  client $LAB_NS_CL: $LAB_CL6/64 (IPv6 only), resolver $LAB_GW6 (DNS64)"
		echo "  gw     $LAB_NS_GW: TAYGA $LAB_TUN, pool $LAB_POOL4; Unbound DNS64 on $LAB_GW6"
		echo "  sv     $LAB_NS_SV: $LAB_SV4 (IPv4 only): http :8080, echo tcp+udp :7," \
			"whoami tcp+udp :9000, dns :53"
		echo "  $LAB_SV4 is $(lab_synth "$1" "$LAB_SV4") from the client"
		;;
	down) lab_down ;;
	exec) lab_exec "$@" ;;
	synth) lab_synth "$@" ;;
	status) lab_status ;;
	dns64)
		case "${1:-}" in
		stop) lab_dns64_stop ;;
		start) lab_dns64_start "${2:-dns64}" ;;
		queries) lab_dns64_queries "${2:-ipv4only.arpa}" ;;
		*) echo "usage: lab.sh dns64 stop | start [dns64|plain|silent] | queries [NAME]" >&2; return 2 ;;
		esac
		;;
	ra)
		[ $# -ge 1 ] || { echo "usage: lab.sh ra PREFIX [LIFETIME [COUNT [INTERVAL]]]" >&2; return 2; }
		lab_client_accept_ra && lab_ra_send "$@"
		;;
	nduseropt) lab_nduseropt "${1:-10}" "${2:-1}" ;;
	wkn-ttl)
		[ $# -ge 1 ] || { echo "usage: lab.sh wkn-ttl TTL [NEG_TTL]" >&2; return 2; }
		lab_wkn_ttl "$@"
		;;
	nat64-prefix)
		[ $# -eq 1 ] || { echo "usage: lab.sh nat64-prefix PREFIX" >&2; return 2; }
		lab_nat64_prefix "$1"
		;;
	resolver)
		[ $# -eq 1 ] || { echo "usage: lab.sh resolver ADDR" >&2; return 2; }
		lab_client_resolver "$1"
		;;
	*)
		echo "usage: lab.sh up PREFIX | down | status | exec client|gw|sv CMD... | synth PREFIX IPV4" >&2
		echo "       lab.sh dns64 stop|start [dns64|plain|silent]|queries [NAME] | wkn-ttl TTL [NEG]" >&2
		echo "       lab.sh ra PREFIX [LIFETIME [COUNT [INTERVAL]]] | nduseropt SECONDS" >&2
		echo "       lab.sh nat64-prefix PREFIX | resolver ADDR" >&2
		return 2
		;;
	esac
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	lab__main "$@"
	exit $?
fi
