#!/bin/bash
# run-netchange.sh - the NAT64 prefix follows the network, in the lab (lab.sh):
# a cached or discovered prefix never outlives the network it came from, a
# forged lifetime is capped, a failed refresh leaves nothing that claims to be
# fresh, and a prefix overlapping the client's own addresses is refused. The
# `make check` entry.
#
# No prefix is ever given (but in 1f): CLAT_CONFIG is an empty file, the cache
# is $WORK/cache (testlib.sh), CLAT_DEBUG a log file of each command.
#
# Scenarios (numbers as in the output):
#   1 the gw's NAT64 prefix changes behind the same router and resolver while the
#     cache holds the old one, fresh for an hour: the first curl, python3 (timeout
#     and blocking sockets), and dig +tcp after each change work, under clatrun or
#     a bare LD_PRELOAD, the cache and --status then hold the new prefix; a plain
#     UDP dig afterwards uses it too; an explicit old prefix is never overridden
#   2 the resolver changes (another address): --status and the first UDP dig use
#     the new network's prefix without any failed connection; a running process
#     notices within seconds (UDP); a UDP dig without retries cannot heal a
#     stale prefix of the same network, one that retries does (its retry on a
#     fresh socket 2 s later goes under the rediscovered prefix); an entry
#     written before networks were recorded (version 1) is not used
#   3 a forged answer with TTL 2^31-1: used for an hour at most (answer and cache
#     file), and a forged cache file expiring in 2094 is held to the same cap
#   4 the client's link goes down: --refresh fails and marks the entry over,
#     --status does not call it fresh; back up, it is found again. Per-user cache
#     (a private mount namespace over /var/cache): used while the system cache is
#     older, dropped once root's refresh failed
#   5 the DNS64 answers a prefix inside the client's own /64: refused, logged why,
#     programs fail as without the library
# Output: "ok N - ..." / "not ok N - ..." lines, then "netchange: P passed, F failed".

here=$(cd "$(dirname "$0")" && pwd)
export LAB_NAME=${LAB_NAME:-clat-net-$$}
export LAB_WKN_TTL=3600 LAB_WKN_NEG_TTL=600
# shellcheck source=lab.sh
. "$here/lab.sh"
# shellcheck source=testlib.sh
. "$here/testlib.sh"
tl_init netchange
export CLAT_NETWORKD_SOCKET=$WORK/no-networkd
TL_SHOW_LINES=60

PA=2001:db8:64::/96
PB=2001:db8:100::/40
PC=2001:db8:6400::/40
OWN=2001:db8:1:0:64::/96 # inside the client's 2001:db8:1::/64, apart from its addresses
ALT_DNS=2001:db8:1::53   # a second resolver address of gw
T=15
SV=$LAB_SV4
URL=http://$SV:8080/
M=$LAB_MARKER
PY=$LAB_PYTHON
PYC=$here/pyclient.py
CHK=$here/check_state.py
DBG=$WORK/debug.log
CFILE=$CLAT_CACHE_DIR/prefix

# run plain|clatrun|preload CMD...: CMD in the client namespace with
# CLAT_DEBUG=$DBG. Sets RC and $OUT (stdout, stderr, the log, the cache file).
run() {
	local mode=$1
	shift
	case "$mode" in
	plain) LAST_CMD=("$@") ;;
	clatrun) LAST_CMD=("${SAN_ENV[@]}" "$CLATRUN" "$@") ;;
	preload) LAST_CMD=(env LD_PRELOAD="$CLAT_PRELOAD" "$@") ;;
	esac
	: >"$DBG"
	ip netns exec "$LAB_NS_CL" timeout -k 2 "$T" env CLAT_DEBUG="$DBG" \
		"${LAST_CMD[@]}" >"$WORK/stdout" 2>"$WORK/stderr" </dev/null
	RC=$?
	{
		cat "$WORK/stdout" "$WORK/stderr"
		echo "(exit status $RC)"
		if [ -s "$DBG" ]; then echo "-- CLAT_DEBUG log:"; cat "$DBG"; fi
		if [ -f "$CFILE" ]; then echo "-- $CFILE:"; cat "$CFILE"; else echo "-- no $CFILE"; fi
	} >"$OUT" 2>&1
}

