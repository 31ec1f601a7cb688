#!/bin/bash
# run-names.sh - names for IPv4-only programs through the address mapper (RFC
# 6535 bump-in-the-host; docs/requirements.md D.25-D.33), in the lab (lab.sh). The
# `make check` entry.
#
# Lab names (authoritative on sv, through gw's DNS64):
#   v6only.test   AAAA 2001:db8:1::1 only: gw serves http :8080 ($LAB_MARKER6)
#                 and whoami tcp+udp :9000 there, over IPv6 only
#   mixed.test    A 127.0.0.1 (excluded) + the same AAAA          (D.28)
#   synth.test    AAAA = the prefix + 203.0.113.10, no A          (D.27)
#   server.test   A 203.0.113.10 (DNS64 synthesises its AAAA)     (D.25)
#
# Cases (numbers as in the output); each positive one is also run without
# clatrun, where it must fail:
#   1 curl -4 http://v6only.test:8080/ gets the page; without clatrun curl
#     cannot resolve the name; curl without -4 (AF_UNSPEC) is left alone
#   2 python: gethostbyname, gethostbyname_ex, getaddrinfo(AF_INET) give one
#     pool address (10.170.160.0/20); a TCP connect reaches whoami over IPv6
#     (it sees the client's own 2001:db8:1::2: no NAT64 on the way) and
#     getpeername is the pool address; a UDP exchange comes back from the pool
#     address; gethostbyaddr / getnameinfo of it give v6only.test; perl's
#     gethostbyname() (the non-reentrant call) gives the same address
#   3 getent ahostsv4 in one process, then curl and python connecting to the
#     printed address in others (the table is shared per user, through exec)
#   4 an A-record name keeps its A record (and works through the NAT64);
#     AF_UNSPEC and AF_INET6 lookups are untouched; mixed.test maps like
#     v6only.test; synth.test answers 203.0.113.10 itself, no pool address
#   5 a pool address with no mapping is not translated (ENETUNREACH as
#     without the library); another user does not see root's mappings;
#     --map-pool=off turns the mapper off; --map-pool=100.64.7.0/24 is used
#   6 4 processes x 4 threads resolve 100 IPv6-only names (client /etc/hosts)
#     at once: every name gets one pool address, the same in all processes
# Environment: CLATRUN, CLAT_LIB (tests/Makefile.am); CLAT_REQUIRE_ROOT_TESTS=1
# turns a skip into a failure; LAB_NAME (default clat-names-PID).
# Output: "ok N - ..." / "not ok N - ..." lines, then "names: P passed, F failed".

here=$(cd "$(dirname "$0")" && pwd)
export LAB_NAME=${LAB_NAME:-clat-names-$$}
# shellcheck source=lab.sh
. "$here/lab.sh"
# shellcheck source=testlib.sh
. "$here/testlib.sh"
tl_init names
if san_cannot_run python3; then
	echo "names: SKIP: $SAN_WHY (most cases use python3)"
	exit 77
fi

PREFIX=2001:db8:64::/96
T=15
PY=$LAB_PYTHON
POOL_RE='10\.170\.(1[6-7][0-9])\.[0-9]+'

# run plain|clatrun [ENV=VALUE...] CMD...: CMD in the client namespace, bounded
# by $T; output in $OUT, status in RC. In a sanitizer build, a program that
# cannot run under its runtime (testlib.sh: san_cannot_run) is not started
# and the next expect reports a skip.
run() {
	local mode=$1 prog
	shift
	prog=$1
	[ "$prog" = env ] && prog=$(printf '%s\n' "$@" | grep -v '=' | sed -n 2p)
	SKIP_WHY=
	if [ "$mode" = clatrun ] && san_cannot_run "$prog"; then
		SKIP_WHY=$SAN_WHY
		return
	fi
	case "$mode" in
	plain) LAST_CMD=("$@") ;;
	clatrun) LAST_CMD=("${SAN_ENV[@]}" "$CLATRUN" --prefix "$PREFIX" -- "$@") ;;
	esac
	ip netns exec "$LAB_NS_CL" timeout -k 2 "$T" "${LAST_CMD[@]}" </dev/null >"$OUT" 2>&1
	RC=$?
}

