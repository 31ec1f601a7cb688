#!/bin/bash
# run-hostile.sh: libclat among hostile processes, files and limits (issue
# 15), in a private network namespace like run-netns.sh (lo only, IPv4
# unrouted, t_server on [::]) and, per run, a private mount namespace where
# /etc/hosts gives NAME an AAAA record only (so the address mapper hands out
# 10.170.160.x for it) and /dev/log is a socket of this script:
#   mapper: a root process that drops to uid 65534 keeps no write access to
#     root's table and cannot steer a later root connect; a truncated table
#     and a full filesystem (a small tmpfs) are no SIGBUS; corrupt header
#     bytes fail open, never abort; a killed lock holder stalls nobody, a
#     stuck one leaves the mapper off for that call;
#   log: a FIFO (with and without a reader), a link, another user's file
#     and a file at the RLIMIT_FSIZE limit are not written (no hang, no
#     SIGXFSZ), syslog gets one line saying why; a newline in a logged
#     value forges no line.
# Every case also runs a control showing that the setup really reaches the
# code under test (the mapping exists, the log file is written when sane).
#
# Environment (set by tests/Makefile.am): CLAT_LIB, TESTS_BUILDDIR. Root only:
# skips (77) otherwise, unless CLAT_REQUIRE_ROOT_TESTS=1. CLAT_NETNS_KEEP=1
# keeps the scratch directory.
# Output: TAP-like "ok N - ..." lines, then "hostile: N passed, M failed".
set -u

# ---------------------------------------------------------------- inside
# "$0 --inside DIR TMPFS|- CMD...": in the private mount namespace.
if [ "${1:-}" = --inside ]; then
	dir=$2 small=$3
	shift 3
	mount --make-rprivate / || exit 125
	mount --bind "$dir/hosts" /etc/hosts || exit 125
	mount --bind "$dir/nsswitch.conf" /etc/nsswitch.conf || exit 125
	if [ "$small" != - ]; then
		mount -t tmpfs -o size=64k,mode=700 clat-full "$small" || exit 125
	fi
	# A /dev of this namespace's own: the nodes programs use, and /dev/log
	# as this script's syslog socket.
	dev=$(mktemp -d "$dir/dev.XXXXXX") || exit 125
	mount -t tmpfs -o mode=755 clat-dev "$dev" || exit 125
	for n in null zero full random urandom; do
		: >"$dev/$n" && mount --bind "/dev/$n" "$dev/$n" || exit 125
	done
	: >"$dev/log" && mount --bind "$dir/syslog.sock" "$dev/log" || exit 125
	mount --rbind "$dev" /dev || exit 125
	exec "$@"
fi

: "${TESTS_BUILDDIR:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${CLAT_LIB:=$TESTS_BUILDDIR/../lib/.libs/libclat.so}"
SELF=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
B=$TESTS_BUILDDIR/netns
TMO=${CLAT_NETNS_TIMEOUT:-10}
NOBODY=65534

cannot_run() {
	if [ "${CLAT_REQUIRE_ROOT_TESTS:-0}" = 1 ]; then
		echo "not ok 1 - hostile layer cannot run: $1 (CLAT_REQUIRE_ROOT_TESTS=1)"
		echo "hostile: 0 passed, 1 failed"
		exit 1
	fi
	echo "SKIP: hostile layer: $1"
	exit 77
}

[ "$(id -u)" = 0 ] || cannot_run "not root"
for tool in ip ss timeout unshare mount mkfifo prlimit python3; do
	command -v "$tool" >/dev/null 2>&1 || cannot_run "$tool not found"
done
for p in t_server t_hostile; do
	[ -x "$B/$p" ] || cannot_run "$B/$p not built"
done

unset LD_PRELOAD CLAT_PREFIX CLAT_MODE CLAT_LOCAL_IPV4 CLAT_TRANSLATE_PRIVATE_WKP \
	CLAT_DEBUG CLAT_CONFIG CLAT_CACHE_DIR CLAT_DISCOVERY CLAT_DISCOVERED \
	CLAT_FALLBACK_PREFIX CLAT_MAP_POOL

# Sanitizer builds: the runtime goes first in LD_PRELOAD (tests/sanitize).
CLAT_PRELOAD=${CLAT_SAN_RUNTIME:+$CLAT_SAN_RUNTIME:}$CLAT_LIB