# works DESC MODE CMD...: CMD exits 0 and prints $M (the server's page).
works() {
	local desc=$1
	shift
	run "$@"
	if [ "$RC" = 0 ] && grep -q "$M" "$WORK/stdout"; then ok "$desc"
	else notok "$desc" "exit status $RC, marker missing" show; fi
}
# fails DESC MODE CMD...: CMD does not reach the server.
fails() {
	local desc=$1
	shift
	run "$@"
	if [ "$RC" != 0 ] && ! grep -q "$M" "$WORK/stdout"; then ok "$desc"
	else notok "$desc" "exit status $RC: it reached the server" show; fi
}
# status DESC EXPR...: clatrun --status --json, each EXPR true of it (j).
status() {
	local desc=$1
	shift
	run clatrun --status --json
	cp "$WORK/stdout" "$WORK/status.json"
	if "$PY" "$CHK" json "$WORK/status.json" "$@" >>"$OUT" 2>&1; then ok "$desc"
	else notok "$desc" "--status --json does not match" show; fi
}
# cache DESC EXPR...: the cache file, each EXPR true of it (c).
cache() {
	local desc=$1
	shift
	if [ -f "$CFILE" ] && "$PY" "$CHK" cache "$CFILE" "$@" >"$OUT" 2>&1; then ok "$desc"
	else { echo "-- $CFILE:"; cat "$CFILE"; } >>"$OUT" 2>&1; notok "$desc" "cache file does not match" show; fi
}
# logged DESC REGEX: the last command's CLAT_DEBUG log or stderr matches.
logged() {
	if grep -Eq -- "$2" "$DBG" "$WORK/stderr"; then ok "$1"
	else notok "$1" "no line matches /$2/" show; fi
}
switch() { # prefix: the gw moves to it; the cache still holds the old one
	lab_nat64_prefix "$1" >"$WORK/switch.log" 2>&1 ||
		{ cat "$WORK/switch.log"; echo "netchange: cannot switch the lab to $1"; exit 99; }
}
# The UDP echo on sv's port 7, under clatrun: the answer proves the prefix.
udp_echo() { run clatrun "$PY" "$PYC" udp-echo "$SV" 7; [ "$RC" = 0 ] && grep -q PYOK "$WORK/stdout"; }

CURL_OK=yes
san_cannot_run curl && CURL_OK=no CURL_WHY=$SAN_WHY

lab_up "$PA" >"$WORK/up.log" 2>&1 || { cat "$WORK/up.log"; echo "netchange: lab up failed"; exit 99; }

echo "# 1 the prefix changes behind the same router and resolver"
works "1a clatrun python3 learns $PA and caches it" clatrun "$PY" "$PYC" tcp-http "$SV" 8080 "$M"
cache "1a the cache holds $PA for about an hour, with its network" \
	"c['version'] == '2'" "pfx(c['prefix']) == pfx(['$PA'])" "len(c['network']) == 16" \
	"3000 <= int(c['expires']) - int(c['fetched']) <= 3600"
switch "$PB"
fails "1b with the old prefix given explicitly (CLAT_PREFIX=$PA) it fails: never overridden" \
	preload env CLAT_PREFIX="$PA" "$PY" "$PYC" tcp-http-blocking "$SV" 8080 "$M"
cache "1b the explicit prefix left the cache alone" "pfx(c['prefix']) == pfx(['$PA'])"
if [ $CURL_OK = yes ]; then
	works "1c the first curl after the change works (clatrun, non-blocking connect)" \
		clatrun curl -sS -m 10 "$URL"
	logged "1c it says why: the NAT64 prefix is now $PB" "the NAT64 prefix is now ${PB%%/*}/40"
else
	skip "1c the first curl after the change works" "$CURL_WHY"
	works "1c the first python3 (timeout socket) after the change works" \
		clatrun "$PY" "$PYC" tcp-http "$SV" 8080 "$M"
