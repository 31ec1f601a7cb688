#!/bin/bash
# run-preload.sh: libclat loaded the fleet way, and what must hold wherever
# it is loaded (issue #6):
#   1. /etc/ld.so.preload for real: stock programs with no LD_PRELOAD, no
#      clatrun and no CLAT_* variable translate; shells, coreutils and python
#      start and behave exactly as without it;
#   2. secure mode: setuid-root, setgid-root and file-capability copies of a
#      probe run by an unprivileged user ignore every CLAT_* variable (the same
#      probe without the privilege honours them, so the cases cannot pass
#      vacuously), read only a root-owned /etc/clat.conf and a root-owned
#      system cache that nobody else may write, and open no log file the user
#      named;
#   3. two copies (LD_PRELOAD plus ld.so.preload, or twice in LD_PRELOAD) act
#      once; 4. another preload library wrapping connect() stacks with it in
#      both orders; 5. another library's constructor may use the network
#      before anything of libclat has run;
#   6./7. fail open: AF_INET6 refused by seccomp (EPERM, EAFNOSUPPORT), dup3 or
#      IPv6 options refused, no descriptor left (EMFILE): the program gets the
#      result and errno it gets without libclat, with no descriptor leaked.
#
# How /etc/ld.so.preload is replaced without touching the host: every command
# runs in the test network namespace (lo only, IPv4 to 203.0.113.10 has no
# route, the NAT64-synthesised addresses of it on lo, netns/t_server on [::]
# logging who reached it: netns/run-netns.sh's loopback trick) and in a mount
# namespace of its own, made private (mount --make-rprivate /), where an
# overlay on /etc provides empty placeholders (the host has no
# /etc/ld.so.preload to bind over) and the test's ld.so.preload, clat.conf and
# resolv.conf are bind-mounted over them; /var/cache gets a scratch directory
# (the system prefix cache) and /dev/log, if any, /dev/null. The script itself
# runs "$0 --inside DIR CMD..." in that namespace to mount, then execs CMD.
# The host's /etc/ld.so.preload, /etc/clat.conf and mount table are compared
# before and after.
#
# Environment (set by tests/Makefile.am): CLAT_LIB, TESTS_BUILDDIR. Root only:
# skips (77) otherwise, unless CLAT_REQUIRE_ROOT_TESTS=1, which turns a skip
# into a failure. CLAT_PRELOAD_KEEP=1 keeps the scratch directory;
# CLAT_PRELOAD_ONLY=REGEX runs only the sections whose name matches
# (fleet, secure, twice, stack, early, failopen).
# Output: TAP-like "ok N - ..." lines, then "preload: N passed, M failed".
set -u

# ---------------------------------------------------------------- inside
# "$0 --inside DIR CMD...": runs in the fresh mount namespace as root.
if [ "${1:-}" = --inside ]; then
	dir=$2
	shift 2
	mount --make-rprivate / || exit 125
	mount -t overlay clat-test-etc \
		-o "lowerdir=/etc,upperdir=$dir/upper,workdir=$dir/work" /etc || exit 125
	mount --bind "$dir/resolv.conf" /etc/resolv.conf || exit 125
	mount --bind "$dir/varcache" /var/cache || exit 125
	if [ -e /dev/log ]; then mount --bind /dev/null /dev/log || exit 125; fi
	if [ -e "$dir/clat.conf" ]; then mount --bind "$dir/clat.conf" /etc/clat.conf || exit 125; fi
	# Last: from here on every new program loads what it lists.
	if [ -e "$dir/ld.so.preload" ]; then
		mount --bind "$dir/ld.so.preload" /etc/ld.so.preload || exit 125
	fi
	exec "$@"
fi

: "${TESTS_BUILDDIR:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${CLAT_LIB:=$TESTS_BUILDDIR/../lib/.libs/libclat.so}"
: "${CLATRUN:=$TESTS_BUILDDIR/../tools/clatrun}"
SELF=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
B=$TESTS_BUILDDIR/preload
TMO=15
NOBODY=65534

cannot_run() {
	if [ "${CLAT_REQUIRE_ROOT_TESTS:-0}" = 1 ]; then
		echo "not ok 1 - preload layer cannot run: $1 (CLAT_REQUIRE_ROOT_TESTS=1)"
		echo "preload: 0 passed, 1 failed"
		exit 1
	fi
	echo "SKIP: preload layer: $1"
	exit 77
}

[ "$(id -u)" = 0 ] || cannot_run "not root"
for tool in ip ss timeout unshare setpriv mount findmnt sha256sum; do
	command -v "$tool" >/dev/null 2>&1 || cannot_run "$tool not found"
done
grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null ||
	cannot_run "no overlay filesystem (needed to mount over /etc privately)"
for f in "$B/p_probe" "$B/p_failopen" "$TESTS_BUILDDIR/netns/t_server" \
	"$B/.libs/libpcount.so" "$B/.libs/libpearly.so" "$CLAT_LIB"; do
	[ -e "$f" ] || cannot_run "$f not built"
done

# Nothing from the caller's environment may steer the library or the tests.
unset LD_PRELOAD CLAT_PREFIX CLAT_MODE CLAT_LOCAL_IPV4 CLAT_TRANSLATE_PRIVATE_WKP \
	CLAT_DEBUG CLAT_CONFIG CLAT_CACHE_DIR CLAT_DISCOVERY CLAT_DISCOVERED \
	CLAT_FALLBACK_PREFIX

# The host's state, compared at the end.
host_state() {
	local f
	for f in /etc/ld.so.preload /etc/clat.conf /var/cache/libclat/prefix; do
		if [ -e "$f" ] || [ -L "$f" ]; then
			echo "$f $(stat -c '%u:%g:%a:%i' "$f") $(sha256sum <"$f" | cut -c1-64)"
		else
			echo "$f absent"
		fi
	done
	findmnt -rn -o TARGET | grep -E '^/(etc|var/cache|dev/log)(/|$)' | sort
}
HOST_BEFORE=$(host_state)

TMP=$(mktemp -d /tmp/clat-preload.XXXXXX) || cannot_run "mktemp failed"
NS=clatpreload$$
SERVER_PID=""
cleanup() {
	trap '' INT TERM HUP    # a second signal must not cut the cleanup short
	[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null
	[ -n "$DNS_PID" ] && kill "$DNS_PID" 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	if [ "${CLAT_PRELOAD_KEEP:-0}" = 1 ]; then
		echo "# scratch directory kept: $TMP"
	else
		rm -rf "$TMP"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
# The unprivileged user must reach the programs, libraries and configs.
chmod 755 "$TMP"

PY=/usr/bin/python3
[ -x "$PY" ] || PY=""
STRACE=$(command -v strace 2>/dev/null)

# ---------------------------------------------------------------- addresses
NSP=2001:db8:64::/96
ATK=2001:db8:bad::/96                # the "attacker's" prefix
DST=203.0.113.10
SYN=2001:db8:64::cb00:710a           # $DST under $NSP (RFC 6052 2.2)
ATK_SYN=2001:db8:bad::cb00:710a      # $DST under $ATK

# A stock client: python3's create_connection, asserting what t_server saw.
PYTCP="import socket
s = socket.create_connection(('$DST', 7001), timeout=5)
s.sendall(b'PEER\n')
r = s.makefile().readline()
assert r.startswith('PEER 6 ') and ' LOCAL $SYN ' in r, r
assert s.getpeername() == ('$DST', 7001), s.getpeername()
assert s.family == socket.AF_INET, s.family
print('python-ok')"

# ---------------------------------------------------------------- reporting
N=0; PASSED=0; FAILED=0; SKIPPED=0
report() { # STATUS(ok|not ok|skip) DESC [OUTPUT-FILE...]
	local f
	N=$((N + 1))
	case $1 in
	ok) PASSED=$((PASSED + 1)); echo "ok $N - $2" ;;
	skip) SKIPPED=$((SKIPPED + 1)); echo "ok $N - $2 # SKIP" ;;
	*) FAILED=$((FAILED + 1)); echo "not ok $N - $2"
	   shift 2
	   for f in "$@"; do
		[ -s "$f" ] && sed -e 's/^/#   /' "$f" | head -n 40
	   done ;;
	esac
}
section() { # NAME TITLE: false when CLAT_PRELOAD_ONLY excludes NAME
	[ -z "${CLAT_PRELOAD_ONLY:-}" ] || echo "$1" | grep -Eq -- "$CLAT_PRELOAD_ONLY" ||
		return 1
	echo "# ---- $2"
}