TMP=$(mktemp -d /tmp/clat-hostile.XXXXXX) || cannot_run "mktemp failed"
chmod 755 "$TMP"
NS=clathostile$$
SERVER_PID=""
SYSLOG_PID=""
BG_PIDS=""
cleanup() {
	trap '' INT TERM HUP
	local pid
	for pid in $BG_PIDS $SERVER_PID $SYSLOG_PID; do kill -9 "$pid" 2>/dev/null; done
	ip netns del "$NS" 2>/dev/null
	if [ "${CLAT_NETNS_KEEP:-0}" = 1 ]; then
		echo "# scratch directory kept: $TMP"
	else
		rm -rf "$TMP"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# ---------------------------------------------------------------- reporting
N=0; PASSED=0; FAILED=0
report() { # ok|"not ok" DESC [FILE...]
	local f
	N=$((N + 1))
	if [ "$1" = ok ]; then
		PASSED=$((PASSED + 1)); echo "ok $N - $2"
	else
		FAILED=$((FAILED + 1)); echo "not ok $N - $2"
		shift 2
		for f in "$@"; do [ -s "$f" ] && sed -e 's/^/#   /' "$f" | head -n 30; done
	fi
}
check() { # DESC COMMAND...
	local desc=$1
	shift
	if "$@"; then report ok "$desc"; else report "not ok" "$desc" "$OUT" "$ERR"; fi
}

# ---------------------------------------------------------------- fixtures
NSP=2001:db8:64::/96
DST=203.0.113.10
SYN=2001:db8:64::cb00:710a
NAME=v6only.test
NAME2=other.test
V6=2001:db8:1::10              # NAME's only address
V6_2=2001:db8:1::20            # NAME2's
ATTACK=2001:db8:bad::10        # where unprivileged code would send root
printf '127.0.0.1 localhost\n::1 localhost\n%s %s\n%s %s\n' "$V6" "$NAME" "$V6_2" "$NAME2" \
	>"$TMP/hosts"
printf 'passwd: files\ngroup: files\nhosts: files\n' >"$TMP/nsswitch.conf"
chmod 644 "$TMP/hosts" "$TMP/nsswitch.conf"

# /dev/log: every datagram one line in $SYSLOG.
SYSLOG=$TMP/syslog.txt
: >"$SYSLOG"
python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print("ready", flush=True)
with open(sys.argv[2], "ab", buffering=0) as out:
    while True:
        out.write(s.recv(65536).replace(b"\n", b" ") + b"\n")
' "$TMP/syslog.sock" "$SYSLOG" >"$TMP/syslog.ready" 2>&1 &
SYSLOG_PID=$!

ip netns add "$NS" || cannot_run "ip netns add failed"
ip -n "$NS" link set lo up
for a in $SYN $V6 $V6_2 $ATTACK; do
	ip -n "$NS" addr add "$a/128" dev lo nodad || cannot_run "ip addr add $a failed"
done
SLOG=$TMP/server.log
: >"$SLOG"
ip netns exec "$NS" "$B/t_server" -l "$SLOG" -t 7001 2>"$TMP/server.stderr" &
SERVER_PID=$!
ready=0
for _ in $(seq 1 100); do
	if ip netns exec "$NS" ss -ltnH 'sport = :7001' | grep -q . &&
	   grep -q ready "$TMP/syslog.ready" 2>/dev/null; then
		ready=1
		break
	fi
	sleep 0.1
done
[ $ready = 1 ] || cannot_run "t_server or the syslog socket did not start"

mark() { MARK=$(wc -l <"$SLOG"); SMARK=$(wc -l <"$SYSLOG"); }
since() { tail -n +$((MARK + 1)) "$SLOG"; }
syslog_since() { tail -n +$((SMARK + 1)) "$SYSLOG"; }
# The server saw exactly one TCP connection since the mark, to ADDR.
server_saw() { [ "$(since | awk '$1 == "tcp"' | wc -l)" = 1 ] && since | awk '{print $6}' | grep -qx "$1"; }
# Nothing reached the server since the mark.
nothing_reached() { [ -z "$(since)" ]; }

# xrun [-f DIR] [VAR=VALUE]... -- COMMAND...: COMMAND under the library in
# the namespaces (-f: a 64 KiB tmpfs mounted on DIR); stdout $OUT, stderr
# $ERR, status $RC.
RUNS=0; OUT=""; ERR=""; RC=0; MARK=0; SMARK=0
xrun() {
	local small=- vars=()
	[ "$1" = -f ] && { small=$2; shift 2; }
	while [ $# -gt 0 ] && [ "$1" != -- ]; do vars+=("$1"); shift; done
	shift
	RUNS=$((RUNS + 1))
	OUT=$TMP/run.$RUNS.out
	ERR=$TMP/run.$RUNS.err
	timeout -k 2 "$TMO" ip netns exec "$NS" unshare --mount --propagation private -- \
		/bin/bash "$SELF" --inside "$TMP" "$small" \
		env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C \
		LD_PRELOAD="$CLAT_PRELOAD" CLAT_PREFIX=$NSP CLAT_DISCOVERY=no \
		CLAT_CACHE_DIR="$TMP/cache" "${vars[@]}" "$@" >"$OUT" 2>"$ERR"
	RC=$?
	[ $RC = 124 ] && echo "(timed out after ${TMO}s)" >>"$ERR"
	return 0
}
has() { grep -qE -- "$1" "$OUT"; }
pool_of() { sed -n "s/^resolve $1 \\(10\\.170\\.[0-9.]*\\)\$/\\1/p" "$OUT" | head -n 1; }
fresh_cache() { rm -rf "$TMP/cache"; mkdir -m 700 "$TMP/cache"; }
# waitfor FILE REGEX: bounded wait for a background run's line.
waitfor() {
	local _
	for _ in $(seq 1 100); do grep -qE -- "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
	return 1
}
table() { ls "$TMP/cache"/addrmap-v*-uid0-* 2>/dev/null | head -n 1; }

# ================================================================ mapper
echo "# ---- address mapper: privilege drops, truncation, full filesystem, corrupt header, lock holders"
fresh_cache
xrun -- "$B/t_hostile" resolve "$NAME"
check "control: $NAME (AAAA only) gets a pool address from the mapper" \
	eval "[ -n \"\$(pool_of $NAME)\" ]"
A=$(pool_of "$NAME")
A=${A:-10.170.160.1}
mark; xrun -- "$B/t_hostile" connect "$A" 7001
check "control: a connect to $A reaches $V6" eval "has '^connect ok PEER 6 ' && server_saw $V6"

# A root process drops to $NOBODY while the next root process connects.
mkfifo "$TMP/drop.in"
exec 7<>"$TMP/drop.in"
DROP_OUT=$TMP/drop.out
timeout -k 2 60 ip netns exec "$NS" unshare --mount --propagation private -- \
	/bin/bash "$SELF" --inside "$TMP" - \
	env -i PATH=/usr/bin:/bin LC_ALL=C LD_PRELOAD="$CLAT_PRELOAD" CLAT_PREFIX=$NSP \
	CLAT_DISCOVERY=no CLAT_CACHE_DIR="$TMP/cache" \
	"$B/t_hostile" drop "$NAME" "$ATTACK" <"$TMP/drop.in" >"$DROP_OUT" 2>&1 7>&- &
DROP_PID=$!
BG_PIDS="$BG_PIDS $DROP_PID"
OUT=$DROP_OUT; ERR=/dev/null
check "privilege drop: the process resolved as root, dropped to $NOBODY and is still running" \
	eval "waitfor '$DROP_OUT' '^holding' && grep -q '^dropped euid=$NOBODY' '$DROP_OUT'"
check "privilege drop: root's table is no longer mapped writable after the next mapper call" \
	eval "grep -qE '^table-mapping (none|ro)\$' '$DROP_OUT' && grep -q '^attack impossible' '$DROP_OUT'"
check "privilege drop: root's table file cannot be opened for writing (nor locked)" \
	grep -q '^open-rw EACCES' "$DROP_OUT"
mark; xrun -- "$B/t_hostile" connect "$A" 7001
check "privilege drop: while it lives, a root connect to $A reaches $V6, not $ATTACK" \
	eval "has '^connect ok PEER 6 ' && server_saw $V6"
exec 7>&-
wait "$DROP_PID" 2>/dev/null

# Truncation under a live process.
fresh_cache
xrun -- "$B/t_hostile" truncate "$NAME" "$NAME2"
check "truncated table: the process lives on (no SIGBUS) and every call returns" \
	eval "[ $RC = 0 ] && has '^truncated ' && has '^alive\$'"
check "truncated table: the mapper is off for those calls (no answer, connect fails open)" \
	eval "has '^resolve $NAME2 error ' && has '^connect (ENETUNREACH|ECONNREFUSED)'"

# A full filesystem under CLAT_CACHE_DIR: the table cannot be allocated.
mkdir -m 700 "$TMP/small"
xrun -f "$TMP/small" CLAT_CACHE_DIR="$TMP/small" CLAT_DEBUG="$TMP/full.log" -- \
	"$B/t_hostile" resolve "$NAME"
check "full filesystem (64 KiB tmpfs): no SIGBUS, $NAME still mapped (private table)" \
	eval "[ $RC = 0 ] && [ -n \"\$(pool_of $NAME)\" ]"
check "full filesystem: the log says the table could not be allocated" \
	grep -q 'cannot allocate' "$TMP/full.log"

# Corrupt bytes: where a lock could live (just past the header fields), then
# the whole header.
fresh_cache
xrun -- "$B/t_hostile" resolve "$NAME"
T=$(table)
python3 -c 'import sys; f = open(sys.argv[1], "r+b"); f.seek(64); f.write(b"\x40" * 64)' "$T"
mark; xrun -- "$B/t_hostile" connect "$A" 7001
check "0x40 over the 64 bytes after the header fields: no abort, $A still reaches $V6" \
	eval "[ $RC = 0 ] && has '^connect ok PEER 6 ' && server_saw $V6"
python3 -c 'import sys; f = open(sys.argv[1], "r+b"); f.write(b"\x40" * 64)' "$T"
mark; xrun CLAT_DEBUG="$TMP/corrupt.log" -- "$B/t_hostile" resolve "$NAME"
check "0x40 over the whole header: no abort, the table is refused (logged), a private one answers" \
	eval "[ $RC = 0 ] && [ -n \"\$(pool_of $NAME)\" ] && \
	      grep -q 'ignored: not a table for this pool' '$TMP/corrupt.log'"
mark; xrun -- "$B/t_hostile" connect "$A" 7001
check "... and a connect to $A by another process fails open (ENETUNREACH), nothing sent" \
	eval "[ $RC = 0 ] && has '^connect ENETUNREACH' && nothing_reached"

# Lock holders: one killed (-9) while holding, one alive and stuck.
fresh_cache
xrun -- "$B/t_hostile" resolve "$NAME"
T=$(table)
run_holder() {
	# No timeout(1) in between: SIGKILL must reach the holder itself. It
	# ends at EOF on its stdin, or in cleanup.
	"$B/t_hostile" hold "$T" <"$TMP/hold.in" >"$TMP/hold.out" 2>&1 8>&- &
	HOLD_PID=$!
	BG_PIDS="$BG_PIDS $HOLD_PID"
}
mkfifo "$TMP/hold.in"
exec 8<>"$TMP/hold.in"
run_holder
waitfor "$TMP/hold.out" '^held'
kill -9 "$HOLD_PID"; wait "$HOLD_PID" 2>/dev/null
mark; xrun -- "$B/t_hostile" connect "$A" 7001
check "a lock holder killed with SIGKILL stalls nobody: $A reaches $V6" \
	eval "has '^connect ok PEER 6 ' && server_saw $V6"
run_holder
OUT=$TMP/hold.out
check "control: a live holder has the lock" waitfor "$TMP/hold.out" '^held'
mark; xrun CLAT_DEBUG="$TMP/stuck.log" -- "$B/t_hostile" connect "$A" 7001
check "a live holder that never lets go: the call fails open (ENETUNREACH), no hang" \
	eval "[ $RC = 0 ] && has '^connect ENETUNREACH' && nothing_reached && \
	      grep -q 'table lock unavailable' '$TMP/stuck.log'"
exec 8>&-
wait "$HOLD_PID" 2>/dev/null

# ================================================================ log sink
echo "# ---- log sink: FIFOs, links, other users' files, RLIMIT_FSIZE, escaping"
fresh_cache
mark; xrun CLAT_DEBUG="$TMP/plain.log" -- "$B/t_hostile" connect $DST 7001
check "control: a log file of root's is written, the connect translated" \
	eval "has '^connect ok PEER 6 ' && server_saw $SYN && grep -q 'settings:' '$TMP/plain.log'"

mkfifo -m 600 "$TMP/fifo"
mark; xrun CLAT_DEBUG="$TMP/fifo" -- "$B/t_hostile" connect $DST 7001
check "a FIFO nobody reads as the log: no hang, the connect translated" \
	eval "[ $RC = 0 ] && has '^connect ok PEER 6 ' && server_saw $SYN"
check "... and syslog got one line saying why" \
	eval "[ \"\$(syslog_since | grep -c 'log file .*fifo not used: a FIFO')\" = 1 ]"

cat "$TMP/fifo" >"$TMP/fifo.read" &
CAT_PID=$!
BG_PIDS="$BG_PIDS $CAT_PID"
mark; xrun CLAT_DEBUG="$TMP/fifo" -- "$B/t_hostile" connect $DST 7001
check "a FIFO with a reader: nothing written into it, the connect translated" \
	eval "[ $RC = 0 ] && has '^connect ok PEER 6 ' && server_saw $SYN && [ ! -s '$TMP/fifo.read' ]"
check "... and syslog says: not a regular file" \
	eval "[ \"\$(syslog_since | grep -c 'fifo not used: not a regular file')\" = 1 ]"
kill "$CAT_PID" 2>/dev/null; wait "$CAT_PID" 2>/dev/null

# A world-writable directory where uid $NOBODY planted the file.
mkdir -m 777 "$TMP/pub"
: >"$TMP/pub/clat.log"
chown $NOBODY:$NOBODY "$TMP/pub/clat.log"
chmod 666 "$TMP/pub/clat.log"
mark; xrun CLAT_DEBUG="$TMP/pub/clat.log" -- "$B/t_hostile" connect $DST 7001
check "another user's log file in a world-writable directory: not appended to" \
	eval "[ $RC = 0 ] && has '^connect ok PEER 6 ' && [ ! -s '$TMP/pub/clat.log' ]"
check "... and syslog says whose it is" \
	eval "syslog_since | grep -q 'clat.log not used: owned by uid $NOBODY, not by uid 0 or root'"

: >"$TMP/target.log"
ln -s "$TMP/target.log" "$TMP/pub/link.log"
mark; xrun CLAT_DEBUG="$TMP/pub/link.log" -- "$B/t_hostile" connect $DST 7001
check "a symbolic link as the log: not followed (target empty), syslog says so" \
	eval "[ $RC = 0 ] && [ ! -s '$TMP/target.log' ] && \
	      syslog_since | grep -q 'link.log not used: a symbolic link'"

# RLIMIT_FSIZE: a log file already at the limit would mean SIGXFSZ. The
# limit is 1 MiB, not less: the TSan runtime writes a 512 KiB file at start
# (its shadow of read-only data, tsan.rodata.PID) and maps all of it, so a
# smaller limit kills instrumented code (the library) with SIGBUS when it
# reads its own constants.
FSIZE=1048576
head -c $FSIZE /dev/zero | tr '\0' 'x' >"$TMP/big.log"
mark; xrun CLAT_DEBUG="$TMP/big.log" -- prlimit --fsize=$FSIZE "$B/t_hostile" connect $DST 7001
check "a log file at the RLIMIT_FSIZE limit: no SIGXFSZ, the connect translated, file unchanged" \
	eval "[ $RC = 0 ] && has '^connect ok PEER 6 ' && [ \$(stat -c %s '$TMP/big.log') = $FSIZE ]"
check "... and syslog says it is at the file size limit" \
	eval "syslog_since | grep -q 'big.log not used: $FSIZE bytes, at the file size limit'"

# A value with a newline (here CLAT_CONFIG, printed by the settings line).
FORGED='libclat[1]: forged line'
xrun CLAT_DEBUG="$TMP/esc.log" CLAT_CONFIG="$TMP/none
$FORGED" -- "$B/t_hostile" connect $DST 7001
check "a newline in a logged value forges no line (written as \\x0a)" \
	eval "grep -q 'settings:' '$TMP/esc.log' && ! grep -q '^libclat\\[1\\]: forged' '$TMP/esc.log' && \
	      grep -qF 'none\\x0alibclat[1]: forged line' '$TMP/esc.log'"

echo "1..$N"
echo "hostile: $PASSED passed, $FAILED failed"
[ $FAILED = 0 ]