fi
cache "1d the cache now holds $PB, fresh" "pfx(c['prefix']) == pfx(['$PB'])" \
	"int(c['expires']) > now + 3000"
status "1d --status shows $PB, cache fresh" "pfx(j['prefixes']) == pfx(['$PB'])" \
	"j['source'] == 'dns64'" "j['cache_state'] == 'fresh'" "len(j['network']) == 16"
switch "$PA"
works "1e the first python3 (socket with a timeout: poll, SO_ERROR) after the change works" \
	clatrun "$PY" "$PYC" tcp-http "$SV" 8080 "$M"
switch "$PB"
works "1f the first python3 blocking connect under a bare LD_PRELOAD works" \
	preload "$PY" "$PYC" tcp-http-blocking "$SV" 8080 "$M"
cache "1f the bare LD_PRELOAD process updated the cache to $PB" "pfx(c['prefix']) == pfx(['$PB'])"
switch "$PA"
if [ $CURL_OK = yes ]; then
	works "1g the first curl under a bare LD_PRELOAD works" preload curl -sS -m 10 "$URL"
else
	skip "1g the first curl under a bare LD_PRELOAD works" "$CURL_WHY"
fi
switch "$PB"
run clatrun dig +tcp +time=5 +tries=1 @"$SV" server.test A
if [ "$RC" = 0 ] && grep -q "status: NOERROR" "$WORK/stdout" && grep -q "$SV" "$WORK/stdout"; then
	ok "1h the first dig +tcp @$SV after the change works (SO_ERROR)"
else notok "1h the first dig +tcp @$SV after the change works" "exit $RC" show; fi
run clatrun dig +time=3 +tries=1 @"$SV" server.test A
if [ "$RC" = 0 ] && grep -q "status: NOERROR" "$WORK/stdout"; then
	ok "1i then a UDP dig @$SV uses $PB too"
else notok "1i then a UDP dig @$SV uses $PB too" "exit $RC" show; fi

echo "# 2 the resolver changes"
cache "2a before: the cache holds $PB, learned via $LAB_GW6" "pfx(c['prefix']) == pfx(['$PB'])" \
	"c['resolver'] == '$LAB_GW6'"
net_before=$(sed -n 's/^network //p' "$CFILE")
# A process started now keeps running across the change (UDP: no heal).
ip netns exec "$LAB_NS_CL" timeout 60 "${SAN_ENV[@]}" "$CLATRUN" "$PY" -c '
import os, socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
def echo(tag):
    s.sendto(tag.encode(), (sys.argv[1], 7))
    print(tag, "ok" if s.recvfrom(100)[0] == tag.encode() else "wrong", flush=True)
echo("before")
for _ in range(300):
    if os.path.exists(sys.argv[2]):
        break
    time.sleep(0.1)
time.sleep(6)   # past the 5 s network check
try:
    echo("after")
except OSError as e:
    print("after failed:", e, flush=True)
' "$SV" "$WORK/changed" >"$WORK/long.out" 2>&1 &
LONG=$!
for _ in $(seq 50); do grep -q before "$WORK/long.out" && break; sleep 0.1; done
lab_client_resolver "$ALT_DNS" >"$WORK/switch.log" 2>&1 || { cat "$WORK/switch.log"; exit 99; }
switch "$PC"
touch "$WORK/changed"
status "2b --status: the cache's $PB is of another network, $PC is found via $ALT_DNS" \
	"pfx(j['prefixes']) == pfx(['$PC'])" "'$ALT_DNS' in j['resolver']" \
	"j['network'] != '$net_before'"
cache "2b the cache now holds $PC with the new network" "pfx(c['prefix']) == pfx(['$PC'])" \
	"c['network'] != '$net_before'" "c['resolver'] == '$ALT_DNS'"
wait "$LONG"
if grep -q '^before ok' "$WORK/long.out" && grep -q '^after ok' "$WORK/long.out"; then
	ok "2c a running process noticed the network change within seconds (UDP echo after it)"
