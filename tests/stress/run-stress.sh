#!/bin/bash
# run-stress.sh: libclat's stress layer (issue #6): volume, concurrency,
# fork/exec, signals and fd reuse, bounded, in a private network namespace.
#
# As in netns/run-netns.sh ("the loopback trick"): only lo is up, so IPv4 to
# 203.0.113.10 has no route, and its NAT64-synthesised address under
# 2001:db8:64::/96 sits on lo, where s_server listens on [::] (TCP accept/echo
# with per-family accept counters, UDP echo, a delayed UDP echo, and a DNS64
# stand-in for the discovery case). One of its TCP ports has a full accept
# queue, so connects there block (the signal cases).
#
# s_stress CASE runs under LD_PRELOAD=$CLAT_LIB (CLAT_PREFIX, CLAT_DISCOVERY=no,
# CLAT_CACHE_DIR in the scratch directory); the cases that depend on the
# library also run without it and must fail there, and the signal and reuse
# cases have a reference run against 127.0.0.1 without the library (native
# semantics the library must keep).
#
# Environment (set by tests/Makefile.am): CLAT_LIB, TESTS_BUILDDIR. Root only:
# skips (77) otherwise, unless CLAT_REQUIRE_ROOT_TESTS=1. CLAT_STRESS_KEEP=1
# keeps the scratch directory; CLAT_STRESS_ONLY=REGEX runs only the matching
# cases; CLAT_STRESS_SCALE=N divides the volumes by N (quick manual runs).
# Output: "ok N - ..." lines, "# ..." details, then "stress: N passed, M failed".
set -u

: "${TESTS_BUILDDIR:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${CLAT_LIB:=$TESTS_BUILDDIR/../lib/.libs/libclat.so}"
: "${TESTS_SRCDIR:=$(cd "$(dirname "$0")/.." && pwd)}"
B=$TESTS_BUILDDIR/stress
SCALE=${CLAT_STRESS_SCALE:-1}

cannot_run() {
	if [ "${CLAT_REQUIRE_ROOT_TESTS:-0}" = 1 ]; then
		echo "not ok 1 - stress layer cannot run: $1 (CLAT_REQUIRE_ROOT_TESTS=1)"
		echo "stress: 0 passed, 1 failed"
		exit 1
	fi
	echo "SKIP: stress layer: $1"
	exit 77
}

[ "$(id -u)" = 0 ] || cannot_run "not root"
for tool in ip ss timeout mount; do
	command -v "$tool" >/dev/null 2>&1 || cannot_run "$tool not found"
done
for p in s_server s_stress; do
	[ -x "$B/$p" ] || cannot_run "$B/$p not built"
done
[ -f "$CLAT_LIB" ] || cannot_run "no library at $CLAT_LIB"

unset LD_PRELOAD CLAT_PREFIX CLAT_MODE CLAT_LOCAL_IPV4 CLAT_TRANSLATE_PRIVATE_WKP \
	CLAT_DEBUG CLAT_CONFIG CLAT_CACHE_DIR CLAT_DISCOVERY CLAT_DISCOVERED \
	CLAT_FALLBACK_PREFIX T_DST T_TCP T_UDP T_SLOW T_BLACK T_LOCAL T_THREADS T_CYCLES \
	T_DGRAMS T_FORKS T_EXECS T_ROUNDS T_DEADLINE

