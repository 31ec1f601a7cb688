#!/bin/bash
# run-netns.sh: libclat's preload test layer ("Testing layers" item 2 of the
# design notes). Every case runs in a private network namespace where only lo
# is up, so IPv4 to 203.0.113.10 has no route (ENETUNREACH), and the
# NAT64-synthesised address of each test destination is put on lo ("the
# loopback trick"): t_server, listening on [::], then receives whatever the
# library sends to the IPv4 address and logs which family reached it.
#
# The programs (t_*.c, see tcommon.h) run with LD_PRELOAD=$CLAT_LIB, and also
# without it: the positive cases must FAIL there (so this layer cannot pass
# if the library does nothing), and reference runs against 127.0.0.1 check
# that the programs encode real IPv4 socket semantics.
#
# Environment (set by tests/Makefile.am): CLAT_LIB, CLATRUN, TESTS_BUILDDIR,
# TESTS_SRCDIR. Root only: skips (77) otherwise, unless
# CLAT_REQUIRE_ROOT_TESTS=1, which turns a skip into a failure.
# CLAT_NETNS_KEEP=1 keeps the scratch directory; CLAT_NETNS_ONLY=REGEX runs
# only the cases whose description matches.
# Output: TAP-like "ok N - ..." lines, then "netns: N passed, M failed".
set -u

: "${TESTS_BUILDDIR:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${CLAT_LIB:=$TESTS_BUILDDIR/../lib/.libs/libclat.so}"
: "${CLATRUN:=$TESTS_BUILDDIR/../tools/clatrun}"
B=$TESTS_BUILDDIR/netns
TMO=${CLAT_NETNS_TIMEOUT:-10} # seconds per program; sanitizer builds give more

cannot_run() {
	if [ "${CLAT_REQUIRE_ROOT_TESTS:-0}" = 1 ]; then
		echo "not ok 1 - netns layer cannot run: $1 (CLAT_REQUIRE_ROOT_TESTS=1)"
		echo "netns: 0 passed, 1 failed"
		exit 1
	fi
	echo "SKIP: netns layer: $1"
	exit 77
}

[ "$(id -u)" = 0 ] || cannot_run "not root"
for tool in ip ss timeout; do
	command -v "$tool" >/dev/null 2>&1 || cannot_run "$tool not found"
done
for p in t_server t_connect t_udp t_options t_names t_fdlife t_v4mapped t_policy t_stagger; do
	[ -x "$B/$p" ] || cannot_run "$B/$p not built"
done

# Nothing from the caller's environment may steer the library or the tests.
unset LD_PRELOAD CLAT_PREFIX CLAT_MODE CLAT_LOCAL_IPV4 CLAT_TRANSLATE_PRIVATE_WKP \
	CLAT_DEBUG CLAT_CONFIG CLAT_CACHE_DIR CLAT_DISCOVERY CLAT_DISCOVERED \
	CLAT_FALLBACK_PREFIX T_DST T_TCP T_UDP T_CLOSED T_LOCAL T_PEER_FAM T_SYNTH \
	T_BINDPORT T_HOOK

# Sanitizer builds (configure --enable-sanitizers, tests/sanitize/README): the
# runtime the library needs goes first in LD_PRELOAD, also for clatrun, which
# appends the library to it; the project's own t_* programs are checked for
# leaks too; stock programs that cannot run under the runtime are skipped.
CLAT_PRELOAD=${CLAT_SAN_RUNTIME:+$CLAT_SAN_RUNTIME:}$CLAT_LIB
SAN_VARS=()
[ -n "${CLAT_SAN_RUNTIME:-}" ] && SAN_VARS=("LD_PRELOAD=$CLAT_SAN_RUNTIME")
san_skip() { # PROGRAM: true (after a skip line) when PROGRAM cannot run here
	local why=
	case ",${CLAT_SANITIZERS:-},:$1" in
	*,address,*:curl|*,thread,*:curl)
		why="curl hangs in setlocale() under a preloaded sanitizer runtime (p11-kit constructor), with or without libclat" ;;
	esac
	[ -n "$why" ] || return 1
	report skip "$1 under the library: $why"
	return 0
}