# ---------------------------------------------------------------- fixtures
mkdir -p "$TMP/lib" "$TMP/lib2" "$TMP/bin" "$TMP/conf" "$TMP/runs" "$TMP/user" "$TMP/out"
chmod 755 "$TMP/lib" "$TMP/lib2" "$TMP/bin" "$TMP/conf" "$TMP/user"
chmod 777 "$TMP/out"      # the unprivileged probe writes its own files here
# The fleet's library (what an admin would install), a second copy at a
# different path, the other preload libraries, the probes.
install -m 755 "$CLAT_LIB" "$TMP/lib/libclat.so"
install -m 755 "$CLAT_LIB" "$TMP/lib2/libclat.so"
install -m 755 "$B/.libs/libpcount.so" "$TMP/lib/libpcount.so"
install -m 755 "$B/.libs/libpearly.so" "$TMP/lib/libpearly.so"
install -m 755 "$B/p_probe" "$TMP/bin/p_probe"
install -m 755 "$B/p_failopen" "$TMP/bin/p_failopen"
LIBCLAT=$TMP/lib/libclat.so
LIBCLAT2=$TMP/lib2/libclat.so
PCOUNT=$TMP/lib/libpcount.so
PEARLY=$TMP/lib/libpearly.so
PROBE=$TMP/bin/p_probe
FAILOPEN=$TMP/bin/p_failopen

conf() { # NAME MODE OWNER LINES...: $TMP/conf/NAME
	local name=$1 mode=$2 owner=$3
	shift 3
	printf '%s\n' "# libclat preload test: $name" "$@" >"$TMP/conf/$name"
	chown "$owner" "$TMP/conf/$name"
	chmod "$mode" "$TMP/conf/$name"
}
conf fleet.conf 644 0:0 "prefix = $NSP" "mode = auto" "discovery = no"
conf fleet-always.conf 644 0:0 "prefix = $NSP" "mode = always" "discovery = no"
conf world-writable.conf 666 0:0 "prefix = $NSP" "discovery = no"
conf group-writable.conf 664 0:0 "prefix = $NSP" "discovery = no"
conf user-owned.conf 644 $NOBODY:$NOBODY "prefix = $NSP" "discovery = no"
conf noprefix.conf 644 0:0 "discovery = no"
conf discover.conf 644 0:0 "discovery = yes"
mkdir -p "$TMP/conflog" && chmod 700 "$TMP/conflog"
conf rootlog.conf 644 0:0 "prefix = $NSP" "discovery = no" "log = $TMP/conflog/suid.log"
# What the unprivileged user controls: a config and a prefix cache naming
# the attacker's prefix, and a directory it may write.
chown $NOBODY:$NOBODY "$TMP/user"
printf 'prefix = %s\ndiscovery = no\n' "$ATK" >"$TMP/user/evil.conf"
chown $NOBODY:$NOBODY "$TMP/user/evil.conf"
cache_text() { # PREFIX: a fresh cache entry (core/prefix_cache.c's format) of
	local now   # the test namespace's network ($NETID, set once it exists)
	now=$(date +%s)
	printf 'version 2\nsource dns64\nnegative no\nprefix %s\nfetched %s\nexpires %s\nresolver 127.0.0.1\nnetwork %s\n' \
		"$1" "$now" $((now + 3600)) "$NETID"
}

# ---------------------------------------------------------------- namespace
ip netns add "$NS" || cannot_run "ip netns add failed"
ip -n "$NS" link set lo up
for a in $SYN $ATK_SYN; do
	ip -n "$NS" addr add "$a/128" dev lo nodad || cannot_run "ip addr add $a failed"
done
SLOG=$TMP/server.log
: >"$SLOG"
ip netns exec "$NS" "$TESTS_BUILDDIR/netns/t_server" -l "$SLOG" -t 7001 -u 7002 \
	2>"$TMP/server.stderr" &
SERVER_PID=$!
ready=0
for _ in $(seq 1 100); do
	if ip netns exec "$NS" ss -ltnH 'sport = :7001' | grep -q . &&
	   ip netns exec "$NS" ss -lunH 'sport = :7002' | grep -q .; then
		ready=1
		break
	fi
	kill -0 "$SERVER_PID" 2>/dev/null || break
	sleep 0.1
done
[ $ready = 1 ] || cannot_run "t_server did not start: $(cat "$TMP/server.stderr")"
# A DNS64 on 127.0.0.1:53 in the namespace, for the cases that need
# discovery to succeed: every AAAA query for ipv4only.arpa is answered with
# 192.0.0.170 and .171 under $NSP (RFC 7050 s2), anything else NXDOMAIN.
DNS_PID=""
start_dns64() {
	ip netns exec "$NS" python3 -c '
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 53))
print("ready", flush=True)
wka = [socket.inet_pton(socket.AF_INET6, sys.argv[1] + w) for w in ("c000:aa", "c000:ab")]
while True:
    q, peer = s.recvfrom(512)
    end = 12
    while end < len(q) and q[end] != 0:
        end += q[end] + 1
    qtype = struct.unpack("!H", q[end + 1:end + 3])[0] if end + 3 <= len(q) else 0
    name = q[12:end + 1].lower()
    question = q[12:end + 5]
    if name == b"\x08ipv4only\x04arpa\x00" and qtype == 28:
        answers = b"".join(b"\xc0\x0c" + struct.pack("!HHIH", 28, 1, 600, 16) + a for a in wka)
        s.sendto(q[:2] + struct.pack("!HHHHH", 0x8180, 1, 2, 0, 0) + question + answers, peer)
    else:
        s.sendto(q[:2] + struct.pack("!HHHHH", 0x8183, 1, 0, 0, 0) + question, peer)
' "${NSP%/96}" >"$TMP/dns64.out" 2>&1 &
	DNS_PID=$!
	for _ in $(seq 1 100); do grep -q ready "$TMP/dns64.out" 2>/dev/null && return; sleep 0.1; done
}
stop_dns64() { [ -n "$DNS_PID" ] && kill "$DNS_PID" 2>/dev/null; wait "$DNS_PID" 2>/dev/null; DNS_PID=""; }
log_mark() { wc -l <"$SLOG"; }
log_since() { tail -n +$(($1 + 1)) "$SLOG"; }
echo "# namespace $NS: IPv4 unrouted; $SYN ($DST under $NSP) and $ATK_SYN ($DST under $ATK) on lo"