# expect DESC RC ERE...: the last run exited RC ("!0": any failure) and its
# output matches every ERE ("!ERE": must not match).
expect() {
	local desc=$1 want=$2 re miss=''
	shift 2
	if [ -n "${SKIP_WHY:-}" ]; then skip "$desc" "$SKIP_WHY"; return 0; fi
	if [ "$RC" -eq 124 ] || [ "$RC" -eq 137 ]; then notok "$desc" "timed out" show; return 1; fi
	if { [ "$want" = '!0' ] && [ "$RC" -eq 0 ]; } || { [ "$want" != '!0' ] && [ "$RC" -ne "$want" ]; }; then
		notok "$desc" "exit status $RC, want $want" show
		return 1
	fi
	for re in "$@"; do
		case "$re" in
		!*) grep -Eq -- "${re#!}" "$OUT" && miss="$miss has /${re#!}/;" ;;
		*) grep -Eq -- "$re" "$OUT" || miss="$miss lacks /$re/;" ;;
		esac
	done
	if [ -z "$miss" ]; then ok "$desc"; return 0; fi
	notok "$desc" "output$miss" show
	return 1
}

lab_up "$PREFIX" >"$WORK/lab-up.log" 2>&1 || { cat "$WORK/lab-up.log"; notok "lab up" "lab_up failed"; tl_summary; exit 1; }

# ---- 1: curl -4 ------------------------------------------------------------------------
run plain curl -4 -sS -m 5 http://v6only.test:8080/
expect "1 curl -4 http://v6only.test:8080/ fails without clatrun" '!0' 'resolve host'
run clatrun curl -4 -sS -m 5 http://v6only.test:8080/
expect "1 curl -4 http://v6only.test:8080/ under clatrun gets the IPv6 host's page" 0 "$LAB_MARKER6"
run clatrun env CLAT_DEBUG=1 curl -sS -m 5 http://v6only.test:8080/
expect "1 curl (AF_UNSPEC) under clatrun: works over plain IPv6, the mapper not asked" 0 \
	"$LAB_MARKER6" '!address mapper'

# ---- 2: python, the IPv4 socket API ------------------------------------------------------
cat >"$WORK/names.py" <<'EOF'
import socket, sys
name = sys.argv[1]
a = socket.gethostbyname(name)
print("gethostbyname", a)
hn, aliases, addrs = socket.gethostbyname_ex(name)
print("gethostbyname_ex", hn, addrs)
gai = {x[4][0] for x in socket.getaddrinfo(name, 9000, socket.AF_INET, socket.SOCK_STREAM)}
print("getaddrinfo", sorted(gai), "same" if gai == {a} and addrs == [a] else "DIFFERENT")
s = socket.create_connection((a, 9000), timeout=5)
print("tcp", s.recv(200).decode().strip(), "peer", s.getpeername()[0])
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.settimeout(5)
u.sendto(b"x", (a, 9000))
data, src = u.recvfrom(200)
print("udp", data.decode().strip(), "from", src[0])
print("gethostbyaddr", socket.gethostbyaddr(a)[0])
print("getnameinfo", socket.getnameinfo((a, 9000), socket.NI_NAMEREQD)[0])
EOF
run plain "$PY" "$WORK/names.py" v6only.test
expect "2 python gethostbyname(v6only.test) fails without clatrun" '!0' 'gaierror|herror'
run clatrun "$PY" "$WORK/names.py" v6only.test
expect "2 python under clatrun: one pool address from gethostbyname, _ex and getaddrinfo" 0 \
	"^gethostbyname $POOL_RE$" "^gethostbyname_ex v6only.test \\['$POOL_RE'\\]$" 'same$'
expect "2 ... TCP to it reaches the IPv6 host directly (whoami sees 2001:db8:1::2), peer is the pool address" 0 \
	"^tcp whoami 2001:db8:1::2 [0-9]+ peer $POOL_RE$"
expect "2 ... UDP exchange with it, the answer from the pool address" 0 \
	"^udp whoami 2001:db8:1::2 [0-9]+ from $POOL_RE$"
expect "2 ... gethostbyaddr and getnameinfo(NI_NAMEREQD) of it give v6only.test" 0 \
	'^gethostbyaddr v6only.test$' '^getnameinfo v6only.test$'
POOL_ADDR=$(sed -n 's/^gethostbyname //p' "$OUT")
if have perl; then
	run clatrun perl -MSocket -e 'my $p = gethostbyname("v6only.test") or die "no address\n"; print inet_ntoa($p), "\n"'
	expect "2 perl gethostbyname() (non-reentrant) under clatrun gives $POOL_ADDR" 0 "^${POOL_ADDR//./\\.}$"
else
	skip "2 perl gethostbyname()" "perl not installed"