TMP=$(mktemp -d /tmp/clat-netns.XXXXXX) || cannot_run "mktemp failed"
# Prefix discovery has its own tests (lab/run-discovery.sh): here the prefix
# is always given or deliberately absent, and no cache outside this run's
# directory may leak in.
export CLAT_DISCOVERY=no CLAT_CACHE_DIR=$TMP/cache
NS_LIST=""
SERVER_PIDS=""
cleanup() {
	local pid ns
	for pid in $SERVER_PIDS; do kill "$pid" 2>/dev/null; done
	for ns in $NS_LIST; do ip netns del "$ns" 2>/dev/null; done
	if [ "${CLAT_NETNS_KEEP:-0}" = 1 ]; then
		echo "# scratch directory kept: $TMP"
	else
		rm -rf "$TMP"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

PY=$(command -v /usr/bin/python3 python3 2>/dev/null | head -n 1)
STRACE=$(command -v strace 2>/dev/null)

# ---------------------------------------------------------------- addresses
NSP=2001:db8:64::/96
DST=203.0.113.10
SYN=2001:db8:64::cb00:710a          # $DST under $NSP (RFC 6052 2.2)
# $DST under each RFC 6052 prefix length (cf. RFC 6052 2.4 table layout).
P32=2001:db8::/32;          S32=2001:db8:cb00:710a::
P40=2001:db8:100::/40;      S40=2001:db8:1cb:71:a::
P48=2001:db8:122::/48;      S48=2001:db8:122:cb00:71:a00::
P56=2001:db8:122:300::/56;  S56=2001:db8:122:3cb:0:710a::
P64=2001:db8:122:344::/64;  S64=2001:db8:122:344:cb:71:a00:0
WKP=64:ff9b::/96
LUP=64:ff9b:1::/48                   # RFC 8215 local-use
LUP_10=64:ff9b:1:a01:2:300::         # 10.1.2.3 under $LUP
# RFC 6890 special-purpose destinations that are never translated.
SPECIAL="0.1.2.3 127.0.0.2 169.254.169.254 224.0.0.251 239.1.2.3 240.0.0.1
255.255.255.255 192.0.0.1 192.0.0.8 192.0.0.170 192.0.0.171 192.0.0.200"
# RFC 6052 3.1 non-global destinations: not translated under the WKP.
PRIVATE="10.1.2.3 172.16.5.4 172.31.255.1 192.168.1.1 100.64.0.1 100.127.255.254
192.0.2.1 198.18.0.1 198.19.255.1 198.51.100.1 203.0.113.10"

# s96 PREFIX:: A.B.C.D -> the /96 synthesis, e.g. s96 64:ff9b:: 10.1.2.3
s96() {
	local IFS=.
	# shellcheck disable=SC2086
	set -- "$1" $2
	printf '%s%x:%x' "$1" $(($2 * 256 + $3)) $(($4 * 256 + $5))
}

# ---------------------------------------------------------------- reporting
N=0; PASSED=0; FAILED=0; SKIPPED=0
report() { # STATUS(ok|not ok|skip) DESC [OUTPUT-FILE]
	N=$((N + 1))
	case $1 in
	ok) PASSED=$((PASSED + 1)); echo "ok $N - $2" ;;
	skip) SKIPPED=$((SKIPPED + 1)); echo "ok $N - $2 # SKIP" ;;
	*) FAILED=$((FAILED + 1)); echo "not ok $N - $2"
	   [ -n "${3:-}" ] && [ -s "$3" ] && sed -e 's/^/#   /' "$3" | head -n 40 ;;
	esac
}
wanted() { [ -z "${CLAT_NETNS_ONLY:-}" ] || echo "$1" | grep -Eq -- "$CLAT_NETNS_ONLY"; }

# ---------------------------------------------------------------- namespaces
# setup_ns NAME: lo up, the synthesised addresses on lo, t_server on
# TCP 7001 / UDP 7002 logging to $TMP/NAME.log. Extra "ip" argument lists
# may follow, each as one string (e.g. "addr add 203.0.113.10/32 dev lo").
setup_ns() {
	local ns=$1 a pid
	shift
	ip netns add "$ns" || { echo "# ip netns add $ns failed"; return 1; }
	NS_LIST="$NS_LIST $ns"
	ip -n "$ns" link set lo up
	for a in $SYN $S32 $S40 $S48 $S56 $S64 $LUP_10 \
		$(s96 64:ff9b:: 8.8.8.8) $(s96 2001:db8:64:: 10.1.2.3) \
		$(s96 2001:db8:64:: 192.168.1.1) \
		$(for d in $SPECIAL; do s96 2001:db8:64:: "$d"; echo; done) \
		$(for d in $PRIVATE; do s96 64:ff9b:: "$d"; echo; done); do
		ip -n "$ns" addr add "$a/128" dev lo nodad 2>/dev/null ||
			{ echo "# ip addr add $a failed in $ns"; return 1; }
	done
	for a in "$@"; do
		# shellcheck disable=SC2086
		ip -n "$ns" $a || { echo "# ip $a failed in $ns"; return 1; }
	done
	: >"$TMP/$ns.log"
	ip netns exec "$ns" "$B/t_server" -l "$TMP/$ns.log" -t 7001 -u 7002 \
		2>"$TMP/$ns.server-stderr" &
	pid=$!
	SERVER_PIDS="$SERVER_PIDS $pid"
	for _ in $(seq 1 100); do
		if ip netns exec "$ns" ss -ltnH 'sport = :7001' | grep -q . &&
		   ip netns exec "$ns" ss -lunH 'sport = :7002' | grep -q .; then
			return 0
		fi
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	echo "# t_server did not become ready in $ns:"
	sed 's/^/#   /' "$TMP/$ns.server-stderr"
	return 1
}

NS=""  # the namespace the next cases run in

