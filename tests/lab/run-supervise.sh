#!/bin/bash
# run-supervise.sh - programs that libclat's preload cannot reach (Go, static
# binaries) under clatrun's seccomp supervisor, in the lab (lab.sh). The
# `make check` entry.
#
# The clients run in the IPv6-only client namespace and reach the IPv4-only
# server 203.0.113.10 (echo tcp+udp :7, http :8080, dns :53) through TAYGA.
# Cases (numbers as in the output):
#   method: --status PROGRAM says supervisor for busybox-static (no
#     PT_INTERP) and the Go clients (Go build information), library for curl;
#     --inbound warns that a supervised program's own sockets stay IPv4-only
#   busybox-static: wget gets the lab's page, nslookup asks 203.0.113.10;
#     with --supervise=never wget fails (the control: no translation without
#     the supervisor)
#   Go, built now with CGO_ENABLED=0 and with cgo: http GET, TCP echo
#     (local 192.0.0.4, remote 203.0.113.10), connected UDP, unconnected UDP
#     (sender 203.0.113.10), 32 goroutines in parallel, a fork+exec child,
#     a tcp4 listener on 127.0.0.1 dialled from the same program; with cgo,
#     an AAAA-only name over tcp4 (the library's mapper, the supervisor's
#     connect to the mapped host)
#   curl and python3 under --supervise=always (both layers)
#   sv_calls (a static C program, sv_calls.c), with early twins (TCP sockets
#     AF_INET6 from socket() on; bind/listen make them AF_INET again) and
#     with the swap at connect (CLAT_EARLY_SWITCH=0): bad pointers, lengths and
#     iovec counts get the kernel's errno; io_uring_setup ENOSYS; connect's
#     EISCONN/EINPROGRESS/EALREADY; non-blocking connect waited for with
#     epoll (registration moved to the twin, O_NONBLOCK/FD_CLOEXEC kept);
#     SIGALRM during a blocking connect to a blackholed address is EINTR;
#     loopback stays IPv4; a fresh socket's names and flags; an IPv4
#     listener (bind, listen, accept's IPv4 peer, options set before bind);
#     threads rewriting an address during connects
#   discovery: no prefix given, the lab's DNS64 gives it
#   several prefixes, the first dead (a resolver answering with both): busybox
#     wget's blocking connect gets through the second 250 ms later, with early
#     twins and with the swap at connect; with the dead one alone it fails
#   tree: exit status passed through; the supervisor serves a background
#     child after the main program exited
#   nested: a supervisor inside a supervised tree is refused (EBUSY), exit 2
#   capabilities: ping (cap_net_raw) as an unprivileged user reaches
#     203.0.113.10 (run through its loader, ICMP datagram socket); without
#     clatrun it fails; a setuid program keeps clatrun's warning
# Environment: CLATRUN, CLAT_LIB (tests/Makefile.am); CLAT_REQUIRE_ROOT_TESTS=1
# turns a skip into a failure; LAB_NAME (default clat-sv-PID); GOCACHE
# (default $TMPDIR/clat-gocache, kept between runs: the Go standard library
# builds once).
# Output: "ok N - ..." / "not ok N - ..." lines, then "supervise: P passed, F failed".

here=$(cd "$(dirname "$0")" && pwd)
export LAB_NAME=${LAB_NAME:-clat-sv-$$}
# shellcheck source=lab.sh
. "$here/lab.sh"
# shellcheck source=testlib.sh
. "$here/testlib.sh"
tl_init supervise

PREFIX=2001:db8:64::/96
SV=$LAB_SV4
HOLE=198.18.0.1 # blackholed on gw: a connect there never completes
BUSYBOX=/bin/busybox
MARKER=$LAB_MARKER

# on CMD...: run CMD (bounded) in the client namespace; output in $OUT, status RC.
on() {
	LAST_CMD=("$@")
	ip netns exec "$LAB_NS_CL" timeout -k 5 90 "$@" </dev/null >"$OUT" 2>&1
	RC=$?
}

# expect DESC PATTERN CMD...: CMD succeeds and its output matches PATTERN (grep -E).
expect() {
	local desc=$1 pattern=$2
	shift 2
	on "$@"
	if [ "$RC" = 0 ] && grep -Eq -- "$pattern" "$OUT"; then ok "$desc"
	else notok "$desc" "status $RC, output does not match /$pattern/" show; fi
}

# expect_fail DESC CMD...: CMD fails.
expect_fail() {
	local desc=$1
	shift
	on "$@"
	if [ "$RC" != 0 ]; then ok "$desc"; else notok "$desc" "status 0, wanted a failure" show; fi
}