else OUT=$WORK/long.out; notok "2c a running process noticed the network change" "see output" show; OUT=$WORK/out; fi
switch "$PB"
run clatrun dig +time=3 +tries=1 @"$SV" server.test A
if [ "$RC" = 0 ] && grep -q "status: NOERROR" "$WORK/stdout"; then
	notok "2d control: the cache's $PC is of this network, so UDP dig cannot heal" "it worked" show
else ok "2d control: a UDP dig cannot heal a stale prefix of the same network"; fi
# The same with retries: dig asks again on a fresh socket 2 s later, which
# the library takes as a timeout (datagram_heal.h): one rediscovery, and the
# retry goes under the network's $PB.
run clatrun dig +time=2 +tries=3 @"$SV" server.test A
if [ "$RC" = 0 ] && grep -q "status: NOERROR" "$WORK/stdout" &&
	grep -q "datagrams unanswered for 2 s or more: now under the new prefix" "$DBG"; then
	ok "2d a UDP dig that retries heals: its retry goes under $PB"
else notok "2d a UDP dig that retries heals" "exit $RC" show; fi
cache "2d the cache then holds $PB" "pfx(c['prefix']) == pfx(['$PB'])"
# Back to a stale $PC in the cache, so that 2e shows the entry is not used.
switch "$PC"
run clatrun --refresh
switch "$PB"
lab_client_resolver "$LAB_GW6" >"$WORK/switch.log" 2>&1 || { cat "$WORK/switch.log"; exit 99; }
run clatrun dig +time=3 +tries=1 @"$SV" server.test A
if [ "$RC" = 0 ] && grep -q "status: NOERROR" "$WORK/stdout"; then
	ok "2e after the resolver changes back, the first UDP dig uses the network's $PB"
else notok "2e the first UDP dig after the resolver change works" "exit $RC" show; fi
now=$(date +%s)
printf 'version 1\nsource dns64\nnegative no\nprefix %s\nfetched %s\nexpires %s\nresolver %s\n' \
	"$PA" "$now" "$((now + 3000))" "$LAB_GW6" >"$CFILE"
status "2f a version 1 entry (no network recorded) is not used: $PB is found" \
	"pfx(j['prefixes']) == pfx(['$PB'])"

echo "# 3 a forged answer with TTL 2^31-1"
lab_dns64_stop >/dev/null 2>&1
lab__start unbound-gw "$LAB_NS_GW" "$PY" "$here/forged_dns64.py" "$LAB_GW6" "$PA" 2147483647 &&
	lab__ready unbound-gw lab__listening "$LAB_NS_GW" udp 53 || { echo "netchange: no forged resolver"; exit 99; }
run clatrun --refresh
status "3a the forged answer is used for an hour at most" "pfx(j['prefixes']) == pfx(['$PA'])" \
	"0 < j['expires_in'] <= 3600"
cache "3a and cached for an hour at most" "pfx(c['prefix']) == pfx(['$PA'])" \
	"int(c['expires']) - int(c['fetched']) <= 3600"
"$PY" "$CHK" set "$CFILE" fetched=now-100 expires=3881000000 >/dev/null
status "3b a cache file expiring in 2094 is held to an hour after it was fetched" \
	"pfx(j['prefixes']) == pfx(['$PA'])" "0 < j['expires_in'] <= 3500"
lab_dns64_start dns64 >/dev/null 2>&1 || { echo "netchange: DNS64 does not come back"; exit 99; }

echo "# 4 a refresh while the network is down"
run clatrun --refresh
cache "4a up: --refresh caches $PB" "pfx(c['prefix']) == pfx(['$PB'])" "int(c['expires']) > now + 3000"
ip -n "$LAB_NS_CL" link set eth0 down
run clatrun --refresh
if grep -q 'fresh)' "$WORK/stdout"; then notok "4b down: --refresh does not call the cache fresh" "it does" show
elif grep -q 'stale: the refresh found nothing' "$WORK/stdout"; then ok "4b down: --refresh fails and says the old entry is no longer used"
else notok "4b down: --refresh says the old entry is no longer used" "no such line" show; fi
cache "4c the entry is marked over (expires = fetched, now)" "int(c['expires']) == int(c['fetched'])" \
	"abs(int(c['fetched']) - now) < 60"