# ---------------------------------------------------------------- running
# run WANT MODE DESC [-u VAR | VAR=VALUE]... COMMAND...
#   WANT: pass (exit 0), fail (exit 1: an assertion failed, not a usage
#         error), or any (the caller inspects $OUT and $RC).
#   MODE: lib (LD_PRELOAD=$CLAT_LIB with CLAT_PREFIX=$NSP and an empty
#         CLAT_CONFIG unless overridden), nolib, or ref (nolib, against
#         127.0.0.1: the programs' reference run on a plain IPv4 path).
# Every run gets T_DST=$DST T_SYNTH=$SYN T_LOCAL=192.0.0.4 T_PEER_FAM=6
# (ref: 127.0.0.1, no T_SYNTH, 127.0.0.1, 4) and a fresh T_BINDPORT; the
# arguments override them. Exit status 77 reports a skip.
OUT=""; RC=0; VARS=()
drop_var() { # NAME: removes NAME=... from VARS
	local v keep=()
	for v in "${VARS[@]}"; do
		[ "${v%%=*}" = "$1" ] || keep+=("$v")
	done
	VARS=("${keep[@]}")
}
run() {
	local want=$1 mode=$2 desc=$3
	shift 3
	wanted "$desc" || return 0
	VARS=("T_DST=$DST" "T_SYNTH=$SYN" T_LOCAL=192.0.0.4 T_PEER_FAM=6 T_TCP=7001 T_UDP=7002
		T_CLOSED=7009 T_BINDPORT=$((20000 + N)))
	case $mode in
	lib) VARS+=(LD_PRELOAD="$CLAT_PRELOAD" "CLAT_PREFIX=$NSP" CLAT_CONFIG="$TMP/empty.conf") ;;
	ref) drop_var T_SYNTH; VARS+=(T_DST=127.0.0.1 T_LOCAL=127.0.0.1 T_PEER_FAM=4) ;;
	esac
	while [ $# -gt 0 ]; do
		case $1 in
		-u) drop_var "$2"; shift 2 ;;
		*=*) drop_var "${1%%=*}"; VARS+=("$1"); shift ;;
		*) break ;;
		esac
	done
	case "$1" in
	"$B"/t_*) # (LeakSanitizer needs free fds at exit: not after emfile)
		[ -n "${ASAN_OPTIONS:-}" ] && [ "${2:-}" != emfile ] &&
			VARS+=("ASAN_OPTIONS=$ASAN_OPTIONS:detect_leaks=1") ;;
	"$CLATRUN") VARS+=("${SAN_VARS[@]}") ;;
	esac
	OUT=$TMP/out.$((N + 1))
	timeout $TMO ip netns exec "$NS" env "${VARS[@]}" "$@" >"$OUT" 2>&1
	RC=$?
	[ $RC = 124 ] && echo "(timed out after ${TMO}s)" >>"$OUT"
	case $want in
	any) return 0 ;;
	pass)
		if [ $RC = 0 ]; then report ok "$desc"
		elif [ $RC = 77 ]; then report skip "$desc"
		else
			echo "(exit status $RC)" >>"$OUT"
			[ "$mode" = lib ] && diagnose "$@"
			report "not ok" "$desc" "$OUT"
		fi ;;
	fail)
		if [ $RC = 1 ]; then report ok "$desc"
		else
			echo "(exit status $RC, want 1: an assertion failure)" >>"$OUT"
			report "not ok" "$desc" "$OUT"
		fi ;;
	esac
}

# On a failure under the library: run again (same VARS) with CLAT_DEBUG and
# strace, and append the library's log and the socket calls to $OUT.
diagnose() {
	local dbg=$OUT.clatlog tr=$OUT.strace
	{
		if [ -n "$STRACE" ]; then
			timeout $TMO ip netns exec "$NS" "$STRACE" -f -o "$tr" \
				-e trace=network,dup,dup2,dup3,fcntl,close,close_range,epoll_ctl \
				env "${VARS[@]}" CLAT_DEBUG="$dbg" "$@" >/dev/null 2>&1
		else
			timeout $TMO ip netns exec "$NS" env "${VARS[@]}" CLAT_DEBUG="$dbg" \
				"$@" >/dev/null 2>&1
		fi
		if [ -s "$dbg" ]; then
			echo "-- CLAT_DEBUG log of a re-run:"
			head -n 15 "$dbg"
		fi
		if [ -s "$tr" ]; then
			echo "-- strace of a re-run (socket calls of the test program):"
			grep -Ev 'AF_(UNIX|NETLINK)|exited with|resumed>|execve' "$tr" |
				grep -E 'socket|connect|bind|send|recv|getsock|getpeer|setsock|dup|close_range|epoll' |
				sed 's/^[0-9]* *//' | tail -n 20
		fi
	} >>"$OUT" 2>&1
}

# lines ADDED to the server log since a mark, and whether any is IPv6.
log_mark() { wc -l <"$TMP/$NS.log"; }
log_since() { tail -n +$(($1 + 1)) "$TMP/$NS.log"; }
v6_since() { log_since "$1" | grep -E '^(tcp|udp) [0-9]+ 6 '; }

check() { # DESC COMMAND...: a shell-level assertion
	local desc=$1
	shift
	wanted "$desc" || return 0
	OUT=$TMP/chk.$((N + 1))
	if "$@" >"$OUT" 2>&1; then report ok "$desc"; else report "not ok" "$desc" "$OUT"; fi
}

# ---------------------------------------------------------------- start
: >"$TMP/empty.conf"
if [ ! -f "$CLAT_LIB" ]; then
	report "not ok" "libclat.so exists at $CLAT_LIB"
fi
NSM=clatnetns$$m
setup_ns "$NSM" || cannot_run "could not set up network namespace $NSM"
NS=$NSM

echo "# namespace $NSM: IPv4 unrouted, $SYN (= $DST under $NSP) and others on lo"

# ---- sanity: without the library IPv4 has no route
run pass nolib "no library: TCP connect to $DST is ENETUNREACH" "$B/t_connect" unreach
run pass nolib "no library: UDP sendto $DST is ENETUNREACH" "$B/t_udp" unreach
run pass nolib "no library: connect to [::ffff:$DST] is ENETUNREACH" "$B/t_v4mapped" unreach