build_go() { # NAME CGO
	local out=$WORK/$1
	(cd "$here/goclient" && GOCACHE=${GOCACHE:-${TMPDIR:-/tmp}/clat-gocache} \
		GOFLAGS=-mod=mod CGO_ENABLED=$2 go build -o "$out" .) >"$OUT" 2>&1
}

lab_up "$PREFIX" >"$WORK/lab-up.log" 2>&1 || { cat "$WORK/lab-up.log"; echo "supervise: lab did not come up"; exit 1; }
ip netns exec "$LAB_NS_GW" ip route add blackhole "$HOLE/32"

CR=("${SAN_ENV[@]}" "$CLATRUN" -p "$PREFIX")

# --- method --------------------------------------------------------------
if [ -x "$BUSYBOX" ] && ! grep -q 'ld-linux' <(LC_ALL=C od -c "$BUSYBOX" | head -40 | tr -d ' \n'); then
	expect "method: busybox-static gets the supervisor (no PT_INTERP)" \
		"method: .*busybox: supervisor and library \(.*statically linked" "${CR[@]}" --status "$BUSYBOX"
else
	skip "method: busybox-static" "no static $BUSYBOX (apt-get install busybox-static)"
fi
if have curl; then
	expect "method: curl keeps the library alone (dynamically linked)" \
		"method: .*curl: library \(.*dynamically linked" "${CR[@]}" --status curl
fi
expect_fail "method: --supervise=sometimes is refused" "$CLATRUN" --supervise=sometimes true
if [ -x "$BUSYBOX" ]; then
	expect "method: --inbound warns that a supervised program's own sockets stay IPv4-only" \
		"sockets .*busybox binds itself .*stay IPv4-only" "${CR[@]}" --inbound "$BUSYBOX" true
fi

# --- busybox-static ------------------------------------------------------
if [ -x "$BUSYBOX" ]; then
	expect "busybox wget through the supervisor" "$MARKER" \
		"${CR[@]}" "$BUSYBOX" wget -q -O- "http://$SV:8080/"
	expect_fail "busybox nslookup with --supervise=never fails (control)" \
		"${CR[@]}" --supervise=never "$BUSYBOX" nslookup server.test "$SV"
	expect "busybox nslookup asks 203.0.113.10 over UDP" "Address:? *$SV" \
		"${CR[@]}" "$BUSYBOX" nslookup server.test "$SV"
	expect "discovery: no prefix given, the lab's DNS64 gives it" "$MARKER" \
		"${SAN_ENV[@]}" "$CLATRUN" "$BUSYBOX" wget -q -O- "http://$SV:8080/"
	on "${CR[@]}" "$BUSYBOX" sh -c 'exit 7'
	if [ "$RC" = 7 ]; then ok "tree: the main program's exit status (7)"
	else notok "tree: the main program's exit status (7)" "status $RC" show; fi
	on "${CR[@]}" "$BUSYBOX" sh -c "(sleep 1; $BUSYBOX wget -q -O $WORK/late http://$SV:8080/) & exit 3"
	if [ "$RC" = 3 ] && grep -q "$MARKER" "$WORK/late" 2>/dev/null; then
		ok "tree: a child outliving the main program is still served"
	else notok "tree: a child outliving the main program is still served" "status $RC" show; fi
	# --mode=always: under the outer supervisor the inner clatrun's IPv4
	# route check (a UDP connect) is translated and so sees a route.
	on "${CR[@]}" "$BUSYBOX" sh -c "$CLATRUN --supervise=always --mode=always -p $PREFIX $BUSYBOX true; echo inner=\$?"
	if grep -q "inner=2" "$OUT" && grep -q "EBUSY" "$OUT"; then
		ok "nested: a second supervisor is refused (EBUSY, exit 2)"
	else notok "nested: a second supervisor is refused (EBUSY, exit 2)" "status $RC" show; fi
else
	skip "busybox-static" "no $BUSYBOX (apt-get install busybox-static)"
fi

