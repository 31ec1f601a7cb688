#!/bin/bash
# run-inbound.sh - IPv4-only servers reachable from IPv6 clients (clatrun
# --inbound, CLAT_INBOUND), in the lab (lab.sh). The `make check` entry.
#
# The servers run in the IPv6-only client namespace (2001:db8:1::2); the IPv6
# clients are in gw (2001:db8:1::1, outside the NAT64 prefix, so the server
# sees a pool address of the address mapper); IPv4 clients use loopback.
#
# Cases (numbers as in the output):
#   1 python3 -m http.server --bind 0.0.0.0 under clatrun --inbound: reports
#     "Serving HTTP on 0.0.0.0"; curl -6 from gw gets 200 and the server logs
#     a pool address (the same one for a second request); curl to 127.0.0.1
#     still works and is logged as 127.0.0.1. Without --inbound, curl -6 from
#     gw is refused and loopback works.
#   2 socat UDP4-RECVFROM:7007,fork under --inbound: a UDP client in gw gets
#     the echo (the reply went to the pool address and reached the IPv6 peer),
#     the server saw a pool address; a loopback IPv4 client too. Without
#     --inbound the gw client gets nothing.
#   3 a python TCP server (bare LD_PRELOAD + CLAT_INBOUND=yes): accept reports
#     the pool address, getsockname of the connection the local IPv4
#     (192.0.0.4), getsockname of the listener 0.0.0.0; an IPv4 loopback
#     client is reported as 127.0.0.1 with local 127.0.0.1
#   4 bind to a specific IPv4 address (127.0.0.1) is left alone: ss shows
#     127.0.0.1:PORT, and gw cannot connect over IPv6
# Environment: CLATRUN, CLAT_LIB (tests/Makefile.am); CLAT_REQUIRE_ROOT_TESTS=1
# turns a skip into a failure; LAB_NAME (default clat-inbound-PID).
# Output: "ok N - ..." / "not ok N - ..." lines, then "inbound: P passed, F failed".

here=$(cd "$(dirname "$0")" && pwd)
export LAB_NAME=${LAB_NAME:-clat-inbound-$$}
# shellcheck source=lab.sh
. "$here/lab.sh"
# shellcheck source=testlib.sh
. "$here/testlib.sh"
tl_init inbound
if san_cannot_run python3; then
	echo "inbound: SKIP: $SAN_WHY (the servers are python3)"
	exit 77
fi

PREFIX=2001:db8:64::/96
PY=$LAB_PYTHON
CL6=$LAB_CL6
POOL_RE='10\.170\.(1[6-7][0-9])\.[0-9]+'
SERVER_PID=

tl_on_exit() { stop_server; }

# serve NAME CMD...: start CMD in the client namespace (log $WORK/NAME.log).
serve() {
	local name=$1
	shift
	ip netns exec "$LAB_NS_CL" timeout -k 2 60 "$@" </dev/null >"$WORK/$name.log" 2>&1 &
	SERVER_PID=$!
	SERVER_LOG=$WORK/$name.log
}

stop_server() {
	[ -n "$SERVER_PID" ] || return 0
	kill "$SERVER_PID" 2>/dev/null
	wait "$SERVER_PID" 2>/dev/null
	SERVER_PID=
}

# listening tcp|udp PORT: wait (bounded) until something listens on PORT.
listening() {
	local i
	for ((i = 0; i < 50; i++)); do
		lab__listening "$LAB_NS_CL" "$1" "$2" && return 0
		sleep 0.1
	done
	return 1
}

# on NS CMD...: run CMD (bounded) in namespace cl or gw; output in $OUT, status RC.
on() {
	local ns=$LAB_NS_CL
	[ "$1" = gw ] && ns=$LAB_NS_GW
	shift
	LAST_CMD=("$@")
	ip netns exec "$ns" timeout -k 2 10 "$@" </dev/null >"$OUT" 2>&1
	RC=$?
}

# check DESC CMD...: CMD (in this shell) decides.
check() {
	local desc=$1
	shift
	LAST_CMD=("$@")
	if "$@"; then ok "$desc"; else notok "$desc" "check failed" show; fi
}

log_has() { grep -Eq -- "$1" "$SERVER_LOG"; }
pool_lines() { grep -Eo "^$POOL_RE " "$SERVER_LOG" | sort -u | wc -l; }

lab_up "$PREFIX" >"$WORK/lab-up.log" 2>&1 || { cat "$WORK/lab-up.log"; notok "lab up" "lab_up failed"; tl_summary; exit 1; }

# ---- 1: http.server --------------------------------------------------------------------
serve http "${SAN_ENV[@]}" "$CLATRUN" --prefix "$PREFIX" --inbound -- "$PY" -u -m http.server --bind 0.0.0.0 8000
if listening tcp 8000; then
	on gw curl -6 -sS -m 5 -o /dev/null -w '%{http_code}\n' "http://[$CL6]:8000/"
	check "1 --inbound http.server: curl -6 from gw gets 200" grep -qx 200 "$OUT"
	on gw curl -6 -sS -m 5 -o /dev/null -w '%{http_code}\n' "http://[$CL6]:8000/again"
	on cl curl -sS -m 5 -o /dev/null -w '%{http_code}\n' http://127.0.0.1:8000/
	check "1 ... curl to 127.0.0.1:8000 in the client still gets 200" grep -qx 200 "$OUT"
	sleep 0.3
	OUT=$SERVER_LOG
	check "1 ... the server reports 'Serving HTTP on 0.0.0.0 port 8000'" log_has '^Serving HTTP on 0\.0\.0\.0 port 8000'
	check "1 ... its log shows the IPv6 client as a pool address, both requests" log_has "^$POOL_RE .*\"GET /again "
	check "1 ... the same pool address for both requests (a stable mapping)" test "$(pool_lines)" = 1
	check "1 ... and the IPv4 client as 127.0.0.1" log_has '^127\.0\.0\.1 .*"GET / '
	OUT=$WORK/out