TMP=$(mktemp -d /tmp/clat-stress.XXXXXX) || cannot_run "mktemp failed"
NS=clatstress$$
SERVER_PID=""
NS_MADE=0
cleanup() {
	[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
	[ "$NS_MADE" = 1 ] && ip netns del "$NS" 2>/dev/null
	if [ "${CLAT_STRESS_KEEP:-0}" = 1 ]; then
		echo "# scratch directory kept: $TMP"
	else
		rm -rf "$TMP"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

NSP=2001:db8:64::/96
DST=203.0.113.10
SYN=2001:db8:64::cb00:710a          # $DST under $NSP
DNS6=2001:db8:53::53
TCP=7101 UDP=7102 SLOW=7103 BLACK=7104  # BLACK: accept queue full
DNS_DELAY_MS=400

# ---------------------------------------------------------------- reporting
N=0; PASSED=0; FAILED=0; SKIPPED=0
report() { # STATUS(ok|not ok|skip) DESC [OUTPUT-FILE]
	N=$((N + 1))
	case $1 in
	ok) PASSED=$((PASSED + 1)); echo "ok $N - $2" ;;
	skip) PASSED=$((PASSED + 1)); SKIPPED=$((SKIPPED + 1)); echo "ok $N - $2 # SKIP" ;;
	*) FAILED=$((FAILED + 1)); echo "not ok $N - $2"
	   [ -n "${3:-}" ] && [ -s "$3" ] && sed -e 's/^/#   /' "$3" | head -n 60 ;;
	esac
}
wanted() { [ -z "${CLAT_STRESS_ONLY:-}" ] || echo "$1" | grep -Eq -- "$CLAT_STRESS_ONLY"; }
# san_skip SANITIZER DESC WHY: in a build with SANITIZER (address, thread),
# reports DESC skipped with WHY and succeeds; fails (so the case runs) in
# every other build.
san_skip() {
	case ",${CLAT_SANITIZERS:-}," in *,"$1",*) ;; *) return 1 ;; esac
	wanted "$2" && report skip "$2: $3"
	return 0
}
scaled() { local n=$(($1 / SCALE)); [ "$n" -ge 1 ] || n=1; echo "$n"; }

# ---------------------------------------------------------------- namespace
setup_ns() {
	ip netns add "$NS" || return 1
	NS_MADE=1
	ip -n "$NS" link set lo up || return 1
	for a in $SYN $DNS6; do
		ip -n "$NS" addr add "$a/128" dev lo nodad || return 1
	done
	echo "nameserver $DNS6" >"$TMP/resolv.conf"
	: >"$TMP/empty.conf"
	mkdir -m 700 "$TMP/cache"
	ip netns exec "$NS" "$B/s_server" -a "$SYN" -t $TCP -u $UDP -s $SLOW -b $BLACK \
		-d 53 -D $DNS_DELAY_MS -p 2001:db8:64:: >"$TMP/server.out" 2>"$TMP/server.err" &
	SERVER_PID=$!
	for _ in $(seq 1 100); do
		if grep -q ready "$TMP/server.out" 2>/dev/null &&
		   [ "$(ip netns exec "$NS" ss -ltnH "sport = :$TCP" | wc -l)" -ge 2 ]; then
			return 0
		fi
		kill -0 "$SERVER_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "# s_server did not become ready:"
	sed 's/^/#   /' "$TMP/server.err"
	return 1
}
setup_ns || cannot_run "could not set up network namespace $NS"
echo "# namespace $NS: IPv4 unrouted, $SYN (= $DST under $NSP) on lo;" \
	"s_server on TCP $TCP/$BLACK, UDP $UDP/$SLOW, DNS [$DNS6]:53"