# --- Go ------------------------------------------------------------------
if have go; then
	for cgo in 0 1; do
		name=goclient-cgo$cgo
		if ! build_go "$name" "$cgo"; then
			notok "go (CGO_ENABLED=$cgo): build" "go build failed" show
			continue
		fi
		g=$WORK/$name
		expect "go cgo=$cgo: http GET" "$MARKER" "${CR[@]}" "$g" http "http://$SV:8080/"
		expect "go cgo=$cgo: tcp echo, local 192.0.0.4, remote $SV" \
			"reply \"ping\\\\n\" local 192\.0\.0\.4:[0-9]+ remote $SV:7" "${CR[@]}" "$g" tcp "$SV:7"
		expect "go cgo=$cgo: connected udp echo" \
			"reply \"ping\\\\n\" local 192\.0\.0\.4:[0-9]+ remote $SV:7" "${CR[@]}" "$g" udp "$SV:7"
		expect "go cgo=$cgo: unconnected udp (WriteTo/ReadFrom)" "from $SV:7" \
			"${CR[@]}" "$g" udpfrom "$SV:7"
		expect "go cgo=$cgo: 32 goroutines connect in parallel" "parallel ok 32" \
			"${CR[@]}" "$g" parallel 32 "$SV:7"
		expect "go cgo=$cgo: fork+exec child" "child: reply \"ping" "${CR[@]}" "$g" fork "$SV:7"
		# tcp4 listener and client: bind/listen make the early twin IPv4
		# again; the client's connect to 127.0.0.1 is kept (::ffff:).
		expect "go cgo=$cgo: tcp4 listener on 127.0.0.1, both ends see IPv4" \
			"listener 127\.0\.0\.1:([0-9]+) client local 127\.0\.0\.1:([0-9]+) remote 127\.0\.0\.1:\1 server peer 127\.0\.0\.1:\2" \
			"${CR[@]}" "$g" serve4 127.0.0.1:0
	done
	# An AAAA-only name asked for over IPv4 through libc (cgo): the library
	# maps it to a pool address, the Go runtime's own connect reaches the
	# supervisor, which sends it to the mapped IPv6 host (mapper.c).
	if [ -x "$WORK/goclient-cgo1" ]; then
		expect "go cgo=1: AAAA-only v6only.test over tcp4 (mapped pool address)" "$LAB_MARKER6" \
			env GODEBUG=netdns=cgo "${CR[@]}" -v "$WORK/goclient-cgo1" get4 "http://v6only.test:8080/"
	fi
	expect_fail "go: with --supervise=never tcp fails (control)" \
		"${CR[@]}" --supervise=never "$WORK/goclient-cgo0" tcp "$SV:7"
else
	skip "go clients" "no go (apt-get install golang-go)"
fi

# --- both layers ---------------------------------------------------------
if have curl && ! san_cannot_run curl; then
	expect "curl under --supervise=always" "$MARKER" \
		"${CR[@]}" --supervise=always curl -s --max-time 20 "http://$SV:8080/"
else
	skip "curl under --supervise=always" "${SAN_WHY:-no curl}"
fi
if have python3; then
	expect "python3 under --supervise=always" "$MARKER" "${CR[@]}" --supervise=always \
		python3 -c "import urllib.request as u; print(u.urlopen('http://$SV:8080/', timeout=20).read().decode())"
fi

# --- file capabilities ----------------------------------------------------
# ping (cap_net_raw) for a user that ping_group_range lets use ICMP datagram
# sockets: clatrun runs it through its loader, without the capability, so
# the library is loaded. A setuid program keeps the warning.
PING=$(command -v ping)
if [ -n "$PING" ] && getcap "$PING" 2>/dev/null | grep -q cap_net_raw && have setpriv; then
	chmod 755 "$WORK"
	ip netns exec "$LAB_NS_CL" sysctl -q -w net.ipv4.ping_group_range="0 2147483647"
	AS_NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups env CLAT_CONFIG="$CLAT_CONFIG"
		   CLAT_CACHE_DIR="$WORK/nobody-cache")
	expect "capabilities: ping as a user, through the loader without cap_net_raw" \
		"1 received" "${AS_NOBODY[@]}" "${CR[@]}" "$PING" -c 1 -W 5 "$SV"
	expect_fail "capabilities: ping as a user without clatrun fails (control)" \
		"${AS_NOBODY[@]}" "$PING" -c 1 -W 2 "$SV"
	cp /bin/true "$WORK/suid-true" && chmod 4755 "$WORK/suid-true"
	expect "capabilities: a setuid program keeps the warning" "setuid/setgid; the dynamic loader ignores" \
		"${AS_NOBODY[@]}" "${CR[@]}" --supervise=never "$WORK/suid-true"
else
	skip "capabilities: ping" "no ping with cap_net_raw, or no setpriv"
fi