# ---------------------------------------------------------------- running
# xrun [OPTIONS] [VAR=VALUE]... [--] COMMAND...
#   -p FILE...  (repeatable) a line of the test /etc/ld.so.preload; none:
#               an empty one (the "without the library" runs)
#   -c FILE     the file bind-mounted on /etc/clat.conf (default: fleet.conf;
#               "none": an empty placeholder)
#   -s FILE     installed as the system cache /var/cache/libclat/prefix
#   -m MODE     ... with this mode (default 644)
#   -d MODE     /var/cache/libclat exists beforehand with this mode
#   -U          run as uid/gid 65534 with no groups (setpriv)
# Runs COMMAND with only PATH, HOME=/, LC_ALL=C and the given variables in
# the test namespace; stdout in $OUT, stderr in $ERR, exit status in $RC,
# this run's scratch directory in $R.
OUT=""; ERR=""; RC=0; R=""; RUNS=0
xrun() {
	local preload=() cnf=$TMP/conf/fleet.conf cache="" cmode=644 dmode="" user=() vars=()
	while [ $# -gt 0 ]; do
		case $1 in
		-p) preload+=("$2"); shift 2 ;;
		-c) cnf=$2; shift 2 ;;
		-s) cache=$2; shift 2 ;;
		-m) cmode=$2; shift 2 ;;
		-d) dmode=$2; shift 2 ;;
		-U) user=(setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups --); shift ;;
		--) shift; break ;;
		*=*) vars+=("$1"); shift ;;
		*) break ;;
		esac
	done
	RUNS=$((RUNS + 1))
	R=$TMP/runs/$RUNS
	mkdir -p "$R/upper" "$R/work" "$R/varcache"
	chmod 755 "$R" "$R/upper" "$R/varcache"
	# Placeholders in the /etc overlay, replaced by bind mounts.
	: >"$R/upper/ld.so.preload"
	: >"$R/upper/clat.conf"
	: >"$R/upper/resolv.conf"
	chmod 644 "$R/upper/ld.so.preload" "$R/upper/clat.conf" "$R/upper/resolv.conf"
	# Discovery, when a case turns it on, asks a resolver that is not there.
	printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' >"$R/resolv.conf"
	chmod 644 "$R/resolv.conf"
	# (mount --bind follows the link: the file itself is mounted.)
	[ "$cnf" = none ] || ln -s "$cnf" "$R/clat.conf"
	if [ ${#preload[@]} -gt 0 ]; then
		printf '%s\n' "${preload[@]}" >"$R/ld.so.preload"
		chmod 644 "$R/ld.so.preload"
	fi
	if [ -n "$dmode" ]; then
		mkdir -p "$R/varcache/libclat"
		chmod "$dmode" "$R/varcache/libclat"
	fi
	if [ -n "$cache" ]; then
		mkdir -p "$R/varcache/libclat"
		chmod 755 "$R/varcache/libclat"
		install -m "$cmode" "$cache" "$R/varcache/libclat/prefix"
	fi
	OUT=$R/stdout
	ERR=$R/stderr
	echo "${vars[*]} ${user[*]} $*" >"$R/cmd"
	timeout -k 2 $TMO ip netns exec "$NS" unshare --mount --propagation private -- \
		/bin/bash "$SELF" --inside "$R" \
		env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		HOME=/ LC_ALL=C "${vars[@]}" "${user[@]}" "$@" >"$OUT" 2>"$ERR"
	RC=$?
	[ $RC = 124 ] && echo "(timed out after ${TMO}s)" >>"$ERR"
	[ $RC = 125 ] && echo "(the private mounts could not be made)" >>"$ERR"
}

# check DESC COMMAND...: passes when COMMAND succeeds; on failure shows the
# last run's command, output and the server log since $MARK.
MARK=0
check() {
	local desc=$1 diag=$TMP/diag.$((N + 1))
	shift
	if "$@" >"$diag" 2>&1; then
		report ok "$desc"
	else
		{
			echo "-- check: $*"
			echo "-- last run ($R/cmd): $(cat "$R/cmd" 2>/dev/null), exit status $RC"
			echo "-- stdout:"; cat "$OUT" 2>/dev/null
			echo "-- stderr:"; cat "$ERR" 2>/dev/null
			echo "-- server log since the mark:"; log_since "$MARK"
		} >>"$diag"
		report "not ok" "$desc" "$diag"
	fi
}
mark() { MARK=$(log_mark); }
rc_is() { [ "$RC" = "$1" ]; }
has() { grep -qE -- "$1" "$OUT"; }
hasnt() { ! grep -qE -- "$1" "$OUT"; }
stderr_clean() { [ ! -s "$ERR" ]; }
# The server saw exactly N connections/datagrams since the mark, all of
# them over IPv6 to ADDR.
server_saw() { # PROTO N ADDR
	local lines
	lines=$(log_since "$MARK" | grep -E "^$1 ")
	[ "$(printf '%s' "$lines" | grep -c .)" = "$2" ] || return 1
	[ "$2" = 0 ] || ! printf '%s\n' "$lines" | grep -vqE "^$1 [0-9]+ 6 [^ ]+ [0-9]+ $3( |\$)"
}
nothing_reached() { [ -z "$(log_since "$MARK")" ]; }
# p_probe tcp went through, to the synthesised address ADDR, and the
# program saw the IPv4 peer.
probe_reached() { # ADDR
	rc_is 0 && has "^server PEER 6 [^ ]+ [0-9]+ LOCAL $1 " && has "^peer $DST:7001\$"
}
probe_unreach() { rc_is 1 && has '^connect ENETUNREACH$'; }
# Secure-mode probes: the probe really ran privileged for this user, and
# really received the variable under test (so it could have obeyed it).
probe_was() { # SECURE(0|1)
	has "^ids ruid=$NOBODY .* secure=$1\$" && has "^libclat-copies 1\$"
}

# A cache entry is used only on the network it was learned on: the identity
# (core/netid.h) of the test namespace as clatrun sees it there.
xrun -c none "$CLATRUN" --status --json
NETID=$(sed -n 's/.*"network": "\([0-9a-f]*\)".*/\1/p' "$OUT")
[ -n "$NETID" ] || cannot_run "no network identity from clatrun --status: $(cat "$OUT" "$ERR")"
mkdir -p "$TMP/user/cache"
cache_text "$ATK" >"$TMP/user/cache/prefix"
chown -R $NOBODY:$NOBODY "$TMP/user/cache"
chmod 755 "$TMP/user/cache"
chmod 644 "$TMP/user/cache/prefix"
cache_text "$NSP" >"$TMP/conf/cache-nsp"
cache_text "$ATK" >"$TMP/conf/cache-atk"

# ================================================================ sanity
if section infra "the private mount namespace"; then
	xrun -p "$LIBCLAT" cat /etc/ld.so.preload
	check "the test ld.so.preload is in place inside the namespace" \
		eval "rc_is 0 && [ \"\$(cat \"\$OUT\")\" = \"$LIBCLAT\" ]"
	# While a process inside holds the mounts, the host sees none of them.
	ip netns exec "$NS" unshare --mount --propagation private -- \
		/bin/bash "$SELF" --inside "$R" sleep 3 >/dev/null 2>&1 &
	holder=$!
	sleep 1
	check "... and invisible on the host while it is mounted" \
		eval '[ "$(host_state)" = "$HOST_BEFORE" ] && ! grep -qs libclat /etc/ld.so.preload'
	wait $holder
	xrun cat /proc/self/maps
	check "empty test ld.so.preload: nothing of libclat is loaded" \
		eval "rc_is 0 && hasnt libclat"
	xrun -p "$LIBCLAT" "$PROBE" info
	check "ld.so.preload: libclat is loaded with no LD_PRELOAD and no CLAT_* variable" \
		eval "rc_is 0 && has '^libclat $LIBCLAT\$' && has '^env LD_PRELOAD unset' && \
		      has '^env CLAT_PREFIX unset' && has '^env CLAT_CONFIG unset'"
fi

# ================================================================ 1. fleet
if section fleet "1. /etc/ld.so.preload: stock programs, no LD_PRELOAD, no clatrun"; then
	mark; xrun -p "$LIBCLAT" "$PROBE" tcp
	check "p_probe tcp: translated (server saw IPv6 to $SYN, getpeername $DST)" \
		eval "probe_reached $SYN && server_saw tcp 1 $SYN"
	mark; xrun "$PROBE" tcp
	check "p_probe tcp without the library: ENETUNREACH" eval "probe_unreach && nothing_reached"
	mark; xrun -p "$LIBCLAT" "$PROBE" udp
	check "p_probe udp: translated (server saw IPv6, recvfrom says $DST)" \
		eval "rc_is 0 && has '^server INFO 6 ' && has '^from $DST:7002\$' && server_saw udp 1 $SYN"
	mark; xrun "$PROBE" udp
	check "p_probe udp without the library: ENETUNREACH" \
		eval "rc_is 1 && has '^sendto ENETUNREACH' && nothing_reached"

	if [ -n "$PY" ]; then
		mark; xrun -p "$LIBCLAT" "$PY" -c "$PYTCP"
		check "python3 socket.create_connection: translated" \
			eval "rc_is 0 && has '^python-ok$' && stderr_clean && server_saw tcp 1 $SYN"
		mark; xrun "$PY" -c "$PYTCP"
		check "python3 socket.create_connection fails without the library" \
			eval "! rc_is 0 && grep -q 'unreachable' \"\$ERR\" && nothing_reached"
	else
		report skip "python3 not installed"
	fi
	if command -v curl >/dev/null 2>&1; then
		mark; xrun -p "$LIBCLAT" curl -sS --max-time 5 "http://$DST:7001/"
		check "curl http://$DST:7001/: translated" \
			eval "rc_is 0 && has '^peer 6 ' && stderr_clean && server_saw tcp 1 $SYN"
		mark; xrun curl -sS --max-time 5 "http://$DST:7001/"
		check "curl fails without the library" eval "! rc_is 0 && nothing_reached"
	else
		report skip "curl not installed"
	fi
	if command -v nc >/dev/null 2>&1; then
		mark; xrun -p "$LIBCLAT" sh -c "printf 'PEER\n' | nc -N -w 5 $DST 7001"
		check "nc: translated" \
			eval "rc_is 0 && has '^PEER 6 [^ ]+ [0-9]+ LOCAL $SYN ' && server_saw tcp 1 $SYN"
		mark; xrun sh -c "printf 'PEER\n' | nc -N -w 5 $DST 7001"
		check "nc fails without the library" eval "hasnt '^PEER' && nothing_reached"
	else
		report skip "nc not installed"
	fi

	# Programs that never touch IPv4 sockets: same output, clean stderr.
	printf 'line one\nline two\n' >"$TMP/conf/fixture.txt"
	chmod 644 "$TMP/conf/fixture.txt"
	same_as_without() { # DESC COMMAND...
		local desc=$1 a
		shift
		xrun "$@"
		a=$(cat "$OUT")
		[ "$RC" = 0 ] || { report "not ok" "$desc: reference run failed" "$OUT" "$ERR"; return; }
		xrun -p "$LIBCLAT" "$@"
		check "$desc: runs normally (same output, status 0, clean stderr)" \
			eval 'rc_is 0 && stderr_clean && [ "$(cat "$OUT")" = "$a" ]'
	}
	same_as_without "sh -c" sh -c 'echo "sh $((6 * 7))"; i=0; while [ $i -lt 3 ]; do i=$((i + 1)); done; echo $i'
	same_as_without "bash -c with a pipeline" bash -c 'seq 1 5 | sort -r | tr "\n" " "'
	same_as_without "ls" ls -l --time-style=+ "$TMP/conf/fixture.txt" /usr
	same_as_without "cat" cat "$TMP/conf/fixture.txt"
	same_as_without "date" date -u -d @86400 '+%Y-%m-%d %H:%M'
	same_as_without "id" id
	[ -n "$PY" ] && same_as_without "python3 -c 'print(1)'" "$PY" -c 'print(1)'
	xrun -p "$LIBCLAT" sh -c 'grep -c "$0" /proc/$$/maps' "$LIBCLAT"
	check "... and libclat is really mapped in them (sh)" eval "rc_is 0 && ! has '^0$'"
	[ -n "$PY" ] && {
		xrun -p "$LIBCLAT" "$PY" -c "print(open('/proc/self/maps').read().count('$LIBCLAT') > 0)"
		check "... and in python3" eval "rc_is 0 && has '^True$' && stderr_clean"
	}
	# The fleet config in always mode changes nothing for them either.
	xrun -p "$LIBCLAT" -c "$TMP/conf/fleet-always.conf" sh -c 'ls / >/dev/null && echo fine'
	check "mode = always: sh + ls run normally" eval "rc_is 0 && has '^fine$' && stderr_clean"
fi

# ================================================================ 2. secure
if section secure "2. secure mode: setuid/setgid/file-capability programs run by uid $NOBODY"; then
	SUID_DIR=$TMP/suid
	mkdir -p "$SUID_DIR" && chmod 755 "$SUID_DIR"
	if findmnt -n -o OPTIONS -T "$SUID_DIR" | tr ',' '\n' | grep -qx nosuid; then
		report skip "secure mode: $SUID_DIR is on a nosuid filesystem"
	else
		install -o 0 -g 0 -m 4755 "$B/p_probe" "$SUID_DIR/p_probe_suid"
		install -o 0 -g 0 -m 2755 "$B/p_probe" "$SUID_DIR/p_probe_sgid"
		install -o 0 -g 0 -m 0755 "$B/p_probe" "$SUID_DIR/p_probe_plain"
		SUID=$SUID_DIR/p_probe_suid
		PLAIN=$SUID_DIR/p_probe_plain
		P=(-p "$LIBCLAT" -U)

		xrun "${P[@]}" CLAT_PREFIX=$ATK "$SUID" tcp
		check "setuid probe: runs as euid 0 for uid $NOBODY, AT_SECURE, libclat loaded from ld.so.preload" \
			eval "has '^ids ruid=$NOBODY euid=0 ' && probe_was 1"
		check "setuid probe: libclat took CLAT_PREFIX out of its environment (as the loader does LD_*)" \
			has "^env CLAT_PREFIX unset\$"

		mark; xrun "${P[@]}" CLAT_PREFIX=$ATK "$SUID" tcp
		check "setuid: CLAT_PREFIX=$ATK ignored, the config file's $NSP used" \
			eval "probe_was 1 && probe_reached $SYN && server_saw tcp 1 $SYN"
		mark; xrun "${P[@]}" CLAT_PREFIX=$ATK "$PLAIN" tcp
		check "not setuid: the same CLAT_PREFIX=$ATK is honoured (reaches $ATK_SYN)" \
			eval "probe_was 0 && probe_reached $ATK_SYN && server_saw tcp 1 $ATK_SYN"
		mark; xrun "${P[@]}" CLAT_PREFIX=$ATK "$SUID" udp
		check "setuid: CLAT_PREFIX ignored for UDP too" \
			eval "rc_is 0 && probe_was 1 && server_saw udp 1 $SYN"

		mark; xrun "${P[@]}" CLAT_PREFIX=$ATK "$SUID_DIR/p_probe_sgid" tcp
		check "setgid-root probe: AT_SECURE, CLAT_PREFIX ignored" \
			eval "has ' egid=0 secure=1\$' && probe_reached $SYN && server_saw tcp 1 $SYN"
		if command -v setcap >/dev/null 2>&1 &&
		   install -o 0 -g 0 -m 0755 "$B/p_probe" "$SUID_DIR/p_probe_cap" &&
		   setcap cap_net_bind_service=ep "$SUID_DIR/p_probe_cap" 2>/dev/null; then
			mark; xrun "${P[@]}" CLAT_PREFIX=$ATK "$SUID_DIR/p_probe_cap" tcp
			check "file-capability probe (cap_net_bind_service): AT_SECURE, CLAT_PREFIX ignored" \
				eval "has '^ids ruid=$NOBODY euid=$NOBODY .* secure=1\$' && probe_reached $SYN && server_saw tcp 1 $SYN"
		else
			report skip "file capabilities: setcap missing or not supported here"
		fi

		mark; xrun "${P[@]}" CLAT_MODE=off "$SUID" tcp
		check "setuid: CLAT_MODE=off ignored (still translated)" \
			eval "probe_was 1 && probe_reached $SYN"
		mark; xrun "${P[@]}" CLAT_MODE=off "$PLAIN" tcp
		check "not setuid: CLAT_MODE=off honoured (ENETUNREACH)" \
			eval "probe_was 0 && probe_unreach && nothing_reached"

		mark; xrun "${P[@]}" CLAT_CONFIG="$TMP/user/evil.conf" "$SUID" tcp
		check "setuid: CLAT_CONFIG=<a config of uid $NOBODY naming $ATK> ignored" \
			eval "has '^env CLAT_CONFIG unset' && probe_was 1 && probe_reached $SYN && server_saw tcp 1 $SYN"
		mark; xrun "${P[@]}" CLAT_CONFIG="$TMP/user/evil.conf" "$PLAIN" tcp
		check "not setuid: that CLAT_CONFIG is honoured (reaches $ATK_SYN)" \
			eval "probe_was 0 && probe_reached $ATK_SYN"

		rm -f "$TMP/out/suid-debug.log" "$TMP/out/plain-debug.log"
		xrun "${P[@]}" CLAT_DEBUG="$TMP/out/suid-debug.log" "$SUID" tcp
		check "setuid: CLAT_DEBUG=<a file> ignored: not created, program works" \
			eval "probe_was 1 && has '^env CLAT_DEBUG unset' && probe_reached $SYN && \
			      [ ! -e '$TMP/out/suid-debug.log' ]"
		xrun "${P[@]}" CLAT_DEBUG=1 "$SUID" tcp
		check "setuid: CLAT_DEBUG=1 ignored: nothing on stderr" \
			eval "probe_was 1 && probe_reached $SYN && stderr_clean"
		xrun "${P[@]}" CLAT_DEBUG="$TMP/out/plain-debug.log" "$PLAIN" tcp
		check "not setuid: the same CLAT_DEBUG file is written" \
			eval "probe_was 0 && probe_reached $SYN && [ -s '$TMP/out/plain-debug.log' ]"
		rm -f "$TMP/conflog/suid.log"
		xrun "${P[@]}" -c "$TMP/conf/rootlog.conf" "$SUID" tcp
		check "setuid: a log file named by root's /etc/clat.conf is written" \
			eval "probe_reached $SYN && [ -s '$TMP/conflog/suid.log' ] && \
			      grep -q 'secure mode' '$TMP/conflog/suid.log'"

		for cf in world-writable:666 group-writable:664 user-owned:"owned by uid $NOBODY"; do
			name=${cf%%:*}; what=${cf#*:}
			rm -f "$TMP/out/refused-debug.log"
			mark; xrun "${P[@]}" -c "$TMP/conf/$name.conf" \
				CLAT_DEBUG="$TMP/out/refused-debug.log" "$SUID" tcp
			check "setuid: /etc/clat.conf $what is refused: library passive (ENETUNREACH)" \
				eval "probe_was 1 && probe_unreach && nothing_reached"
			check "setuid: ... and the CLAT_DEBUG file for the reason is not created" \
				test ! -e "$TMP/out/refused-debug.log"
			mark; xrun "${P[@]}" -c "$TMP/conf/$name.conf" "$PLAIN" tcp
			check "not setuid: the same /etc/clat.conf ($what) is used" \
				eval "probe_was 0 && probe_reached $SYN"
		done

		FUTURE=$(($(date +%s) + 3600))
		mark; xrun "${P[@]}" -c "$TMP/conf/noprefix.conf" \
			CLAT_DISCOVERED="$ATK $FUTURE dns64" "$SUID" tcp
		check "setuid: CLAT_DISCOVERED=$ATK ignored (no prefix: ENETUNREACH)" \
			eval "probe_was 1 && has '^env CLAT_DISCOVERED unset' && probe_unreach && nothing_reached"
		mark; xrun "${P[@]}" -c "$TMP/conf/noprefix.conf" \
			CLAT_DISCOVERED="$ATK $FUTURE dns64" "$PLAIN" tcp
		check "not setuid: that CLAT_DISCOVERED is honoured (reaches $ATK_SYN)" \
			eval "probe_was 0 && probe_reached $ATK_SYN"

		# Prefix caches: the system cache (root's, 0644) says $NSP, the
		# user's CLAT_CACHE_DIR says $ATK.
		C=(-c "$TMP/conf/discover.conf" CLAT_CACHE_DIR="$TMP/user/cache")
		mark; xrun "${P[@]}" -s "$TMP/conf/cache-nsp" "${C[@]}" "$SUID" tcp
		check "setuid: CLAT_CACHE_DIR ignored, root's system cache ($NSP) used" \
			eval "probe_was 1 && probe_reached $SYN && server_saw tcp 1 $SYN"
		mark; xrun "${P[@]}" -s "$TMP/conf/cache-nsp" "${C[@]}" "$PLAIN" tcp
		check "not setuid: the user's CLAT_CACHE_DIR ($ATK) is honoured" \
			eval "probe_was 0 && probe_reached $ATK_SYN"
		mark; xrun "${P[@]}" -c "$TMP/conf/discover.conf" -s "$TMP/conf/cache-atk" -m 666 \
			"$SUID" tcp
		check "setuid: a world-writable system cache ($ATK) is not read (ENETUNREACH)" \
			eval "probe_was 1 && probe_unreach && nothing_reached"
		mark; xrun "${P[@]}" -c "$TMP/conf/discover.conf" -s "$TMP/conf/cache-atk" -m 644 \
			"$SUID" tcp
		check "setuid: the same cache, root's and 0644, is read (reaches $ATK_SYN)" \
			eval "probe_was 1 && probe_reached $ATK_SYN"

		# LD_PRELOAD itself is dropped by the loader for setuid programs:
		# without ld.so.preload nothing translates them.
		mark; xrun -U LD_PRELOAD="$LIBCLAT" CLAT_PREFIX=$NSP "$SUID" tcp
		check "setuid with LD_PRELOAD only: the loader ignores it (not loaded, ENETUNREACH)" \
			eval "has '^libclat-copies 0\$' && probe_unreach && nothing_reached"
		check "... and without libclat the setuid program keeps CLAT_PREFIX (what libclat removes)" \
			has "^env CLAT_PREFIX=$NSP\$"

		# A setuid helper that keeps the caller's environment (su without
		# "-") and starts a root child, which is not in secure mode.
		rm -f "$TMP/out/child-debug.log"
		mark; xrun "${P[@]}" CLAT_PREFIX=$ATK CLAT_CONFIG="$TMP/user/evil.conf" \
			CLAT_DEBUG="$TMP/out/child-debug.log" "$SUID" suexec "$PLAIN" tcp
		check "setuid helper keeping the environment: its root child gets no CLAT_* variable" \
			eval "has '^ids ruid=0 euid=0 .* secure=0\$' && has '^env CLAT_PREFIX unset' && \
			      has '^env CLAT_CONFIG unset' && has '^env CLAT_DEBUG unset'"
		check "... the root child connects through /etc/clat.conf's $NSP, not the caller's $ATK" \
			eval "probe_reached $SYN && server_saw tcp 1 $SYN"
		check "... and no CLAT_DEBUG file of the caller's naming is created as root" \
			test ! -e "$TMP/out/child-debug.log"
		xrun -U CLAT_PREFIX=$ATK "$SUID" suexec "$PLAIN" info
		check "control, without libclat: the helper does hand CLAT_PREFIX to its root child" \
			eval "has '^ids ruid=0 euid=0 .* secure=0\$' && has '^env CLAT_PREFIX=$ATK\$'"

		# The system prefix cache: a DNS64 in the namespace answers for
		# these cases only, so discovery succeeds and a writer would write.
		start_dns64
		D=(-c "$TMP/conf/discover.conf")
		cache_files() { ls -A "$R/varcache/libclat" 2>/dev/null; }
		mark; xrun "${P[@]}" "${D[@]}" "$SUID" tcp
		check "setuid, discovery from the DNS64: translated through $NSP" \
			eval "probe_was 1 && probe_reached $SYN"
		check "... and the secure-mode process wrote no system cache" \
			eval "[ -z \"\$(cache_files)\" ]"
		mark; xrun -p "$LIBCLAT" "${D[@]}" "$PLAIN" tcp
		check "control: root, not setuid, writes the system cache after discovery" \
			eval "probe_reached $SYN && grep -q '^prefix $NSP\$' '$R/varcache/libclat/prefix'"
		# (stdout through a pipe: the probe's own output file would be
		# SIGXFSZ at the first line.)
		mark; xrun "${P[@]}" "${D[@]}" bash -o pipefail -c "prlimit --fsize=0 '$SUID' tcp | cat"
		check "setuid under prlimit --fsize=0: translated, no prefix.XXXXXX left" \
			eval "probe_reached $SYN && [ -z \"\$(cache_files)\" ]"
		mark; xrun -p "$LIBCLAT" "${D[@]}" bash -o pipefail -c "prlimit --fsize=0 '$PLAIN' tcp | cat"
		check "root under prlimit --fsize=0: no SIGXFSZ, translated, no cache or temporary file" \
			eval "probe_reached $SYN && [ -z \"\$(cache_files)\" ]"
		mark; xrun "${P[@]}" "${D[@]}" sh -c "umask 777; exec '$SUID' tcp"
		check "setuid under umask 777: translated, /var/cache/libclat not created" \
			eval "probe_reached $SYN && [ ! -e '$R/varcache/libclat' ]"
		mark; xrun -p "$LIBCLAT" "${D[@]}" sh -c "umask 777; exec '$PLAIN' tcp"
		check "root under umask 777: /var/cache/libclat made with mode 755, the cache 644" \
			eval "probe_reached $SYN && [ \"\$(stat -c %a '$R/varcache/libclat')\" = 755 ] && \
			      [ \"\$(stat -c %a '$R/varcache/libclat/prefix')\" = 644 ]"
		mark; xrun -p "$LIBCLAT" -d 000 "${D[@]}" "$PLAIN" tcp
		check "root repairs a d--------- /var/cache/libclat to 755 when it writes" \
			eval "probe_reached $SYN && [ \"\$(stat -c %a '$R/varcache/libclat')\" = 755 ]"
		xrun -d 000 "$CLATRUN" --doctor
		check "clatrun --doctor reports a /var/cache/libclat with mode 000" \
			eval "grep -q 'FAIL.*prefix cache dir.*mode 000' '$OUT'"
		stop_dns64
	fi
fi

# ================================================================ 3. twice
if section twice "3. two copies: LD_PRELOAD plus ld.so.preload"; then
	twice_tcp() { # DESC XRUN-ARGS...
		local desc=$1 dbg=$TMP/out/twice.$N.log st=$TMP/out/twice.$N.strace
		shift
		rm -f "$dbg"
		mark; xrun "$@" CLAT_DEBUG="$dbg" "$PROBE" tcp
		check "$desc: both copies mapped" \
			eval "has '^libclat $LIBCLAT\$' && has '^libclat $LIBCLAT2\$' && has '^libclat-copies 2\$'"
		check "$desc: one translated connection, getpeername $DST" \
			eval "probe_reached $SYN && server_saw tcp 1 $SYN"
		check "$desc: one family switch in the debug log (early, at socket())" \
			eval "[ \"\$(grep -cE 'is (now )?AF_INET6' '$dbg')\" = 1 ] && \
			      grep -q 'AF_INET6 from socket() on' '$dbg'"
		# The passive copy returns before it configures its log: a second
		# "settings:" line means that both copies are active.
		check "$desc: the second copy stays passive (one copy loads settings)" \
			eval "[ \"\$(grep -c 'settings:' '$dbg')\" = 1 ]"
		if [ -n "$STRACE" ]; then
			mark; xrun "$@" "$STRACE" -f -qq -o "$st" -e trace=socket,connect,dup3 "$PROBE" tcp
			check "$desc (strace): one socket(AF_INET6), no AF_INET TCP socket, no dup3, one connect to $SYN" \
				eval "probe_reached $SYN && \
				      [ \"\$(grep -c 'socket(AF_INET6' '$st')\" = 1 ] && \
				      ! grep -q 'socket(AF_INET, SOCK_STREAM' '$st' && \
				      ! grep -q 'dup3(' '$st' && \
				      [ \"\$(grep -c 'connect(.*$SYN' '$st')\" = 1 ]"
			mark; xrun "$@" CLAT_EARLY_SWITCH=0 "$STRACE" -f -qq -o "$st" -e trace=socket,connect,dup3 \
				"$PROBE" tcp
			check "$desc, late switch (strace): exactly one socket(AF_INET6), one dup3, one connect to $SYN" \
				eval "probe_reached $SYN && \
				      [ \"\$(grep -c 'socket(AF_INET6' '$st')\" = 1 ] && \
				      [ \"\$(grep -c 'dup3(' '$st')\" = 1 ] && \
				      [ \"\$(grep -c 'connect(.*$SYN' '$st')\" = 1 ]"
		fi
	}
	twice_tcp "LD_PRELOAD=copy 1 + ld.so.preload=copy 2" -p "$LIBCLAT2" LD_PRELOAD="$LIBCLAT"
	twice_tcp "LD_PRELOAD=copy 1:copy 2" LD_PRELOAD="$LIBCLAT:$LIBCLAT2"
	twice_tcp "LD_PRELOAD=copy 1 + ld.so.preload=copy 2, mode = always" \
		-p "$LIBCLAT2" -c "$TMP/conf/fleet-always.conf" LD_PRELOAD="$LIBCLAT"
	mark; xrun -p "$LIBCLAT2" LD_PRELOAD="$LIBCLAT" "$PROBE" udp
	check "two copies: UDP sendto translated once, recvfrom says $DST" \
		eval "rc_is 0 && has '^from $DST:7002\$' && server_saw udp 1 $SYN"
	mark; xrun -p "$LIBCLAT" LD_PRELOAD="$LIBCLAT" "$PROBE" tcp
	check "same path in LD_PRELOAD and ld.so.preload: loaded once, translated" \
		eval "has '^libclat-copies 1\$' && probe_reached $SYN && server_saw tcp 1 $SYN"
	if [ -n "$PY" ]; then
		mark; xrun -p "$LIBCLAT2" LD_PRELOAD="$LIBCLAT" "$PY" -c "$PYTCP"
		check "two copies: python3 create_connection translated once" \
			eval "rc_is 0 && has '^python-ok$' && server_saw tcp 1 $SYN"
	fi
fi

# ================================================================ 4. stack
if section stack "4. stacked with another preload library that wraps connect()"; then
	stacked() { # DESC WANT-COUNT XRUN-ARGS...
		local desc=$1 want=$2 cnt=$TMP/out/count.$N
		shift 2
		rm -f "$cnt"
		mark; xrun "$@" P_COUNT_OUT="$cnt" "$PROBE" tcp
		check "$desc: translated" eval "probe_reached $SYN && server_saw tcp 1 $SYN && stderr_clean"
		check "$desc: libpcount saw $want" grep -qx "libpcount: connect $want other=0" "$cnt"
	}
	# libpcount first: it sees the program's call; libclat first: libpcount
	# is libclat's "real" connect and sees its calls. This namespace has
	# no IPv4 address but 127.0.0.1, so mode auto makes no IPv4 try (it
	# could only fail); with an address (192.0.2.99/32 on lo, still no
	# route) it tries IPv4 first: on the early-switched socket as
	# ::ffff:a.b.c.d (AF_INET6), with CLAT_EARLY_SWITCH=0 on the AF_INET
	# socket. Mode always never tries.
	stacked "LD_PRELOAD=libpcount:libclat" "inet=1 inet6=0" LD_PRELOAD="$PCOUNT:$LIBCLAT"
	stacked "LD_PRELOAD=libclat:libpcount" "inet=0 inet6=1" LD_PRELOAD="$LIBCLAT:$PCOUNT"
	stacked "LD_PRELOAD=libclat:libpcount, late switch" "inet=0 inet6=1" \
		LD_PRELOAD="$LIBCLAT:$PCOUNT" CLAT_EARLY_SWITCH=0
	ip -n "$NS" addr add 192.0.2.99/32 dev lo
	stacked "LD_PRELOAD=libclat:libpcount, an IPv4 address on the host" "inet=0 inet6=2" \
		LD_PRELOAD="$LIBCLAT:$PCOUNT"
	stacked "LD_PRELOAD=libclat:libpcount, late switch, an IPv4 address on the host" \
		"inet=1 inet6=1" LD_PRELOAD="$LIBCLAT:$PCOUNT" CLAT_EARLY_SWITCH=0
	ip -n "$NS" addr del 192.0.2.99/32 dev lo
	stacked "LD_PRELOAD=libclat:libpcount, mode = always" "inet=0 inet6=1" \
		-c "$TMP/conf/fleet-always.conf" LD_PRELOAD="$LIBCLAT:$PCOUNT"
	stacked "ld.so.preload=libclat + LD_PRELOAD=libpcount" "inet=1 inet6=0" \
		-p "$LIBCLAT" LD_PRELOAD="$PCOUNT"
	stacked "ld.so.preload=libclat,libpcount" "inet=0 inet6=1" -p "$LIBCLAT" -p "$PCOUNT"
	stacked "ld.so.preload=libpcount,libclat" "inet=1 inet6=0" -p "$PCOUNT" -p "$LIBCLAT"
	cnt=$TMP/out/count.alone
	rm -f "$cnt"
	mark; xrun LD_PRELOAD="$PCOUNT" P_COUNT_OUT="$cnt" "$PROBE" tcp
	check "libpcount alone: ENETUNREACH, it saw the one AF_INET connect" \
		eval "probe_unreach && nothing_reached && grep -qx 'libpcount: connect inet=1 inet6=0 other=0' '$cnt'"
	if [ -n "$PY" ]; then
		rm -f "$cnt"
		mark; xrun -p "$LIBCLAT" -p "$PCOUNT" P_COUNT_OUT="$cnt" "$PY" -c "$PYTCP"
		check "python3 with ld.so.preload=libclat,libpcount: translated" \
			eval "rc_is 0 && has '^python-ok$' && server_saw tcp 1 $SYN && \
			      grep -qx 'libpcount: connect inet=0 inet6=1 other=0' '$cnt'"
	fi
fi

# ================================================================ 5. early
if section early "5. hooks called from another library's constructor"; then
	early() { # DESC XRUN-ARGS...
		local desc=$1 eo=$TMP/out/early.$N
		shift
		rm -f "$eo"
		mark; xrun "$@" P_EARLY_DST=$DST P_EARLY_PORT=7001 P_EARLY_OUT="$eo" "$PROBE" tcp
		check "$desc: the constructor's connect goes through libclat" \
			grep -qx "early via=$LIBCLAT" "$eo"
		check "$desc: the constructor's connection is translated" \
			eval "grep -qx 'early connect ok' '$eo' && \
			      grep -qE '^early server PEER 6 [^ ]+ [0-9]+ LOCAL $SYN ' '$eo'"
		check "$desc: then main runs and translates too (2 connections)" \
			eval "probe_reached $SYN && server_saw tcp 2 $SYN && stderr_clean"
	}
	# Constructors run in reverse load order: the library after libclat in
	# LD_PRELOAD initialises first.
	early "LD_PRELOAD=libclat:libpearly (libpearly's constructor first)" \
		LD_PRELOAD="$LIBCLAT:$PEARLY"
	early "LD_PRELOAD=libpearly:libclat" LD_PRELOAD="$PEARLY:$LIBCLAT"
	early "ld.so.preload=libclat + LD_PRELOAD=libpearly" -p "$LIBCLAT" LD_PRELOAD="$PEARLY"
	early "ld.so.preload=libclat,libpearly" -p "$LIBCLAT" -p "$PEARLY"
	early "ld.so.preload=libclat,libpearly, mode = always" -p "$LIBCLAT" -p "$PEARLY" \
		-c "$TMP/conf/fleet-always.conf"
	eo=$TMP/out/early.alone
	rm -f "$eo"
	mark; xrun LD_PRELOAD="$PEARLY" P_EARLY_DST=$DST P_EARLY_OUT="$eo" "$PROBE" tcp
	check "libpearly alone: its constructor gets ENETUNREACH, main too" \
		eval "grep -qx 'early connect ENETUNREACH' '$eo' && probe_unreach && nothing_reached"
fi

# ================================================================ 6/7. fail open
if section failopen "6./7. fail open: AF_INET6 refused (seccomp), switch steps refused, EMFILE"; then
	mode_of() { if [ "$1" = fleet-always ]; then echo always; else echo auto; fi; }
	# Every case must give what the program gets without libclat: the
	# IPv4 call's ENETUNREACH, socket still AF_INET, same descriptors.
	# p_failopen makes its socket before it blocks AF_INET6 (or takes
	# the descriptors), so these cases test the late switch
	# (CLAT_EARLY_SWITCH=0): an early-switched socket needs nothing more
	# at its connect. Blocked before socket() (P_BLOCK_FIRST, below), the
	# early switch falls back to the AF_INET socket the program asked for.
	# The library's debug log (a file: stderr must stay clean) shows that
	# the switch was attempted and where it stopped.
	failopen() { # PROTO BLOCK LOG-REGEX
		local proto=$1 blk=$2 logre=$3 cf ref dbg
		xrun "$FAILOPEN" "$proto" "$blk"
		ref=$OUT
		check "$proto $blk without the library: ENETUNREACH (reference)" \
			eval "rc_is 0 && has '^result $proto .*errno=ENETUNREACH domain=AF_INET'"
		for cf in fleet fleet-always; do
			dbg=$TMP/out/failopen.$N.log
			mark; xrun -p "$LIBCLAT" -c "$TMP/conf/$cf.conf" CLAT_DEBUG="$dbg" \
				CLAT_EARLY_SWITCH=0 "$FAILOPEN" "$proto" "$blk"
			check "$proto $blk, mode $(mode_of $cf): the switch was tried and stopped ($logre)" \
				grep -qE "switch: fd [0-9]+: $logre" "$dbg"
			check "$proto $blk, mode $(mode_of $cf): fails open (ENETUNREACH, AF_INET, no fd leaked)" \
				eval "rc_is 0 && has '^result $proto .*errno=ENETUNREACH domain=AF_INET\$' && \
				      has '^again $proto .*errno=ENETUNREACH domain=AF_INET\$' && \
				      nothing_reached && stderr_clean"
			check "$proto $blk, mode $(mode_of $cf): output identical to the run without the library" \
				eval "diff -u '$ref' '$OUT'"
		done
	}
	mark; xrun -p "$LIBCLAT" T_EXPECT=ok "$FAILOPEN" tcp none
	check "control: p_failopen tcp none is translated under the library" \
		eval "rc_is 0 && has '^result tcp connect=0 errno=- domain=AF_INET6' && \
		      has '^server PEER 6 ' && server_saw tcp 1 $SYN"
	mark; xrun -p "$LIBCLAT" T_EXPECT=ok "$FAILOPEN" udp none
	check "control: p_failopen udp none is translated under the library" \
		eval "rc_is 0 && has '^result udp sendto=4 ' && has '^server INFO 6 ' && server_saw udp 1 $SYN"
	xrun T_EXPECT=ok "$FAILOPEN" tcp none
	check "control: p_failopen tcp none fails without the library" \
		eval "rc_is 1 && has 'errno=ENETUNREACH'"
	for proto in tcp udp; do
		failopen $proto seccomp-eperm "no AF_INET6 socket: Operation not permitted"
		failopen $proto seccomp-eafnosupport "no AF_INET6 socket: Address family not supported"
		failopen $proto seccomp-dup3 "left on IPv4: Operation not permitted"
	done
	failopen udp seccomp-v6opt "left on IPv4: Operation not permitted"
	# AF_INET6 refused before socket(): the early switch gets no socket and
	# the program its AF_INET one, which the late switch then also fails
	# to switch (and says so) at the connect.
	for blk in seccomp-eperm seccomp-eafnosupport; do
		xrun P_BLOCK_FIRST=1 "$FAILOPEN" tcp $blk
		ref=$OUT
		for cf in fleet fleet-always; do
			dbg=$TMP/out/failopen.$N.log
			mark; xrun -p "$LIBCLAT" -c "$TMP/conf/$cf.conf" CLAT_DEBUG="$dbg" \
				P_BLOCK_FIRST=1 "$FAILOPEN" tcp $blk
			check "tcp $blk before socket(), mode $(mode_of $cf): AF_INET socket, fails open, output identical" \
				eval "rc_is 0 && has '^result tcp .*errno=ENETUNREACH domain=AF_INET\$' && \
				      nothing_reached && stderr_clean && diff -u '$ref' '$OUT' && \
				      ! grep -q 'from socket() on' '$dbg' && \
				      grep -qE 'switch: fd [0-9]+: no AF_INET6 socket' '$dbg'"
		done
	done
	# EMFILE: afterwards the limit is raised and the same socket retries.
	# emfile: libclat has loaded its settings before (a UDP connect to
	# 127.0.0.1), so only the switch lacks a descriptor; emfile-cold: the
	# connect under EMFILE is the first call libclat sees, so reading
	# /etc/clat.conf fails too, and a transient EMFILE must not switch the
	# library off for the rest of the process.
	for blk in emfile emfile-cold; do
		for proto in tcp udp; do
			xrun "$FAILOPEN" "$proto" $blk
			check "$proto $blk without the library: ENETUNREACH, retry too (reference)" \
				eval "rc_is 0 && has '^retry $proto .*errno=ENETUNREACH domain=AF_INET'"
			for cf in fleet fleet-always; do
				mark; xrun -p "$LIBCLAT" -c "$TMP/conf/$cf.conf" T_RETRY_EXPECT=ok \
					CLAT_EARLY_SWITCH=0 "$FAILOPEN" "$proto" $blk
				check "$proto $blk, mode $(mode_of $cf): fails open (ENETUNREACH, AF_INET, no fd leaked)" \
					eval "has '^result $proto .*errno=ENETUNREACH domain=AF_INET\$' && \
					      has '^again $proto .*errno=ENETUNREACH domain=AF_INET\$' && \
					      hasnt '^FAIL descriptors' && stderr_clean"
				check "$proto $blk, mode $(mode_of $cf): with descriptors back, the same socket translates" \
					eval "rc_is 0 && has '^retry $proto .*errno=- domain=AF_INET6\$' && \
					      has '^server (PEER|INFO) 6 ' && server_saw $proto 1 $SYN"
			done
		done
	done
fi

# ================================================================ the host
check "the host's /etc/ld.so.preload, /etc/clat.conf, system cache and mounts are unchanged" \
	eval '[ "$(host_state)" = "$HOST_BEFORE" ]'

echo "1..$N"
[ $SKIPPED = 0 ] || echo "# $SKIPPED skipped"
echo "preload: $PASSED passed, $FAILED failed"
[ $FAILED = 0 ]