# ---------------------------------------------------------------- running
# run WANT MODE TIMEOUT DESC [-u VAR | VAR=VALUE]... CASE
#   WANT: pass (exit 0) or fail (exit 1: an assertion failed, not a crash).
#   MODE: lib, nolib (same addresses, no library), ref (no library,
#         127.0.0.1), lib-resolv (lib, with the
#         namespace's resolv.conf pointing at s_server's DNS), sv (a static
#         s_stress under clatrun's seccomp supervisor, no library).
OUT=""; RC=0; SECS=0; VARS=()
drop_var() {
	local v keep=()
	for v in "${VARS[@]}"; do
		[ "${v%%=*}" = "$1" ] || keep+=("$v")
	done
	VARS=("${keep[@]}")
}
run() {
	local want=$1 mode=$2 tmo=$3 desc=$4 t0 t1 status
	shift 4
	wanted "$desc" || return 0
	VARS=("T_DST=$DST" T_LOCAL=192.0.0.4 "T_BLACK=$BLACK" "T_TCP=$TCP" "T_UDP=$UDP"
		"T_SLOW=$SLOW" CLAT_DISCOVERY=no "CLAT_CACHE_DIR=$TMP/cache")
	case $mode in
	# Sanitizer builds: the runtime goes first (tests/sanitize/README).
	lib|lib-resolv) VARS+=(LD_PRELOAD="${CLAT_SAN_RUNTIME:+$CLAT_SAN_RUNTIME:}$CLAT_LIB"
		"CLAT_PREFIX=$NSP" CLAT_CONFIG="$TMP/empty.conf") ;;
	ref) VARS+=(T_DST=127.0.0.1 T_LOCAL=127.0.0.1) ;;
	sv) VARS+=(CLAT_CONFIG="$TMP/empty.conf") ;;
	esac
	while [ $# -gt 1 ]; do
		case $1 in
		-u) drop_var "$2"; shift 2 ;;
		*=*) drop_var "${1%%=*}"; VARS+=("$1"); shift ;;
		*) break ;;
		esac
	done
	OUT=$TMP/out.$((N + 1))
	t0=$(date +%s.%N)
	if [ "$mode" = lib-resolv ]; then
		# ip netns exec gives the command its own mount namespace: the bind
		# mount is seen by this command only, never by the host.
		# shellcheck disable=SC2016
		timeout -k 5 "$tmo" ip netns exec "$NS" sh -c \
			'mount --bind "$0" /etc/resolv.conf && exec env "$@"' "$TMP/resolv.conf" \
			"${VARS[@]}" "$B/s_stress" "$@" >"$OUT" 2>&1
	elif [ "$mode" = sv ]; then
		timeout -k 5 "$tmo" ip netns exec "$NS" env "${VARS[@]}" "$CLATRUN" -p "$NSP" \
			--mode=always --supervise=always "$TMP/s_stress-static" "$@" >"$OUT" 2>&1
	else
		timeout -k 5 "$tmo" ip netns exec "$NS" env "${VARS[@]}" "$B/s_stress" "$@" \
			>"$OUT" 2>&1
	fi
	RC=$?
	t1=$(date +%s.%N)
	SECS=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
	[ $RC = 124 ] || [ $RC = 137 ] && echo "(timed out after ${tmo}s: hung)" >>"$OUT"
	status="not ok"
	case $want in
	pass)
		case $RC in
		0) status=ok ;;
		77) status=skip ;;
		*) echo "(exit status $RC)" >>"$OUT" ;;
		esac ;;
	fail)
		if [ $RC = 1 ]; then status=ok
		else echo "(exit status $RC, want 1: an assertion failure)" >>"$OUT"
		fi ;;
	esac
	report "$status" "$desc [${SECS} s]" "$OUT"
	# The programs' own summaries ("# ...") go to the log on success too.
	[ "$status" != "not ok" ] && [ "$want" = pass ] && grep '^# ' "$OUT"
	return 0
}

check() { # DESC COMMAND...
	local desc=$1
	shift
	wanted "$desc" || return 0
	OUT=$TMP/chk.$((N + 1))
	if "$@" >"$OUT" 2>&1; then report ok "$desc"; else report "not ok" "$desc" "$OUT"; fi
}

START=$(date +%s)
THREADS=32
CYCLES=$(scaled 10000)
DGRAMS=$(scaled 10000)
FORKS=$(scaled 256)
EXECS=$(scaled 300)
SIGCYC=$(scaled 2000)