fi

# ---- 3: resolve in one process, connect from another -------------------------------------
run clatrun getent ahostsv4 v6only.test
expect "3 getent ahostsv4 v6only.test under clatrun prints the pool address" 0 \
	"^${POOL_ADDR//./\\.} +STREAM v6only.test"
run plain getent ahostsv4 v6only.test
expect "3 getent ahostsv4 v6only.test fails without clatrun" '!0'
run clatrun curl -sS -m 5 "http://$POOL_ADDR:8080/"
expect "3 another process: curl http://$POOL_ADDR:8080/ gets the IPv6 host's page" 0 "$LAB_MARKER6"
run clatrun "$PY" -c "import socket; s = socket.create_connection(('$POOL_ADDR', 9000), timeout=5); print(s.recv(100).decode())"
expect "3 another process: python connects to $POOL_ADDR:9000" 0 '^whoami 2001:db8:1::2 '
run clatrun getent hosts "$POOL_ADDR"
expect "3 another process: getent hosts $POOL_ADDR (gethostbyaddr) gives v6only.test" 0 \
	"^${POOL_ADDR//./\\.} +v6only.test$"
run plain curl -sS -m 5 "http://$POOL_ADDR:8080/"
expect "3 curl http://$POOL_ADDR:8080/ without clatrun fails" '!0' '[Nn]etwork (is )?unreachable|Couldn.t connect'

# ---- 4: what must not change ---------------------------------------------------------------
run clatrun getent ahostsv4 server.test
expect "4 server.test (A record) keeps 203.0.113.10 under clatrun" 0 '^203\.0\.113\.10 +STREAM server.test' \
	"!$POOL_RE"
run clatrun curl -4 -sS -m 5 http://server.test:8080/
expect "4 curl -4 http://server.test:8080/ under clatrun: through the NAT64" 0 "$LAB_MARKER"
run clatrun getent ahosts v6only.test
expect "4 getent ahosts (AF_UNSPEC) v6only.test: only 2001:db8:1::1" 0 '^2001:db8:1::1 ' "!$POOL_RE"
run clatrun getent ahostsv6 v6only.test
expect "4 getent ahostsv6 v6only.test: 2001:db8:1::1" 0 '^2001:db8:1::1 ' "!$POOL_RE"
run clatrun getent ahostsv4 mixed.test
expect "4 mixed.test (A 127.0.0.1 + AAAA): the pool address of its AAAA, $POOL_ADDR" 0 \
	"^${POOL_ADDR//./\\.} +STREAM mixed.test" '!127\.0\.0\.1'
run plain "$PY" -c 'import socket; print(socket.gethostbyname("mixed.test"))'
expect "4 mixed.test without clatrun: its A record, 127.0.0.1" 0 '^127\.0\.0\.1$'
run clatrun getent ahostsv4 synth.test
expect "4 synth.test (AAAA inside the prefix): 203.0.113.10, no pool address" 0 \
	'^203\.0\.113\.10 +STREAM synth.test' "!$POOL_RE"
run clatrun "$PY" -c 'import socket; print(socket.gethostbyname("localhost"), socket.getaddrinfo("localhost", 1, socket.AF_INET)[0][4][0])'
expect "4 localhost untouched under clatrun" 0 '^127\.0\.0\.1 127\.0\.0\.1$' "!$POOL_RE"

# ---- 5: limits -----------------------------------------------------------------------------
run clatrun "$PY" -c "
import socket
s = socket.socket()
s.settimeout(5)
try:
    s.connect(('10.170.175.200', 80)); print('connected')
except OSError as e:
    print('errno', e.errno)"
expect "5 a pool address with no mapping is not translated (ENETUNREACH)" 0 '^errno 101$'
if san_cannot_run curl; then
	skip "5 another user does not see root's mapping" "$SAN_WHY"
elif id nobody >/dev/null 2>&1 && have setpriv; then
	run clatrun setpriv --reuid=nobody --regid=nogroup --clear-groups \
		curl -sS -m 5 "http://$POOL_ADDR:8080/"
	expect "5 another user does not see root's mapping of $POOL_ADDR" '!0' '[Nn]etwork (is )?unreachable|Couldn.t connect'
else
	skip "5 another user" "no nobody user or setpriv"