# --- several prefixes: staggered attempts ---------------------------------
# The DNS64 answers with a dead prefix first (forged_dns64.py; RFC 7050 s3:
# the answer's order is kept). SYNs to it vanish: a route to a neighbour
# whose link address nobody has, as in run-lab.sh. A blocking connect (busybox
# wget) races the prefixes (RFC 8305 s5): the second connects 250 ms later
# and ends up under the program's fd, with early twins and with the swap at
# connect. The control: with only the dead prefix wget never connects.
several_prefixes() {
	local dead=2001:db8:65::/96 early label
	forged() { # PREFIXES: the gw's resolver answers ipv4only.arpa with them
		lab_dns64_stop >/dev/null 2>&1
		lab__start unbound-gw "$LAB_NS_GW" "$LAB_PYTHON" "$here/forged_dns64.py" \
			"$LAB_GW6" "$1" 600 && lab__ready unbound-gw lab__listening "$LAB_NS_GW" udp 53
	}
	ip -n "$LAB_NS_CL" -6 neigh replace fe80::99 lladdr 02:00:00:00:00:99 dev eth0 nud permanent
	ip -n "$LAB_NS_CL" -6 route replace "$dead" via fe80::99 dev eth0
	if ! forged "$dead,$PREFIX"; then
		notok "several prefixes: a resolver answering with two prefixes" "did not start" show
	else
		for early in 1 0; do
			label=$([ "$early" = 1 ] && echo "early twins" || echo "swap at connect")
			rm -rf "$WORK/cache" # discovered afresh each time
			on env CLAT_EARLY_SWITCH=$early "${SAN_ENV[@]}" "$CLATRUN" -v \
				"$BUSYBOX" wget -q -O- "http://$SV:8080/"
			if [ "$RC" = 0 ] && grep -q "$MARKER" "$OUT" &&
				grep -Eq 'prefix 2 of 2 connected first, after (2[5-9][0-9]|[3-9][0-9]{2}|[0-9]{4,}) ms$' "$OUT"; then
				ok "several prefixes, the first dead ($label): busybox wget connects through the second after the 250 ms delay"
			else
				notok "several prefixes, the first dead ($label)" "status $RC, no page or no race in the log" show
			fi
		done
		rm -rf "$WORK/cache"
		if forged "$dead"; then
			expect_fail "several prefixes (control): with the dead prefix alone busybox wget does not connect" \
				timeout -k 1 4 "${SAN_ENV[@]}" "$CLATRUN" "$BUSYBOX" wget -q -O- "http://$SV:8080/"
		else
			notok "several prefixes (control): a resolver with the dead prefix" "did not start" show
		fi
	fi
	rm -rf "$WORK/cache"
	lab_dns64_stop >/dev/null 2>&1
	lab_dns64_start dns64 >/dev/null 2>&1 || notok "several prefixes: the lab's DNS64 back" "did not start"
	ip -n "$LAB_NS_CL" -6 route del "$dead" 2>/dev/null
}
if [ -x "$BUSYBOX" ]; then
	several_prefixes
else
	skip "several prefixes" "no static $BUSYBOX (apt-get install busybox-static)"
fi

# --- the calls one by one -----------------------------------------------
if ${CC:-cc} -static -O1 -pthread -o "$WORK/sv_calls" "$here/sv_calls.c" >"$OUT" 2>&1; then
	# Twice: TCP sockets made AF_INET6 at socket() (early twins, the
	# default), and swapped at connect (CLAT_EARLY_SWITCH=0). The -v log
	# shows which one ran.
	for early in 1 0; do
		label=$([ "$early" = 1 ] && echo "early twins" || echo "swap at connect")
		on env CLAT_EARLY_SWITCH=$early "${CR[@]}" -v "$WORK/sv_calls" "$SV" 7 "$HOLE" 192.0.0.4
		sed -n 's/^\(not \)\{0,1\}ok [0-9]* - /sv_calls ('"$label"'): &/p' "$OUT"
		twins=$(grep -c "AF_INET6 from socket() on (tcp, early twin)" "$OUT")
		again=$(grep -c "is AF_INET again" "$OUT")
		if [ "$early" = 1 ]; then
			[ "$twins" -gt 10 ] && [ "$again" -ge 3 ]
		else
			[ "$twins" = 0 ] && [ "$again" = 0 ]
		fi
		mode_seen=$?
		if [ "$RC" = 0 ] && [ "$mode_seen" = 0 ] && grep -q "sv_calls: [0-9]* checks, 0 failed" "$OUT"; then
			ok "sv_calls ($label): $(grep -c '^ok' "$OUT") checks as the kernel answers them ($twins early twins, $again back to IPv4)"
		else
			notok "sv_calls ($label)" "status $RC, $twins early twins, $again back to IPv4" show
		fi
	done
else
	notok "sv_calls: build (static)" "cc -static failed" show
fi

tl_summary