# ---- 1. 32 threads x 10,000 translated TCP connect/close
D="tcp: $THREADS threads x $CYCLES translated connect/close; the server counted each"
D="$D as IPv6 to $SYN; same open fds after"
run pass lib 240 "$D" T_THREADS=$THREADS T_CYCLES="$CYCLES" tcp
run fail nolib 30 "tcp: fails without the library" T_THREADS=2 T_CYCLES=5 tcp
run pass ref 60 "tcp: reference run (127.0.0.1, no library), 4 threads x 500" \
	T_THREADS=4 T_CYCLES=500 tcp

# ---- 2. 32 threads of UDP exchanges, nothing lost
D="udp: $THREADS threads x $DGRAMS datagrams echoed, none lost, every source $DST;"
D="$D same open fds after"
run pass lib 240 "$D" T_THREADS=$THREADS T_DGRAMS="$DGRAMS" udp
run fail nolib 30 "udp: fails without the library" T_THREADS=2 T_DGRAMS=8 udp
run pass ref 60 "udp: reference run, 6 threads x 1000" T_THREADS=6 T_DGRAMS=1000 udp

# ---- 2b. TCP under clatrun's seccomp supervisor (a static s_stress, no
# library): parallel connects through the worker threads. (The udp case
# needs sendmmsg/recvmmsg, which the supervisor does not translate.)
if [ -x "${CLATRUN:-}" ] &&
   ${CC:-cc} -static -O1 -pthread -D_GNU_SOURCE -o "$TMP/s_stress-static" \
	"$TESTS_SRCDIR/stress/s_stress.c" >"$TMP/static-build.log" 2>&1; then
	D="supervisor tcp: $THREADS threads x $(scaled 2000) translated connect/close of a static"
	run pass sv 240 "$D program; the server counted each as IPv6" T_THREADS=$THREADS \
		T_CYCLES="$(scaled 2000)" tcp
else
	report skip "supervisor cases: no clatrun or no static libc (cc -static)"
fi

# ---- 3. fork while threads are inside the library
D="fork-threads: $FORKS forks while 4 threads connect/close; every child translates"
D="$D after closefrom(3), none hangs"
run pass lib 180 "$D" T_THREADS=4 T_FORKS="$FORKS" fork-threads
run pass lib 180 "fork-threads with CLAT_DEBUG to a file (logging on every switch)" \
	T_THREADS=4 T_FORKS="$(scaled 64)" CLAT_DEBUG="$TMP/fork-debug.log" fork-threads
check "fork-threads with CLAT_DEBUG: the library logged" test -s "$TMP/fork-debug.log"
run fail nolib 30 "fork-threads: fails without the library" T_THREADS=1 T_FORKS=2 fork-threads
# Discovery: no CLAT_PREFIX; the DNS answer takes $DNS_DELAY_MS ms, so forks land
# while a thread holds the discovery lock (the others wait on it).
q0=$(grep -c '^dns queries' "$TMP/server.err")
D="fork-discovery: 64 forks during prefix discovery (lock held by another thread);"
D="$D every child discovers and connects"
# A child forked after a thread ended but before the parent joined it cannot
# join it: gcc 12's TSan reports that as the child's thread leak.
LEAKS=()
case ",${CLAT_SANITIZERS:-}," in
*,thread,*) LEAKS=("TSAN_OPTIONS=${TSAN_OPTIONS:-}:report_thread_leaks=0") ;;
esac
# gcc 12's ASan allocator has no fork handler: a child forked while another
# thread is inside malloc (here c-ares, discovering) hangs in its own first
# malloc (seen with gdb; google/sanitizers#1814). TSan locks its allocator
# around fork, so the case runs there.
san_skip address "$D" "gcc 12's ASan allocator is not fork-safe (a child forked during another thread's malloc hangs in its first malloc)" ||
run pass lib-resolv 120 "$D" -u CLAT_PREFIX CLAT_DISCOVERY=yes T_THREADS=8 T_FORKS=64 \
	"${LEAKS[@]}" fork-discovery