fi
SKIP_WHY=
san_cannot_run curl && SKIP_WHY=$SAN_WHY
LAST_CMD=("${SAN_ENV[@]}" "$CLATRUN" --prefix "$PREFIX" --map-pool=off -- curl -4 -sS -m 5 http://v6only.test:8080/)
[ -n "$SKIP_WHY" ] || { ip netns exec "$LAB_NS_CL" timeout -k 2 "$T" "${LAST_CMD[@]}" </dev/null >"$OUT" 2>&1; RC=$?; }
expect "5 --map-pool=off: curl -4 http://v6only.test:8080/ cannot resolve" '!0' 'resolve host'
SKIP_WHY=
LAST_CMD=("${SAN_ENV[@]}" "$CLATRUN" --prefix "$PREFIX" --map-pool=100.64.7.0/24 -- getent ahostsv4 v6only.test)
ip netns exec "$LAB_NS_CL" timeout -k 2 "$T" "${LAST_CMD[@]}" </dev/null >"$OUT" 2>&1; RC=$?
expect "5 --map-pool=100.64.7.0/24: the address comes from that pool" 0 '^100\.64\.7\.[0-9]+ +STREAM v6only.test'
SKIP_WHY=
LAST_CMD=("$CLATRUN" --map-pool=10.0.0.1/8 -- true)
"${LAST_CMD[@]}" >"$OUT" 2>&1; RC=$?
expect "5 --map-pool=10.0.0.1/8 is refused (exit 2)" 2 'map-pool: must be an IPv4 network'
SKIP_WHY=
ls -l "$CLAT_CACHE_DIR" >"$OUT" 2>&1; RC=$?
expect "5 the table is one file of this user's, mode 600, per pool" 0 \
	'^-rw------- .* root .* addrmap-v2-64-uid0-10\.170\.160\.0_20$' \
	'addrmap-v2-64-uid0-100\.64\.7\.0_24$'

# ---- 6: many names, many processes and threads at once -------------------------------------
# 100 IPv6-only names in the client's /etc/hosts (ip netns exec mounts it), so
# that the AAAA side comes from NSS files; 4 processes of 4 threads each
# resolve all of them in different orders, at the same time.
{
	printf '127.0.0.1 localhost\n::1 localhost\n'
	for i in $(seq 0 99); do printf '2001:db8:77::%x many%d.test\n' $((i + 16)) "$i"; done
} >"/etc/netns/$LAB_NS_CL/hosts"
cat >"$WORK/many.py" <<'EOF'
import random, socket, sys, threading
seed, out = int(sys.argv[1]), {}
def worker(n):
    names = [f"many{i}.test" for i in range(100)]
    random.Random(seed * 10 + n).shuffle(names)
    for name in names:
        out.setdefault(name, set()).add(socket.gethostbyname(name))
threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
for t in threads: t.start()
for t in threads: t.join()
for name in sorted(out):
    print(name, " ".join(sorted(out[name])))
EOF
T=60
pids=()
for p in 1 2 3 4; do
	ip netns exec "$LAB_NS_CL" timeout -k 2 "$T" "${SAN_ENV[@]}" "$CLATRUN" --prefix "$PREFIX" -- \
		"$PY" "$WORK/many.py" "$p" >"$WORK/result.$p" 2>&1 </dev/null &
	pids+=($!)
done
RC=0
for pid in "${pids[@]}"; do wait "$pid" || RC=$?; done
cat "$WORK"/result.* >"$OUT"
LAST_CMD=("4 x" "$CLATRUN" "$PY" many.py)
SKIP_WHY=
expect "6 4 processes x 4 threads resolving 100 IPv6-only names at once: all succeed" 0 '!Error|Traceback'
LAST_CMD=(check that every name has one address, the same in all processes, all distinct)
if [ "$(sort -u "$OUT" | wc -l)" = 100 ] && [ "$(awk 'NF != 2' "$OUT" | wc -l)" = 0 ] &&
	[ "$(awk '{print $2}' "$OUT" | sort -u | wc -l)" = 100 ] &&
	[ "$(grep -Evc "^many[0-9]+\.test $POOL_RE$" "$OUT")" = 0 ]; then
	ok "6 ... each name has one pool address, the same in every process, 100 distinct"
else
	notok "6 ... each name has one pool address, the same in every process, 100 distinct" \
		"distinct lines $(sort -u "$OUT" | wc -l), lines with more than one address $(awk 'NF != 2' "$OUT" | wc -l), distinct addresses $(awk '{print $2}' "$OUT" | sort -u | wc -l)" show
fi
T=15
rm -f "/etc/netns/$LAB_NS_CL/hosts"

lab_down
tl_summary