# ---- the programs: under the library; without it (must fail); reference
CONNECT_CASES="blocking two nonblock nonblock-fcntl nonblock-reconnect refused
nonblock-refused cloexec bind-any bind-any-port0 epoll-before"
UDP_CASES="sendto sendmsg sendmmsg connected bind-any nonblock resend mixed-dst
disconnect epoll-before"
OPTION_CASES="soopts tcpopts tos-ttl-udp tos-ttl-after tos-ttl-tcp recv-cmsg
recv-cmsg-after recv-cmsg-exact send-cmsg domain rcvtimeo"
NAME_CASES="peer sock recvfrom recvmsg bad-pointers"
FDLIFE_CASES="dup dup2 dup3 dupfd dupfd-cloexec dup2-over close-reuse close-reuse-udp
close-reuse-file close-range close-range-cloexec closefrom syscall-dup syscall-dup3
syscall-dupfd syscall-close-reuse-unix syscall-close-range
syscall-passthrough fork fork-reuse highfd threads"
V4MAPPED_CASES="tcp tcp-nonblock udp udp-connected"

for spec in "t_connect:$CONNECT_CASES" "t_udp:$UDP_CASES" "t_options:$OPTION_CASES" \
	"t_names:$NAME_CASES" "t_fdlife:$FDLIFE_CASES" "t_v4mapped:$V4MAPPED_CASES"; do
	prog=${spec%%:*}
	for c in ${spec#*:}; do
		run pass lib "$prog $c" "$B/$prog" "$c"
		run fail nolib "$prog $c fails without the library" "$B/$prog" "$c"
		run pass ref "$prog $c reference run (127.0.0.1, no library)" "$B/$prog" "$c"
	done
done

# The early switch (ARCHITECTURE.md, "Life of a translated connect"): no
# IPv4 route here, so an AF_INET TCP socket is AF_INET6 from socket() on;
# with CLAT_EARLY_SWITCH=0, AF_INET until the connect (the late switch).
run pass lib "t_connect early: AF_INET6 in the kernel from socket() on" T_KERNEL_FAM=6 \
	"$B/t_connect" early
run fail nolib "t_connect early fails without the library" T_KERNEL_FAM=6 "$B/t_connect" early
run pass lib "t_connect early, CLAT_EARLY_SWITCH=0 (late switch): AF_INET until the connect" \
	T_KERNEL_FAM=4 CLAT_EARLY_SWITCH=0 "$B/t_connect" early
run pass lib "t_connect early-back: SO_BROADCAST gives the AF_INET socket back" \
	"$B/t_connect" early-back

# The late switch, which TCP sockets take with CLAT_EARLY_SWITCH=0 (and
# when the early one cannot be had), through the TCP cases above.
for spec in "t_connect:$CONNECT_CASES" "t_options:soopts tcpopts tos-ttl-tcp domain" \
	"t_names:peer sock bad-pointers" "t_fdlife:dup dup2-over close-reuse close-range"; do
	prog=${spec%%:*}
	for c in ${spec#*:}; do
		run pass lib "$prog $c, late switch (CLAT_EARLY_SWITCH=0)" CLAT_EARLY_SWITCH=0 \
			"$B/$prog" "$c"
	done
done

# Fail open: after a first translated connection, no fd is left for the
# next (late) switch, which must then report the real ENETUNREACH. (An
# early-switched socket needs no second fd at its connect.)
for prog in t_connect t_udp; do
	run pass lib "$prog emfile: fails open (ENETUNREACH) with no fd for the late switch" \
		CLAT_EARLY_SWITCH=0 "$B/$prog" emfile
	run fail nolib "$prog emfile fails without the library" "$B/$prog" emfile
done

# Cases that must keep the socket IPv4 (the real call's ENETUNREACH).
for pc in t_connect:bind-loopback t_udp:bind-loopback t_udp:broadcast t_udp:multicast; do
	prog=${pc%%:*}; c=${pc#*:}
	m=$(log_mark)
	run pass lib "$prog $c stays IPv4 (ENETUNREACH)" "$B/$prog" "$c"
	check "$prog $c: nothing reached the server over IPv6" eval '! v6_since '"$m"
	run pass nolib "$prog $c: same without the library" "$B/$prog" "$c"
done
run pass lib "t_v4mapped loopback: ::ffff:127.0.0.1 untouched" "$B/t_v4mapped" loopback
run pass lib "t_v4mapped native: [::1] and [$SYN] untouched" "$B/t_v4mapped" native
run pass nolib "t_v4mapped native: same without the library" "$B/t_v4mapped" native
run pass lib "CLAT_MODE=always: t_connect blocking" CLAT_MODE=always "$B/t_connect" blocking
run pass lib "CLAT_MODE=always: t_udp sendto" CLAT_MODE=always "$B/t_udp" sendto
run pass lib "CLAT_MODE=auto (explicit): t_connect nonblock" CLAT_MODE=auto "$B/t_connect" nonblock
run pass lib "t_connect loopback 127.0.0.1 under the library stays plain IPv4" \
	T_DST=127.0.0.1 T_LOCAL=127.0.0.1 T_PEER_FAM=4 -u T_SYNTH "$B/t_connect" blocking

# ---- every RFC 6052 prefix length: the server sees the right address
for pl in "$P32 $S32" "$P40 $S40" "$P48 $S48" "$P56 $S56" "$P64 $S64" "$NSP $SYN"; do
	# shellcheck disable=SC2086
	set -- $pl
	run pass lib "prefix $1: TCP reaches $2" CLAT_PREFIX="$1" T_SYNTH="$2" "$B/t_connect" blocking
	run pass lib "prefix $1: UDP reaches $2" CLAT_PREFIX="$1" T_SYNTH="$2" "$B/t_udp" sendto
done

# ---- never-translate set (RFC 6890): exactly as without the library
probe_same() { # DESC ENV... : t_policy probe lib vs nolib, nothing over IPv6
	local desc=$1 m a b
	shift
	wanted "$desc" || return 0
	run any nolib "$desc" "$@" "$B/t_policy" probe; a=$(grep '^tcp=' "$OUT")
	m=$(log_mark)
	run any lib "$desc" "$@" "$B/t_policy" probe; b=$(grep '^tcp=' "$OUT")
	OUT=$TMP/probe.$((N + 1))
	{ echo "without library: $a"; echo "with library:    $b"; v6_since "$m"; } >"$OUT"
	if [ "$a" = "$b" ] && ! v6_since "$m" >/dev/null; then
		report ok "$desc ($b)"
	else
		report "not ok" "$desc" "$OUT"
	fi
}
for d in $SPECIAL; do
	probe_same "never translated: $d (auto)" T_DST="$d"
	probe_same "never translated: $d (always)" T_DST="$d" CLAT_MODE=always
done

# ---- private destinations behind the well-known prefix (RFC 6052 3.1)
for d in $PRIVATE; do
	probe_same "WKP: private $d not translated" T_DST="$d" CLAT_PREFIX=$WKP
done
run pass lib "WKP: private 10.1.2.3 translated with CLAT_TRANSLATE_PRIVATE_WKP=yes" \
	CLAT_PREFIX=$WKP CLAT_TRANSLATE_PRIVATE_WKP=yes T_DST=10.1.2.3 \
	T_SYNTH="$(s96 64:ff9b:: 10.1.2.3)" "$B/t_connect" blocking
run pass lib "WKP: private $DST translated with CLAT_TRANSLATE_PRIVATE_WKP=yes (UDP)" \
	CLAT_PREFIX=$WKP CLAT_TRANSLATE_PRIVATE_WKP=yes T_SYNTH="$(s96 64:ff9b:: $DST)" \
	"$B/t_udp" sendto
run pass lib "WKP: private 10.1.2.3 stays ENETUNREACH with CLAT_TRANSLATE_PRIVATE_WKP=no" \
	CLAT_PREFIX=$WKP CLAT_TRANSLATE_PRIVATE_WKP=no T_DST=10.1.2.3 "$B/t_connect" unreach
run pass lib "WKP: global 8.8.8.8 translated" CLAT_PREFIX=$WKP T_DST=8.8.8.8 \
	T_SYNTH="$(s96 64:ff9b:: 8.8.8.8)" "$B/t_connect" blocking
run pass lib "local-use $LUP: private 10.1.2.3 translated" CLAT_PREFIX=$LUP \
	T_DST=10.1.2.3 T_SYNTH=$LUP_10 "$B/t_connect" blocking
run pass lib "NSP: private 10.1.2.3 translated" T_DST=10.1.2.3 \
	T_SYNTH="$(s96 2001:db8:64:: 10.1.2.3)" "$B/t_connect" blocking
run pass lib "NSP: private 192.168.1.1 translated (UDP)" T_DST=192.168.1.1 \
	T_SYNTH="$(s96 2001:db8:64:: 192.168.1.1)" "$B/t_udp" sendto

# ---- settings: off, no prefix, bad settings (disabled, errno intact)
no_v6() { # DESC ENV... : t_connect+t_udp unreach under the library, no IPv6
	local desc=$1 m
	shift
	m=$(log_mark)
	run pass lib "$desc: TCP ENETUNREACH" "$@" "$B/t_connect" unreach
	run pass lib "$desc: UDP ENETUNREACH" "$@" "$B/t_udp" unreach
	check "$desc: nothing reached the server over IPv6" eval '! v6_since '"$m"
}
no_v6 "CLAT_MODE=off" CLAT_MODE=off
no_v6 "no prefix" -u CLAT_PREFIX
bad_setting() { # DESC ENV...: disabled, logs why
	local desc=$1 log=$TMP/badlog.$((N + 1))
	shift
	no_v6 "bad setting $desc" CLAT_DEBUG="$log" "$@"
	check "bad setting $desc: the library logs why" test -s "$log"
}
bad_setting "CLAT_PREFIX=garbage" CLAT_PREFIX=garbage
bad_setting "CLAT_PREFIX=2001:db8:64::/95" CLAT_PREFIX=2001:db8:64::/95
bad_setting "CLAT_PREFIX=2001:db8:64:0:ff00::/96 (u byte set)" CLAT_PREFIX=2001:db8:64:0:ff00::/96
bad_setting "CLAT_MODE=sometimes" CLAT_MODE=sometimes
bad_setting "CLAT_LOCAL_IPV4=not-an-address" CLAT_LOCAL_IPV4=not-an-address
bad_setting "CLAT_TRANSLATE_PRIVATE_WKP=maybe" CLAT_TRANSLATE_PRIVATE_WKP=maybe
printf 'prefix = %s\nfrobnicate = yes\n' "$NSP" >"$TMP/unknown-key.conf"
bad_setting "config file with an unknown key" -u CLAT_PREFIX CLAT_CONFIG="$TMP/unknown-key.conf"
# Config files the library refuses, as clatrun does (lib/sys/config_file.c):
# one too large is refused, not cut (its last line would be lost: here a
# "mode = off" after 82,500 bytes of comments); a FIFO nobody writes must
# not hang the first socket call; a symbolic link is refused.
bad_config() { # DESC FILE REGEX: disabled (no IPv6), and the log says REGEX
	local desc=$1 file=$2 re=$3 log=$TMP/badlog.$((N + 1))
	no_v6 "config $desc" CLAT_DEBUG="$log" CLAT_MODE=always CLAT_CONFIG="$file"
	check "config $desc: the log names the file and why" grep -Eq -- "$re" "$log"
}
awk 'BEGIN { for (i = 0; i < 1100; i++) printf "# %073d\n", i; print "mode = off" }' \
	>"$TMP/oversize.conf"
bad_config "over 64 KiB" "$TMP/oversize.conf" "oversize.conf is too large"
mkfifo "$TMP/fifo.conf"
bad_config "that is a FIFO" "$TMP/fifo.conf" "fifo.conf is not a regular file"
ln -s "$TMP/good-target.conf" "$TMP/link.conf"
printf 'prefix = %s\n' "$NSP" >"$TMP/good-target.conf"
bad_config "that is a symbolic link" "$TMP/link.conf" "link.conf is a symbolic link"

printf '# libclat test config\nprefix = %s\n\nmode = always\nlocal-ipv4 = 192.0.0.6\n' \
	"$NSP" >"$TMP/good.conf"
run pass lib "config file: prefix, mode, local-ipv4 (TCP)" -u CLAT_PREFIX \
	CLAT_CONFIG="$TMP/good.conf" T_LOCAL=192.0.0.6 "$B/t_connect" blocking
run pass lib "config file: prefix, mode, local-ipv4 (UDP)" -u CLAT_PREFIX \
	CLAT_CONFIG="$TMP/good.conf" T_LOCAL=192.0.0.6 "$B/t_udp" sendto
printf 'prefix = %s\ntranslate-private-wkp = yes\n' "$WKP" >"$TMP/wkp.conf"
run pass lib "config file: translate-private-wkp = yes" -u CLAT_PREFIX \
	CLAT_CONFIG="$TMP/wkp.conf" T_SYNTH="$(s96 64:ff9b:: $DST)" "$B/t_connect" blocking
printf 'prefix = %s\nlog = %s\n' "$NSP" "$TMP/cfg-log" >"$TMP/log.conf"
run pass lib "config file: log = /path" -u CLAT_PREFIX CLAT_CONFIG="$TMP/log.conf" \
	"$B/t_connect" blocking
run pass lib "CLAT_LOCAL_IPV4=192.0.0.2: getsockname (TCP)" CLAT_LOCAL_IPV4=192.0.0.2 \
	T_LOCAL=192.0.0.2 "$B/t_connect" blocking
run pass lib "CLAT_LOCAL_IPV4=192.0.0.2: getsockname (UDP)" CLAT_LOCAL_IPV4=192.0.0.2 \
	T_LOCAL=192.0.0.2 "$B/t_udp" sendto
run pass lib "CLAT_LOCAL_IPV4=192.0.0.2: IP_PKTINFO" CLAT_LOCAL_IPV4=192.0.0.2 \
	T_LOCAL=192.0.0.2 "$B/t_options" recv-cmsg
run any lib "silent by default" "$B/t_connect" blocking
check "silent by default: no output on stdout/stderr" test ! -s "$OUT"
run pass lib "CLAT_DEBUG=/path: works" CLAT_DEBUG="$TMP/debug.log" "$B/t_connect" blocking
check "CLAT_DEBUG=/path: log written" test -s "$TMP/debug.log"
run any lib "CLAT_DEBUG=1" CLAT_DEBUG=1 "$B/t_connect" blocking
o=$OUT
check "CLAT_DEBUG=1: the program works" test "$RC" = 0
check "CLAT_DEBUG=1: the library logs to stderr" grep -q . "$o"

# ---- stock programs against t_server
HTTP=http://$DST:7001/
if command -v curl >/dev/null 2>&1 && ! san_skip curl; then
	run any lib "curl" curl -sS --max-time 5 "$HTTP"
	check "curl $HTTP over the library (server saw IPv6)" grep -q "^peer 6 $SYN " "$OUT"
	run any nolib "curl" curl -sS --max-time 5 "$HTTP"
	check "curl $HTTP fails without the library" test "$RC" != 0
fi
if [ -n "$PY" ] && ! san_skip python3; then
	PYTCP="import socket
s = socket.create_connection(('$DST', 7001), timeout=5)
s.sendall(b'PEER\n')
r = s.makefile().readline()
assert r.startswith('PEER 6 $SYN '), r
assert s.getpeername() == ('$DST', 7001), s.getpeername()
assert s.getsockname()[0] == '192.0.0.4', s.getsockname()
assert s.family == socket.AF_INET, s.family"
	PYUDP="import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(5)
s.sendto(b'INFO', ('$DST', 7002))
d, a = s.recvfrom(200)
assert a == ('$DST', 7002), a
assert d.startswith(b'INFO 6 '), d
assert s.getsockname()[0] in ('0.0.0.0', '192.0.0.4'), s.getsockname()"
	PYASYNC="import asyncio
async def main():
    r, w = await asyncio.wait_for(asyncio.open_connection('$DST', 7001), 5)
    w.write(b'PEER\n')
    line = await asyncio.wait_for(r.readline(), 5)
    assert line.startswith(b'PEER 6 '), line
    assert w.get_extra_info('peername') == ('$DST', 7001)
    w.close()
asyncio.run(main())"
	run pass lib "python3 socket.create_connection" "$PY" -c "$PYTCP"
	run pass lib "python3 UDP sendto/recvfrom" "$PY" -c "$PYUDP"
	run pass lib "python3 asyncio.open_connection" "$PY" -c "$PYASYNC"
	run any nolib "python3" "$PY" -c "$PYTCP"
	check "python3 create_connection fails without the library" test "$RC" != 0
fi
if command -v nc >/dev/null 2>&1; then
	run any lib "nc" sh -c "printf 'PEER\n' | nc -N -w 5 $DST 7001"
	check "nc TCP over the library" grep -q "^PEER 6 $SYN " "$OUT"
	run any lib "nc -u" sh -c "printf INFO | nc -u -w 1 $DST 7002"
	check "nc -u UDP over the library" grep -q "^INFO 6 $SYN " "$OUT"
	run any nolib "nc" sh -c "printf 'PEER\n' | nc -N -w 5 $DST 7001"
	check "nc TCP fails without the library" eval "! grep -q '^PEER' '$OUT'"
fi
if command -v socat >/dev/null 2>&1; then
	run any lib "socat" sh -c "printf 'PEER\n' | socat -t 2 - TCP4:$DST:7001"
	check "socat TCP4 over the library" grep -q "^PEER 6 $SYN " "$OUT"
fi
if [ -x "$CLATRUN" ]; then
	run pass nolib "clatrun (CLAT_PREFIX in the environment) t_connect blocking" \
		CLAT_PREFIX=$NSP CLAT_CONFIG="$TMP/empty.conf" "$CLATRUN" -- "$B/t_connect" blocking
	run pass nolib "clatrun t_udp sendto" \
		CLAT_PREFIX=$NSP CLAT_CONFIG="$TMP/empty.conf" "$CLATRUN" -- "$B/t_udp" sendto
else
	report skip "clatrun not built at $CLATRUN"
fi

# ---- a host WITH IPv4: auto mode does not translate (RFC 6535 4.5)
NSV=clatnetns$$v
if setup_ns "$NSV" "addr add $DST/32 dev lo"; then
	NS=$NSV
	m=$(log_mark)
	run pass lib "IPv4 host, auto: TCP goes over IPv4" T_PEER_FAM=4 T_LOCAL=$DST -u T_SYNTH \
		"$B/t_connect" blocking
	run pass lib "IPv4 host, auto: UDP goes over IPv4" T_PEER_FAM=4 T_LOCAL=$DST -u T_SYNTH \
		"$B/t_udp" sendto
	run pass lib "IPv4 host, auto: v4-mapped AF_INET6 goes over IPv4" T_PEER_FAM=4 -u T_SYNTH \
		"$B/t_v4mapped" tcp
	check "IPv4 host, auto: nothing reached the server over IPv6" eval '! v6_since '"$m"
	run pass lib "IPv4 host, always: TCP is translated" CLAT_MODE=always "$B/t_connect" blocking
	NS=$NSM
else
	report "not ok" "set up the IPv4 host namespace"
fi

# ---- an "unreachable" IPv4 route (how some IPv6-only hosts make IPv4 fail
# fast): connect() and sendto() see EHOSTUNREACH from the route lookup, which
# means "no IPv4 route" as much as ENETUNREACH does, so both are translated
# (ARCHITECTURE.md, "When to translate").
NSU=clatnetns$$u
if setup_ns "$NSU" "route add unreachable $DST/32"; then
	NS=$NSU
	run pass nolib "unreachable route: no library, everything is EHOSTUNREACH" \
		"$B/t_policy" probe
	check "unreachable route: the probe saw EHOSTUNREACH" \
		grep -q '^tcp=EHOSTUNREACH tcp-nb=EHOSTUNREACH udp=EHOSTUNREACH' "$OUT"
	run pass lib "unreachable route: sendto on EHOSTUNREACH is translated" "$B/t_udp" sendto
	run pass lib "unreachable route: sendmsg on EHOSTUNREACH is translated" "$B/t_udp" sendmsg
	m=$(log_mark)
	run pass lib "unreachable route: blocking connect on EHOSTUNREACH is translated" \
		"$B/t_connect" blocking
	check "unreachable route: the TCP connection reached the server over IPv6" \
		eval "log_since $m | grep -E '^tcp [0-9]+ 6 '"
	NS=$NSM
else
	report "not ok" "set up the unreachable-route namespace"
fi

# ---- IPv4 appearing later: new connections stop translating (RFC 8305 7.3)
NSL=clatnetns$$l
if setup_ns "$NSL"; then
	NS=$NSL
	run pass lib "IPv4 appears while running: next connect goes over IPv4" \
		T_HOOK="env -u LD_PRELOAD ip addr add $DST/32 dev lo" "$B/t_connect" v4appears
	NS=$NSM
else
	report "not ok" "set up the late-IPv4 namespace"
fi

# ---- several NAT64 prefixes: staggered attempts (RFC 8305 s5, s7.1;
# docs/requirements.md E.42). The prefixes come as clatrun hands them over
# (CLAT_DISCOVERED, in the DNS64's order). $PHOLE and $PHOLE2 are routed
# through a veth pair to a gateway whose (permanent) link address nobody
# has, so SYNs vanish as they would towards a NAT64 that is down; $PUNR has
# an unreachable route (fails at once); only $NSP leads to the server.
NSS=clatnetns$$s
PHOLE=2001:db8:65::/96 PHOLE2=2001:db8:67::/96 PUNR=2001:db8:66::/96
if setup_ns "$NSS" "link add clatv0 type veth peer name clatv1" "link set clatv0 up" \
	"link set clatv1 up" "-6 neigh add fe80::99 lladdr 02:00:00:00:00:99 dev clatv0 nud permanent" \
	"-6 route add $PHOLE via fe80::99 dev clatv0" "-6 route add $PHOLE2 via fe80::99 dev clatv0" \
	"-6 route add unreachable $PUNR"; then
	NS=$NSS
	found() { echo "CLAT_DISCOVERED=$1 $(($(date +%s) + 3600)) dns64"; }
	ST="$B/t_stagger"
	run pass lib "stagger: first prefix down, blocking connect gets through the second after 250 ms" \
		-u CLAT_PREFIX "$(found "$PHOLE,$NSP")" T_MIN_MS=240 T_MAX_MS=5000 "$ST" blocking
	run fail lib "stagger: the same with only the dead prefix does not connect (3 s timeout)" \
		-u CLAT_PREFIX "$(found "$PHOLE")" T_SNDTIMEO_MS=3000 "$ST" blocking
	run pass lib "stagger: first prefix unreachable, the second is tried at once" \
		-u CLAT_PREFIX "$(found "$PUNR,$NSP")" T_MAX_MS=240 "$ST" blocking
	run pass lib "stagger: both prefixes work, the first one is used" \
		-u CLAT_PREFIX "$(found "$NSP,$P48")" T_MAX_MS=5000 "$ST" blocking
	run pass lib "stagger: both work, in the other order: the first one is used" \
		-u CLAT_PREFIX "$(found "$P48,$NSP")" T_SYNTH=$S48 T_MAX_MS=5000 "$ST" blocking
	run pass lib "stagger: two dead prefixes, then a good one (500 ms)" \
		-u CLAT_PREFIX "$(found "$PHOLE,$PHOLE2,$NSP")" T_MIN_MS=490 T_MAX_MS=5000 \
		"$ST" blocking
	run pass lib "stagger: an option set before connect is on the winning attempt" \
		-u CLAT_PREFIX "$(found "$PHOLE,$NSP")" "$ST" option-kept
	run pass lib "stagger: FD_CLOEXEC kept on the winning attempt" \
		-u CLAT_PREFIX "$(found "$PHOLE,$NSP")" "$ST" cloexec
	run pass lib "stagger: all prefixes dead, SO_SNDTIMEO 600 ms: EINPROGRESS as connect(2) gives" \
		-u CLAT_PREFIX "$(found "$PHOLE,$PHOLE2")" T_SNDTIMEO_MS=600 T_MIN_MS=590 \
		T_MAX_MS=5000 "$ST" sndtimeo
	run pass lib "stagger: a handler without SA_RESTART interrupts it: EINTR" \
		-u CLAT_PREFIX "$(found "$PHOLE,$PHOLE2")" T_ALARM_MS=400 T_MIN_MS=390 \
		T_MAX_MS=5000 "$ST" eintr
	run pass lib "stagger: connect again after EINTR: the race goes on, the second prefix wins" \
		-u CLAT_PREFIX "$(found "$PHOLE,$NSP")" T_ALARM_MS=100 T_MAX_MS=5000 \
		"$ST" retry-after-eintr
	run pass lib "stagger: an SA_RESTART handler does not, and the second prefix wins" \
		-u CLAT_PREFIX "$(found "$PHOLE,$NSP")" T_ALARM_MS=100 T_MIN_MS=240 \
		T_MAX_MS=5000 "$ST" restart
	run pass lib "stagger: a non-blocking connect uses the first prefix only" \
		-u CLAT_PREFIX "$(found "$PHOLE,$NSP")" "$ST" nonblock-first-only
	if [ -n "$PY" ] && ! san_skip python3; then
		run pass lib "stagger: python3 blocking socket.connect through the second prefix" \
			-u CLAT_PREFIX "$(found "$PHOLE,$NSP")" "$PY" -c "
import socket
s = socket.socket()
s.connect(('$DST', 7001))
s.sendall(b'PEER\\n')
line = s.makefile().readline().split()
assert line[5] == '$SYN', line
assert s.getpeername() == ('$DST', 7001), s.getpeername()
print('server saw', line)"
	fi
	NS=$NSM
else
	report "not ok" "set up the several-prefixes namespace"
fi

echo "1..$N"
[ $SKIPPED = 0 ] || echo "# $SKIPPED skipped"
echo "netns: $PASSED passed, $FAILED failed"
[ $FAILED = 0 ]