q1=$(grep -c '^dns queries' "$TMP/server.err")
wanted "fork-discovery" &&
	echo "# fork-discovery: the DNS64 stand-in answered $((q1 - q0)) ipv4only.arpa queries"

# ---- 4. fork/exec storm
D="fork-exec: $EXECS fork+execve/posix_spawn of a translating probe while 4 threads"
D="$D connect"
run pass lib 180 "$D" T_THREADS=4 T_EXECS="$EXECS" fork-exec
run fail nolib 30 "fork-exec: fails without the library" T_THREADS=1 T_EXECS=2 fork-exec

# ---- 5. signals interrupting hooks: the native EINTR/restart semantics
# The TSan runtime defers a signal's handler to the next point it controls,
# so with SA_RESTART the restarted receive hides it: the reference run fails
# there too, without the library.
WHY="the TSan runtime defers signal handlers past restarted calls (fails without libclat too)"
san_skip thread "signals: reference run (127.0.0.1, no library)" "$WHY" ||
	run pass ref 60 "signals: reference run (127.0.0.1, no library)" T_CYCLES="$SIGCYC" signals
D="signals: EINTR without SA_RESTART (connect, recvfrom, recvmsg), restart with it,"
D="$D EINTR despite it with SO_RCVTIMEO/SO_SNDTIMEO, a handler using hooks"
san_skip thread "$D" "$WHY" || run pass lib 60 "$D" T_CYCLES="$SIGCYC" signals
san_skip thread "signals: fails without the library" "$WHY" ||
	run fail nolib 30 "signals: fails without the library" T_CYCLES=10 signals

# ---- 6. fd reuse
D="reuse-threads: translated, fresh plain and dup'd sockets on shared numbers"
D="$D (6 threads x $(scaled 5000))"
run pass lib 120 "$D" T_THREADS=6 T_ROUNDS="$(scaled 5000)" reuse-threads
run pass ref 60 "reuse-threads: reference run" T_THREADS=6 T_ROUNDS="$(scaled 1000)" \
	reuse-threads
D="close-range: $(scaled 300) rounds of 16 translated fds closed by close_range,"
D="$D CLOSE_RANGE_UNSHARE or closefrom, the numbers reused by fresh sockets"
run pass lib 120 "$D" T_ROUNDS="$(scaled 300)" close-range
run pass ref 60 "close-range: reference run" T_ROUNDS="$(scaled 100)" close-range
run fail nolib 30 "close-range: fails without the library" T_ROUNDS=2 close-range
D="closefrom-race: sockets another thread translates on numbers closefrom has just"
D="$D freed keep their state"
# closefrom() also closes the other thread's sockets above the range while
# that thread uses them: the test program's own race, which TSan rightly
# reports. close-range-race below checks the library's side under TSan.
san_skip thread "$D" "closefrom closes sockets another thread is using (the test program's own race)" ||
	run pass lib 120 "$D" T_ROUNDS="$(scaled 200)" closefrom-race
D="close-range-race: sockets another thread translates on numbers close_range has"
D="$D just freed keep their state"
run pass lib 120 "$D" T_ROUNDS="$(scaled 200)" close-range-race

# ---- 7. a thread in recvfrom while another thread's sendto switches the socket
D="switch-reader: $(scaled 500) UDP sockets switched by sendto while another thread"
D="$D sits in recvfrom on them; the echo reaches it with the IPv4 source"
run pass lib 120 "$D" T_ROUNDS="$(scaled 500)" switch-reader
run pass ref 60 "switch-reader: reference run" T_ROUNDS="$(scaled 200)" switch-reader
run fail nolib 30 "switch-reader: fails without the library" T_ROUNDS=2 switch-reader

# ---- the server survived all of it
check "s_server is still running" kill -0 "$SERVER_PID"

echo "# total time $(($(date +%s) - START)) s"
[ "$SKIPPED" = 0 ] || echo "# $SKIPPED skipped"
echo "stress: $PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]