status "4d --status while down: no prefix, the cache not fresh" "j['prefixes'] == []" \
	"j['cache_state'] != 'fresh'"
ip -n "$LAB_NS_CL" link set eth0 up
lab__wait 30 lab__link_up "$LAB_NS_CL" eth0
ip -n "$LAB_NS_CL" addr replace "$LAB_CL6/64" dev eth0 nodad
ip -n "$LAB_NS_CL" -6 route replace default via "$LAB_GW6" dev eth0
status "4e back up: $PB is found again" "pfx(j['prefixes']) == pfx(['$PB'])" "j['cache_state'] == 'fresh'"

# The per-user cache beside the system one, in a private mount namespace whose
# /var/cache is a tmpfs (the host's system cache is never touched); nobody's
# HOME is $WORK/home; CLAT_CACHE_DIR is unset for these. Root's failing refresh
# uses a resolv.conf naming ::1, where nothing answers (same routes, same
# addresses: only the age of the entries differs).
chmod 755 "$WORK"
mkdir -p "$WORK/home" && chown 65534 "$WORK/home"
printf 'nameserver ::1\n' >"$WORK/dead.conf"
cat >"$WORK/percache.sh" <<EOF
mount -t tmpfs -o mode=755 none /var/cache || exit 1
user() { setpriv --reuid=65534 --regid=65534 --clear-groups env HOME=$WORK/home ${SAN_ENV[*]:+${SAN_ENV[*]}} "$CLATRUN" "\$@"; }
env -u CLAT_CACHE_DIR "$CLATRUN" --refresh >/dev/null
$PY $CHK set /var/cache/libclat/prefix fetched=now-100 expires=now-1
user --refresh >/dev/null
echo "user-sees: \$(user --status --json)"
sleep 1   # the failed refresh comes a second after the user's entry
unshare -m sh -c 'mount --bind $WORK/dead.conf /etc/resolv.conf && env -u CLAT_CACHE_DIR "$CLATRUN" --refresh' >/dev/null
echo "system-after: \$(tr '\n' ' ' </var/cache/libclat/prefix)"
echo "user-after: \$(user --status --json)"
EOF
if have setpriv; then
	ip netns exec "$LAB_NS_CL" env -u CLAT_CACHE_DIR unshare -m bash "$WORK/percache.sh" >"$WORK/percache.out" 2>&1
	if grep -q '^user-sees: .*"cache": "'"$WORK"'/home/.cache/libclat/prefix", "cache_state": "fresh"' "$WORK/percache.out"; then
		ok "4f the per-user cache is used while the system one is stale"
	else OUT=$WORK/percache.out; notok "4f the per-user cache is used while the system one is stale" "see output" show; OUT=$WORK/out; fi
	if grep -q '^user-after: .*not used: the system cache is newer' "$WORK/percache.out"; then
		ok "4g root's failed refresh drops the user's older entry too (not used, looked up again)"
	else OUT=$WORK/percache.out; notok "4g root's failed refresh drops the user's older entry too" "see output" show; OUT=$WORK/out; fi
else
	skip "4f the per-user cache is used while the system one is stale" "no setpriv"
	skip "4g root's failed refresh drops the user's older entry too" "no setpriv"
fi

echo "# 5 a prefix inside the client's own /64"
switch "$OWN"
rm -f "$CFILE"
status "5a --status: $OWN refused as inside the client's on-link 2001:db8:1::/64" \
	"j['prefixes'] == []" "'refused' in j['note']" "'on-link prefix 2001:db8:1::/64' in j['note']"
fails "5b python3 fails as without the library" clatrun "$PY" "$PYC" tcp-http-blocking "$SV" 8080 "$M"
logged "5b the program's log says why" "refused: it overlaps this host's own on-link prefix"
if [ -f "$CFILE" ] && grep -q "prefix ${OWN%%/*}" "$CFILE"; then
	notok "5c the refused prefix is not cached" "it is" show
else ok "5c the refused prefix is not cached"; fi

tl_summary