else
	notok "1 --inbound http.server" "not listening on 8000" 
fi
stop_server
serve http-plain "${SAN_ENV[@]}" "$CLATRUN" --prefix "$PREFIX" -- "$PY" -u -m http.server --bind 0.0.0.0 8001
if listening tcp 8001; then
	on gw curl -6 -sS -m 5 -o /dev/null "http://[$CL6]:8001/"
	check "1 without --inbound: curl -6 from gw is refused" grep -q "Couldn't connect\|refused" "$OUT"
	on cl curl -sS -m 5 -o /dev/null -w '%{http_code}\n' http://127.0.0.1:8001/
	check "1 without --inbound: loopback gets 200" grep -qx 200 "$OUT"
else
	notok "1 http.server without --inbound" "not listening on 8001"
fi
stop_server

# ---- 2: UDP echo with socat -------------------------------------------------------------
udp_exchange() { # NS CLIENT-ADDRESS-SPEC
	on "$1" sh -c "echo hello-udp | socat -T 3 - $2"
}
serve udp "${SAN_ENV[@]}" "$CLATRUN" --prefix "$PREFIX" --inbound -- \
	socat -T 3 UDP4-RECVFROM:7007,fork SYSTEM:'echo "from $SOCAT_PEERADDR"; cat >/dev/null'
if listening udp 7007; then
	udp_exchange gw "UDP6:[$CL6]:7007"
	check "2 --inbound socat UDP4-RECVFROM: a UDP client in gw gets the answer, which names a pool address" \
		grep -Eqx "from $POOL_RE" "$OUT"
	udp_exchange cl UDP4:127.0.0.1:7007
	check "2 ... a loopback IPv4 client gets 'from 127.0.0.1'" grep -qx 'from 127.0.0.1' "$OUT"
else
	notok "2 --inbound socat UDP" "not listening on udp 7007"
fi
stop_server
serve udp-plain "${SAN_ENV[@]}" "$CLATRUN" --prefix "$PREFIX" -- \
	socat -T 3 UDP4-RECVFROM:7008,fork SYSTEM:'echo "from $SOCAT_PEERADDR"; cat >/dev/null'
if listening udp 7008; then
	udp_exchange gw "UDP6:[$CL6]:7008"
	check "2 without --inbound: the gw client gets no answer" sh -c "! grep -q from '$OUT'"
else
	notok "2 socat UDP without --inbound" "not listening on udp 7008"
fi
stop_server

# ---- 3: the names a server sees -----------------------------------------------------------
cat >"$WORK/names_server.py" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 8002))
s.listen(5)
print("listener", s.getsockname(), flush=True)
for _ in range(2):
    c, peer = s.accept()
    print("peer", peer[0], "local", c.getsockname()[0], "getpeername", c.getpeername()[0], flush=True)
    c.sendall(f"you are {peer[0]}\n".encode())
    c.close()
EOF
serve names env LD_PRELOAD="$CLAT_PRELOAD" CLAT_PREFIX="$PREFIX" CLAT_INBOUND=yes "$PY" "$WORK/names_server.py"
if listening tcp 8002; then
	on gw sh -c "socat -T 3 - TCP6:[$CL6]:8002 </dev/null"
	check "3 LD_PRELOAD + CLAT_INBOUND=yes: an IPv6 client from gw is told a pool address" \
		grep -Eqx "you are $POOL_RE" "$OUT"
	on cl sh -c "socat -T 3 - TCP4:127.0.0.1:8002 </dev/null"
	check "3 ... a loopback client is told 127.0.0.1" grep -qx 'you are 127.0.0.1' "$OUT"
	sleep 0.3
	OUT=$SERVER_LOG
	check "3 ... the listener's getsockname is ('0.0.0.0', 8002)" log_has "^listener \('0\.0\.0\.0', 8002\)$"
	check "3 ... IPv6 client: accept and getpeername give the pool address, getsockname 192.0.0.4" \
		log_has "^peer $POOL_RE local 192\.0\.0\.4 getpeername $POOL_RE$"
	check "3 ... IPv4 client: 127.0.0.1 both ways" log_has '^peer 127\.0\.0\.1 local 127\.0\.0\.1 getpeername 127\.0\.0\.1$'
	OUT=$WORK/out
else
	notok "3 LD_PRELOAD + CLAT_INBOUND=yes server" "not listening on 8002"
fi
stop_server

# ---- 4: a specific IPv4 bind is the program's choice ----------------------------------------
serve bound "${SAN_ENV[@]}" "$CLATRUN" --prefix "$PREFIX" --inbound -- "$PY" -u -m http.server --bind 127.0.0.1 8003
if listening tcp 8003; then
	on cl ss -Hltn "sport = :8003"
	check "4 --inbound, bind 127.0.0.1: still a 127.0.0.1:8003 IPv4 listener" grep -q '127\.0\.0\.1:8003' "$OUT"
	on gw curl -6 -sS -m 5 -o /dev/null "http://[$CL6]:8003/"
	check "4 ... not reachable over IPv6" grep -q "Couldn't connect\|refused" "$OUT"
else
	notok "4 --inbound, bind 127.0.0.1" "not listening on 8003"
fi
stop_server

lab_down
tl_summary
