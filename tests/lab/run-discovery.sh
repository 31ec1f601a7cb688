#!/bin/bash
# run-discovery.sh - NAT64 prefix discovery end to end in the lab (lab.sh): RFC 7050
# through the lab's DNS64 (clatrun before exec, the library lazily on the first
# connect that needs translation), the shared prefix cache (fresh, stale,
# untrusted), no DNS64 at all, negative answers, and RFC 8781 PREF64 Router
# Advertisements. The `make check` entry.
#
# No prefix is ever given: no --prefix, no CLAT_PREFIX, CLAT_CONFIG is an empty
# file. Every command gets CLAT_CACHE_DIR, a fresh directory of this run per
# scenario (never the system cache), and CLAT_DEBUG, a log file of the run.
#
# Environment: CLATRUN, CLAT_LIB (tests/Makefile.am exports both);
# CLAT_REQUIRE_ROOT_TESTS=1 turns a skip into a failure; LAB_NAME (default
# clat-disco-PID). ipv4only.arpa's TTL on the lab's IPv4-side server is 3600 s and
# its negative TTL 600 s, so freshness never depends on timing; staleness is
# made by rewriting the cache's "expires" line.
#
# Scenarios (numbers as in the output):
#   1 per lab prefix /96, /64, /40: clatrun and bare LD_PRELOAD find the prefix
#     (curl, python TCP), --status --json reports it with source dns64, the cache
#     file is written; plain runs fail
#   2 a fresh cache is used without any query (log-queries count on the DNS64),
#     also with the DNS64 stopped
#   3 prefix change: a cache of lab A made stale is rediscovered in lab B
#   4 no DNS64 and no cache: programs fail as without the library, quickly;
#     --status exits 1 and names the sources tried; a silent resolver too
#   5 an untrusted cache (owner 65534, mode 666, mode 664) with a wrong prefix is
#     ignored and logged
#   6 PREF64 in Router Advertisements (clatrun --wait-pref64): same and another
#     prefix than the DNS64's, invalid PLC, lifetime 0, no RA at all
#   7 a resolver without DNS64 (NODATA): negative cache for the SOA TTL, no
#     re-query, --status says "no DNS64"
#   8 ipv4only.arpa with TTL 5 s: cached for the 10 s minimum
#   9 an idle process ([::1], Unix socket, 127.0.0.1 only) maps no libcares and
#     sends no query; the same program maps it after an IPv4 connection
#  10 host programs exporting their own ares_*: Node.js (http GET) and
#     fake_ares.c (fakes that abort; self-tests show they can be reached)
#  11 fork(): after discovery (the child connects anew) and before it (both do)
#  12 clatrun --doctor: all passed; refused port; no DNS64; bad argument
#  13 a silent resolver bounds the first connect (< 2.5 s per process; one
#     wait per process, not per connection; fork while a thread discovers)
#  14 PREF64 from systemd-networkd (a fake io.systemd.Network varlink socket,
#     fake_networkd.py): used before the DNS64, by clatrun and a bare
#     LD_PRELOAD (DNS64 stopped), cached for its lifetime; an expired one, none,
#     an error reply, a silent or absent networkd fall back to the DNS64
# Output: "ok N - ..." / "not ok N - ..." lines, then "discovery: P passed, F failed".

here=$(cd "$(dirname "$0")" && pwd)
export LAB_NAME=${LAB_NAME:-clat-disco-$$}
export LAB_WKN_TTL=3600 LAB_WKN_NEG_TTL=600
# shellcheck source=lab.sh
. "$here/lab.sh"
# shellcheck source=testlib.sh
. "$here/testlib.sh"
tl_init discovery
if san_cannot_run python3 && san_cannot_run curl; then
	echo "discovery: SKIP: $SAN_WHY; curl cannot run either"
	exit 77
fi
# No systemd-networkd of the host may answer (scenario 14 starts a fake one).
export CLAT_NETWORKD_SOCKET=$WORK/no-networkd
TL_SHOW_LINES=60

PA=2001:db8:64::/96      # lab A (scenarios 1, 2, 4-7)
P64=2001:db8:64::/64
PB=2001:db8:6400::/40    # lab B (scenarios 1, 3); also the "other" PREF64 prefix
WRONG=2001:db8:dead::/96 # in the untrusted caches
T=10                     # per-command timeout, seconds
BUDGET=240               # seconds: later commands are not started (whole run < 4.5 min)
SV=$LAB_SV4
URL=http://$SV:8080/
M=$LAB_MARKER
PY=$LAB_PYTHON
PYC=$here/pyclient.py
PROBE=$here/procprobe.py
CHK=$here/check_state.py
DBG=$WORK/debug.log
UNREACH='[Nn]etwork (is )?unreachable|Couldn.t connect'
NO_PREFIX='no (nat64 )?prefix|prefix:? +none'
KEYS='{"prefixes", "source", "expires_in", "resolver", "ipv4_route", "mode", "cache", "cache_state"}'

tl_on_exit() { lab_ra_stop; networkd_stop; }

# newcache NAME: an empty cache directory for one scenario: CDIR, CFILE. (No
# "cache" in the path: the log check of scenario 5 looks for that word.)
newcache() {
	CDIR=$WORK/state-$1
	CFILE=$CDIR/prefix
	rm -rf "$CDIR"
	mkdir -m 755 "$CDIR"
}

# run [-t SECS] plain|clatrun|preload CMD...: CMD in the client namespace, with
# CLAT_CACHE_DIR=$CDIR and CLAT_DEBUG=$DBG; clatrun prepends $CLATRUN (give "--"
# yourself), preload sets LD_PRELOAD=$CLAT_LIB. Sets RC, MS (wall time), $WORK/stdout,
# and $OUT: stdout, stderr, the debug log and the cache file, for failure reports.
run() {
	local t=$T mode t0
	if [ "$1" = -t ]; then t=$2; shift 2; fi
	mode=$1
	shift
	# Sanitizer builds where curl cannot run under the runtime (testlib.sh,
	# san_cannot_run): the same GET by pyclient.py, which prints the marker, or
	# "Network is unreachable" as curl does.
	local a dd=() url=''
	if [ "$mode" != plain ] && san_cannot_run curl; then
		[ "${1:-}" = -- ] && { dd=(--); shift; }
		if [ "${1:-}" = curl ]; then
			for a in "$@"; do case $a in http://*) url=${a#http://} ;; esac; done
			url=${url%%/*}
			set -- "$PY" "$PYC" tcp-http "${url%:*}" "${url##*:}" "$M"
		fi
		set -- "${dd[@]}" "$@"
	fi
	case "$mode" in
	plain) LAST_CMD=("$@") ;;
	clatrun) LAST_CMD=("${SAN_ENV[@]}" "$CLATRUN" "$@") ;;
	preload) LAST_CMD=(env LD_PRELOAD="$CLAT_PRELOAD" "$@") ;;
	esac
	: >"$DBG"
	: >"$WORK/stdout"
	: >"$WORK/stderr"
	if [ $((SECONDS - START)) -gt "$BUDGET" ]; then
		RC=125 MS=0
		echo "not run: the run is over its ${BUDGET} s budget" >"$OUT"
		return
	fi
	t0=$(date +%s%N)
	ip netns exec "$LAB_NS_CL" timeout -k 2 "$t" env CLAT_CACHE_DIR="$CDIR" CLAT_DEBUG="$DBG" \
		"${LAST_CMD[@]}" >"$WORK/stdout" 2>"$WORK/stderr" </dev/null
	RC=$?
	MS=$((($(date +%s%N) - t0) / 1000000))
	{
		cat "$WORK/stdout" "$WORK/stderr"
		echo "(exit status $RC after $MS ms)"
		if [ -s "$DBG" ]; then echo "-- CLAT_DEBUG log:"; cat "$DBG"; fi
		if [ -f "$CFILE" ]; then echo "-- $CFILE ($(stat -c '%U %a' "$CFILE")):"; cat "$CFILE"
		else echo "-- no $CFILE"; fi
	} >"$OUT" 2>&1
}

# usable MODE DESC: false (after a "not ok") when MODE's binary is missing.
usable() {
	case "$1" in
	clatrun) [ -n "${CLATRUN:-}" ] && [ -x "$CLATRUN" ] && return 0
		notok "$2" "CLATRUN not set or not executable ('${CLATRUN:-}')" ;;
	preload) [ -n "${CLAT_LIB:-}" ] && [ -f "$CLAT_LIB" ] && return 0
		notok "$2" "CLAT_LIB not set or missing ('${CLAT_LIB:-}')" ;;
	*) return 0 ;;
	esac
	return 1
}

# works DESC MODE REGEX CMD...: exits 0 within $T s and prints REGEX on stdout.
works() {
	local desc=$1 mode=$2 re=$3
	shift 3
	usable "$mode" "$desc" || return 1
	run "$mode" "$@"
	if [ $RC -eq 124 ] || [ $RC -eq 137 ]; then notok "$desc" "timed out after ${T}s" show
	elif [ $RC -ne 0 ]; then notok "$desc" "exit status $RC" show
	elif ! grep -Eq "$re" "$WORK/stdout"; then notok "$desc" "output lacks /$re/" show
	else ok "$desc"; return 0; fi
	return 1
}

# fails DESC MODE MAX_MS CMD...: exits non-zero, as without the library ("Network
# is unreachable"), within MAX_MS milliseconds.
fails() {
	local desc=$1 mode=$2 max=$3
	shift 3
	usable "$mode" "$desc" || return 1
	run "$mode" "$@"
	if [ $RC -eq 0 ]; then notok "$desc" "succeeded (rc 0)" show
	elif [ $RC -eq 124 ] || [ $RC -eq 137 ]; then notok "$desc" "timed out after ${T}s" show
	elif ! grep -Eq "$UNREACH" "$OUT"; then notok "$desc" "rc $RC but no /$UNREACH/" show
	elif [ "$MS" -ge "$max" ]; then notok "$desc" "took $MS ms (limit $max ms)" show
	else ok "$desc ($MS ms)"; return 0; fi
	return 1
}

# status_json DESC RC [CLATRUN-OPTION...] -- EXPR...: `clatrun OPTIONS --status
# --json` exits RC and its JSON satisfies every EXPR (check_state.py: j).
status_json() {
	local desc=$1 want=$2 args=()
	shift 2
	while [ $# -gt 0 ] && [ "$1" != -- ]; do args+=("$1"); shift; done
	shift
	usable clatrun "$desc" || return 1
	run clatrun "${args[@]}" --status --json
	if [ $RC -ne "$want" ]; then notok "$desc" "exit status $RC, want $want" show; return 1; fi
	if timeout 10 "$PY" "$CHK" json "$WORK/stdout" "$@" >"$WORK/why" 2>&1; then
		ok "$desc ($MS ms)"
		return 0
	fi
	cat "$WORK/why" "$OUT" >"$WORK/both"
	mv "$WORK/both" "$OUT"
	notok "$desc" "JSON check failed" show
	return 1
}

# status_text DESC RC [CLATRUN-OPTION...] -- ERE...: `clatrun OPTIONS --status`
# exits RC and its output (stdout+stderr) matches every ERE, case-insensitively.
status_text() {
	local desc=$1 want=$2 args=() re miss=''
	shift 2
	while [ $# -gt 0 ] && [ "$1" != -- ]; do args+=("$1"); shift; done
	shift
	usable clatrun "$desc" || return 1
	run clatrun "${args[@]}" --status
	if [ $RC -ne "$want" ]; then notok "$desc" "exit status $RC, want $want" show; return 1; fi
	for re in "$@"; do
		cat "$WORK/stdout" "$WORK/stderr" | grep -Eqi -- "$re" || miss="$miss /$re/"
	done
	if [ -z "$miss" ]; then ok "$desc"; return 0; fi
	notok "$desc" "output lacks$miss" show
	return 1
}

# cache_is DESC EXPR...: $CFILE satisfies every EXPR (check_state.py: c).
cache_is() {
	local desc=$1
	shift
	LAST_CMD=(check_state.py cache "$CFILE" "$@")
	if timeout 10 "$PY" "$CHK" cache "$CFILE" "$@" >"$OUT" 2>&1; then ok "$desc"; return 0; fi
	notok "$desc" "cache check failed" show
	return 1
}

# no_query DESC BEFORE AFTER CACHE-FILE: the DNS64 logged no query between the
# counts BEFORE and AFTER; meaningless (so "not ok") unless CACHE-FILE, the cache
# the commands in between were to use, was there.
no_query() {
	if [ -z "$4" ] || [ ! -s "$4" ]; then notok "$1" "precondition: no cache file was written"
	elif [ "$2" = "$3" ]; then ok "$1"
	else notok "$1" "ipv4only.arpa queries logged: $2 before, $3 after"; fi
}

# Expressions: a positive cache entry / status for prefix $1 from source $2 whose
# lifetime (expires - fetched, or expires_in) lies in [$3, $4].
cache_pos() {
	POS=("c.get('version') == '2'" "c.get('source') == '$2'" "c.get('negative') == 'no'"
		"pfx(c['prefix']) == pfx(['$1'])" "abs(int(c['fetched']) - now) < 120"
		"$3 <= int(c['expires']) - int(c['fetched']) <= $4")
	[ "$2" = dns64 ] && POS+=("c.get('resolver') == '$LAB_GW6'")
}
status_pos() {
	SPOS=("$KEYS <= set(j)" "pfx(j['prefixes']) == pfx(['$1'])" "j['source'] == '$2'"
		"$3 <= j['expires_in'] <= $4" "j['ipv4_route'] is False" "j['mode'] == 'auto'"
		"j['cache'] == '$CFILE'")
	[ "$2" = dns64 ] && SPOS+=("'$LAB_GW6' in str(j['resolver'])")
}
# The DNS64's answer TTL counts down from 3600 in the gw's cache; minus 10 s.
DNS_MIN=3300 DNS_MAX=3590

# write_cache FILE PREFIX: a fresh, well-formed positive entry (source dns64)
# of the client's network (as clatrun --status reports it; an entry of another
# network is not used).
write_cache() {
	local now netid
	now=$(date +%s)
	netid=$(ip netns exec "$LAB_NS_CL" env CLAT_CACHE_DIR="$WORK/netid" \
		"$CLATRUN" --status --json 2>/dev/null | sed -n 's/.*"network": "\([0-9a-f]*\)".*/\1/p')
	printf 'version 2\nsource dns64\nnegative no\nprefix %s\nfetched %s\nexpires %s\nresolver %s\nnetwork %s\n' \
		"$2" "$now" "$((now + 3000))" "$LAB_GW6" "${netid:--}" >"$1"
}

# Lab-side checks (not libclat's).
wkn_answer() { # prefix [min max]: two synthesised AAAA, TTL in [min, max] (3300..3600)
	local got want min=${2:-3300} max=${3:-3600}
	got=$(ip netns exec "$LAB_NS_CL" timeout 5 dig +time=2 +tries=1 +noall +answer ipv4only.arpa AAAA)
	echo "$got"
	want=$(printf '%s\n' "$(lab_synth "$1" 192.0.0.170)" "$(lab_synth "$1" 192.0.0.171)" | sort)
	[ "$(awk '{print $5}' <<<"$got" | sort)" = "$want" ] &&
		awk -v lo="$min" -v hi="$max" '$2 < lo || $2 > hi { bad = 1 } END { exit bad }' <<<"$got"
}
nodata_answer() { # NOERROR, no answer, SOA with TTL <= 600 in the authority section
	local got
	got=$(ip netns exec "$LAB_NS_CL" timeout 5 dig +time=2 +tries=1 ipv4only.arpa AAAA)
	echo "$got"
	grep -q 'status: NOERROR' <<<"$got" && grep -q 'ANSWER: 0,' <<<"$got" &&
		grep -Eq '^ipv4only\.arpa\.[[:space:]]+([0-9]|[1-5][0-9]{1,2}|600)[[:space:]]+IN[[:space:]]+SOA' <<<"$got"
}
queries_grow() { # dig once, the log-queries count grows by one
	local a b
	a=$(lab_dns64_queries)
	ip netns exec "$LAB_NS_CL" timeout 5 dig +time=2 +tries=1 +short ipv4only.arpa AAAA >/dev/null
	b=$(lab_dns64_queries)
	echo "ipv4only.arpa queries logged: $a before, $b after"
	[ "$b" -eq $((a + 1)) ]
}
ra_reaches_netlink() { # prefix: listener in the client sees the RA's PREF64 option
	local rc
	lab_nduseropt 4 1 >"$WORK/nl" 2>&1 &
	local lpid=$!
	sleep 0.5
	lab_ra_send "$1" 1800 6 0.3
	wait "$lpid"
	rc=$?
	cat "$WORK/nl"
	[ $rc -eq 0 ] && grep -q "PREF64 $1 lifetime 1800" "$WORK/nl"
}
# debug_has DESC ERE...: the CLAT_DEBUG log of the last run matches every ERE
# (case-insensitively).
debug_has() {
	local desc=$1 re miss=''
	shift
	for re in "$@"; do grep -Eqi -- "$re" "$DBG" || miss="$miss /$re/"; done
	if [ -z "$miss" ]; then ok "$desc"; return 0; fi
	notok "$desc" "CLAT_DEBUG log lacks$miss" show
	return 1
}
debug_says_ignored() { # the last run logged once that the cache was ignored
	local n
	n=$(grep -Eic 'cache.*ignored|ignored.*cache' "$DBG")
	echo "lines about an ignored cache: $n"
	cat "$DBG"
	[ "$n" -eq 1 ]
}

# ---- 1: discovery per lab prefix --------------------------------------------------
s1_basic() {
	local p=$1 tag="1 [$1]"
	assert "$tag lab: DNS64 synthesises ipv4only.arpa AAAA, TTL <= $LAB_WKN_TTL" wkn_answer "$p"
	newcache none
	fails "$tag plain curl fails (no IPv4 route)" plain 5000 curl -q -sS -v "$URL"
	fails "$tag plain python TCP fails" plain 5000 "$PY" "$PYC" tcp-http "$SV" 8080 "$M"

	cache_pos "$p" dns64 "$DNS_MIN" "$DNS_MAX"
	newcache "cr-curl-$N"
	works "$tag clatrun curl, no prefix given: RFC 7050 before exec" clatrun "$M" \
		-- curl -q -sS "$URL" &&
		cache_is "$tag clatrun wrote the cache: $p, dns64, TTL-10" "${POS[@]}"
	newcache "cr-py-$N"
	works "$tag clatrun python TCP" clatrun PYOK -- "$PY" "$PYC" tcp-http "$SV" 8080 "$M"
	newcache "pl-curl-$N"
	works "$tag LD_PRELOAD curl (lazy discovery on the first connect)" preload "$M" \
		curl -q -sS "$URL" &&
		cache_is "$tag the library wrote the cache: $p, dns64, TTL-10" "${POS[@]}"
	newcache "pl-py-$N"
	works "$tag LD_PRELOAD python TCP" preload PYOK "$PY" "$PYC" tcp-http "$SV" 8080 "$M"

	newcache "st-$N"
	status_pos "$p" dns64 "$DNS_MIN" "$DNS_MAX"
	status_json "$tag clatrun --status --json: $p from dns64" 0 -- "${SPOS[@]}"
	status_text "$tag clatrun --status (text): prefix, source, resolver, cache path" 0 -- \
		"$p" dns64 "$LAB_GW6" "$CFILE"
}

# ---- 2: a fresh cache is used without a query -------------------------------------
s2_fresh_cache() {
	local q0 q1 tag=2
	assert "$tag lab: log-queries counts each ipv4only.arpa query" queries_grow
	newcache fresh
	q0=$(lab_dns64_queries)
	run clatrun --refresh
	q1=$(lab_dns64_queries)
	if [ $RC -eq 0 ] && [ "$q1" -gt "$q0" ]; then ok "$tag clatrun --refresh asks the DNS64 ($q0 -> $q1 queries)"
	else notok "$tag clatrun --refresh asks the DNS64" "rc $RC, queries $q0 -> $q1" show; fi
	cache_pos "$PA" dns64 "$DNS_MIN" "$DNS_MAX"
	cache_is "$tag clatrun --refresh wrote the cache" "${POS[@]}" && cp -p "$CFILE" "$WORK/cache-A.txt"

	q0=$(lab_dns64_queries)
	works "$tag fresh cache: LD_PRELOAD curl" preload "$M" curl -q -sS "$URL"
	works "$tag fresh cache: clatrun curl" clatrun "$M" -- curl -q -sS "$URL"
	works "$tag fresh cache: LD_PRELOAD python TCP" preload PYOK "$PY" "$PYC" tcp-http "$SV" 8080 "$M"
	q1=$(lab_dns64_queries)
	no_query "$tag fresh cache: no ipv4only.arpa query meanwhile (DNS64 log count)" "$q0" "$q1" \
		"$WORK/cache-A.txt"

	if ! lab_dns64_stop 2>"$OUT"; then notok "$tag lab: stop the DNS64" "lab_dns64_stop failed" show; return; fi
	works "$tag fresh cache, DNS64 stopped: LD_PRELOAD curl" preload "$M" curl -q -sS "$URL"
	works "$tag fresh cache, DNS64 stopped: clatrun curl" clatrun "$M" -- curl -q -sS "$URL"
	status_json "$tag fresh cache, DNS64 stopped: --status shows $PA from the cache" 0 -- \
		"pfx(j['prefixes']) == pfx(['$PA'])" "j['source'] == 'dns64'" "j['cache'] == '$CFILE'" \
		"j['expires_in'] > 3000"
	lab_dns64_start dns64 2>"$OUT" || notok "$tag lab: restart the DNS64" "lab_dns64_start failed" show
}

# ---- 3: prefix change after the TTL (lab A's cache in lab B) ----------------------
s3_prefix_change() {
	local tag="3 [A $PA -> B $PB]"
	if [ ! -s "$WORK/cache-A.txt" ]; then
		notok "$tag cache from lab A" "scenario 2 left no cache file to reuse"
		return
	fi
	newcache a-fresh
	cp -p "$WORK/cache-A.txt" "$CFILE"
	status_json "$tag A's cache still fresh: --status shows A (no rediscovery)" 0 -- \
		"pfx(j['prefixes']) == pfx(['$PA'])"

	newcache a-stale-preload
	cp -p "$WORK/cache-A.txt" "$CFILE"
	timeout 10 "$PY" "$CHK" set "$CFILE" fetched=now-3700 expires=now-100
	works "$tag stale cache (expires in the past): LD_PRELOAD curl works via B" preload "$M" \
		curl -q -sS "$URL"
	cache_pos "$PB" dns64 "$DNS_MIN" "$DNS_MAX"
	cache_is "$tag the library replaced the stale entry: B, dns64, fresh" "${POS[@]}"
	status_pos "$PB" dns64 "$DNS_MIN" "$DNS_MAX"
	status_json "$tag --status then shows B from dns64" 0 -- "${SPOS[@]}"

	newcache a-stale-clatrun
	cp -p "$WORK/cache-A.txt" "$CFILE"
	timeout 10 "$PY" "$CHK" set "$CFILE" fetched=now-3700 expires=now-100
	works "$tag stale cache: clatrun curl works via B" clatrun "$M" -- curl -q -sS "$URL"
	cache_is "$tag clatrun replaced the stale entry: B" "${POS[@]}"
}

# ---- 4: no DNS64, no cache ---------------------------------------------------------
s4_no_dns64() {
	local tag=4
	if ! lab_dns64_stop 2>"$OUT"; then notok "$tag lab: stop the DNS64" "lab_dns64_stop failed" show; return; fi
	newcache none-cr
	fails "$tag no DNS64, no cache: clatrun curl fails as without the library, < 5 s" clatrun 5000 \
		-- curl -q -sS -v "$URL"
	newcache none-pl
	fails "$tag no DNS64, no cache: LD_PRELOAD curl fails as without the library, < 5 s" preload 5000 \
		curl -q -sS -v "$URL" &&
		debug_has "$tag no DNS64: the library logs that it has no prefix and what it tried" \
			"$NO_PREFIX" 'dns64|ipv4only\.arpa' 'CLAT_PREFIX'
	newcache none-st
	status_text "$tag no DNS64: --status exits 1, says no prefix and which sources it tried" 1 -- \
		"$NO_PREFIX" 'dns64|rfc ?7050|ipv4only\.arpa' 'config|--prefix|CLAT_PREFIX'
	newcache none-js
	status_json "$tag no DNS64: --status --json exits 1 with \"prefixes\": []" 1 -- \
		"$KEYS <= set(j)" "j['prefixes'] == []"

	if lab_dns64_start silent 2>"$OUT"; then
		newcache silent
		fails "$tag silent resolver (UDP :53 never answers): LD_PRELOAD curl fails as without the library, < 10 s" \
			preload 10000 curl -q -sS -v "$URL"
	else
		notok "$tag lab: start a silent resolver" "lab_dns64_start silent failed" show
	fi
	lab_dns64_start dns64 2>"$OUT" || notok "$tag lab: restart the DNS64" "lab_dns64_start failed" show
}

# untrusted_cache HOW: $CFILE anew, a fresh entry for $WRONG, made untrusted by HOW:
# "chown UID", "chmod MODE" (the file) or "chmod MODE on its directory".
untrusted_cache() {
	rm -f "$CFILE"
	chmod 755 "$CDIR"
	write_cache "$CFILE" "$WRONG"
	chmod 644 "$CFILE"
	case "$1" in
	*directory) chmod "$(cut -d' ' -f2 <<<"$1")" "$CDIR" ;;
	*) $1 "$CFILE" ;;
	esac
}

# ---- 5: untrusted caches -----------------------------------------------------------
s5_untrusted() {
	local tag=5 how
	newcache trusted
	write_cache "$CFILE" "$WRONG"
	chmod 644 "$CFILE"
	status_json "$tag control: a root-owned 0644 cache with $WRONG is used as is" 0 -- \
		"pfx(j['prefixes']) == pfx(['$WRONG'])"

	for how in "chown 65534" "chmod 666" "chmod 664" "chmod 777 on its directory"; do
		newcache "untrusted-${how// /-}"
		untrusted_cache "$how"
		status_json "$tag cache with $WRONG after $how is ignored: --status shows $PA" 0 -- \
			"pfx(j['prefixes']) == pfx(['$PA'])" "j['source'] == 'dns64'"
		untrusted_cache "$how"
		works "$tag cache after $how: LD_PRELOAD curl works (rediscovered)" preload "$M" \
			curl -q -sS "$URL" &&
			assert "$tag cache after $how: CLAT_DEBUG log says once that it was ignored" \
				debug_says_ignored
	done
}

# ---- 6: PREF64 Router Advertisements -------------------------------------------------
# pref64_case DESC PREFIX LIFETIME WAIT [pref64.py option...] -- EXPR...: RAs every
# 0.5 s while `clatrun --wait-pref64 WAIT --status --json` runs.
pref64_case() {
	local desc=$1 prefix=$2 life=$3 wait=$4 extra=()
	shift 4
	while [ $# -gt 0 ] && [ "$1" != -- ]; do extra+=("$1"); shift; done
	shift
	lab_ra_start "$prefix" "$life" $((2 * wait + 4)) 0.5 "${extra[@]}" >/dev/null
	status_json "$desc" 0 --wait-pref64 "$wait" -- "$@"
	lab_ra_stop
}

s6_pref64() {
	local tag=6 q0 q1
	lab_client_accept_ra
	assert "$tag lab: the RA's PREF64 option reaches RTNLGRP_ND_USEROPT in the client" \
		ra_reaches_netlink "$PA"

	newcache ra-same
	status_pos "$PA" pref64 1700 1800
	pref64_case "$tag RA PREF64 $PA (= DNS64's): --wait-pref64 5 reports source pref64" \
		"$PA" 1800 5 -- "${SPOS[@]}"
	cache_pos "$PA" pref64 1700 1800
	local have=
	cache_is "$tag the cache holds $PA from pref64" "${POS[@]}" && have=$CFILE
	q0=$(lab_dns64_queries)
	works "$tag pref64 cache: LD_PRELOAD curl" preload "$M" curl -q -sS "$URL"
	q1=$(lab_dns64_queries)
	no_query "$tag pref64 cache: no ipv4only.arpa query" "$q0" "$q1" "$have"

	newcache ra-other
	status_pos "$PB" pref64 500 600
	pref64_case "$tag RA PREF64 $PB (DNS64 has $PA): reported, source pref64" \
		"$PB" 600 5 -- "${SPOS[@]}"
	cache_pos "$PB" pref64 500 600
	cache_is "$tag the cache holds $PB from pref64" "${POS[@]}"

	newcache ra-plc7
	pref64_case "$tag RA PREF64 with PLC 7 is ignored (RFC 8781 s4): falls back to dns64 $PA" \
		"$PB" 600 2 --plc 7 -- "pfx(j['prefixes']) == pfx(['$PA'])" "j['source'] == 'dns64'"
	newcache ra-len3
	pref64_case "$tag RA PREF64 with Length 3 is ignored (RFC 8781 s4): falls back to dns64 $PA" \
		"$PB" 600 2 --length 3 -- "pfx(j['prefixes']) == pfx(['$PA'])" "j['source'] == 'dns64'"
	newcache ra-life0
	pref64_case "$tag RA PREF64 with lifetime 0 is not used (RFC 8781 s4.1)" \
		"$PB" 0 2 -- "pfx('$PB') not in pfx(j['prefixes'])" "j['source'] != 'pref64'"
	newcache ra-none
	status_json "$tag no RA within --wait-pref64 1: dns64 $PA" 0 --wait-pref64 1 -- \
		"pfx(j['prefixes']) == pfx(['$PA'])" "j['source'] == 'dns64'" &&
		if [ "$MS" -lt 4000 ]; then ok "$tag --wait-pref64 1 without an RA gives up within 4 s"
		else notok "$tag --wait-pref64 1 without an RA gives up within 4 s" "took $MS ms"; fi
}

# ---- 7: a resolver without DNS64 (NODATA) -------------------------------------------
s7_negative() {
	local tag=7 q0 q1
	if ! lab_dns64_start plain 2>"$OUT"; then
		notok "$tag lab: start a resolver without DNS64" "lab_dns64_start plain failed" show
		return
	fi
	assert "$tag lab: ipv4only.arpa AAAA is NODATA with an SOA (negative TTL $LAB_WKN_NEG_TTL)" nodata_answer
	local have=
	newcache neg
	status_text "$tag NODATA, nothing cached: --status exits 1 and says \"no DNS64\"" 1 -- 'no dns64'
	newcache neg
	run clatrun --refresh
	cache_is "$tag NODATA: the cache says negative yes, source dns64, no prefix, for the SOA TTL" \
		"c.get('version') == '2'" "c.get('negative') == 'yes'" "c.get('source') == 'dns64'" \
		"c['prefix'] == []" "500 <= int(c['expires']) - int(c['fetched']) <= $LAB_WKN_NEG_TTL" \
		"c.get('resolver') == '$LAB_GW6'" && have=$CFILE
	status_text "$tag NODATA from the negative cache: --status exits 1 and says \"no DNS64\"" 1 -- \
		'no dns64'
	status_json "$tag NODATA: --status --json exits 1, \"prefixes\": []" 1 -- \
		"$KEYS <= set(j)" "j['prefixes'] == []"
	q0=$(lab_dns64_queries)
	fails "$tag NODATA cached: LD_PRELOAD curl fails as without the library" preload 5000 \
		curl -q -sS -v "$URL" &&
		debug_has "$tag NODATA cached: the library logs why: no prefix, no DNS64" "$NO_PREFIX" \
			'no dns64'
	fails "$tag NODATA cached: clatrun curl fails as without the library" clatrun 5000 \
		-- curl -q -sS -v "$URL"
	q1=$(lab_dns64_queries)
	no_query "$tag negative cache obeyed: no re-query before its TTL (RFC 7050 s3)" "$q0" "$q1" "$have"
	lab_dns64_start dns64 2>"$OUT" || notok "$tag lab: restart the DNS64" "lab_dns64_start failed" show
}

# ---- 8: a short TTL ---------------------------------------------------------------------
s8_short_ttl() {
	local tag=8
	if ! lab_wkn_ttl 5 2>"$OUT"; then
		notok "$tag lab: serve ipv4only.arpa with TTL 5" "lab_wkn_ttl failed" show
		return
	fi
	assert "$tag lab: the DNS64 answers ipv4only.arpa AAAA with TTL <= 5" wkn_answer "$PA" 0 5
	newcache short
	run clatrun --refresh
	cache_pos "$PA" dns64 10 10
	cache_is "$tag TTL 5 s: cached for the 10 s minimum, not TTL-10 (RFC 7050 s3)" "${POS[@]}"
	works "$tag TTL 5 s: LD_PRELOAD curl with that cache" preload "$M" curl -q -sS "$URL"
}

# last_is DESC RC ERE...: the last run exited RC and its output (stdout+stderr)
# matches every ERE; an ERE written "!ERE" must not match.
last_is() {
	local desc=$1 want=$2 re miss='' all
	shift 2
	if [ "$RC" -eq 125 ] && [ "$MS" -eq 0 ]; then notok "$desc" "not run (over the time budget)" show; return 1; fi
	if [ "$RC" -ne "$want" ]; then
		if [ "$RC" -eq 124 ] || [ "$RC" -eq 137 ]; then notok "$desc" "timed out after ${T}s" show
		else notok "$desc" "exit status $RC, want $want" show; fi
		return 1
	fi
	all=$(cat "$WORK/stdout" "$WORK/stderr")
	for re in "$@"; do
		if [ "${re#!}" != "$re" ]; then
			grep -Eq -- "${re#!}" <<<"$all" && miss="$miss has /${re#!}/;"
		else
			grep -Eq -- "$re" <<<"$all" || miss="$miss lacks /$re/;"
		fi
	done
	if [ -z "$miss" ]; then ok "$desc"; return 0; fi
	notok "$desc" "output$miss" show
	return 1
}

# queries_were DESC BEFORE AFTER MIN [MAX]: the DNS64 logged MIN..MAX (default
# MIN) ipv4only.arpa queries between the counts BEFORE and AFTER.
queries_were() {
	local d=$(($3 - $2)) max=${5:-$4}
	if [ "$d" -ge "$4" ] && [ "$d" -le "$max" ]; then ok "$1 ($d)"
	else notok "$1" "ipv4only.arpa queries logged: $2 before, $3 after ($d; want $4..$max)"; fi
}

# ---- 9: idle processes load no c-ares ------------------------------------------------
s9_idle() {
	local tag=9 q0 q1
	usable preload "$tag idle process" || return
	newcache idle
	q0=$(lab_dns64_queries)
	run preload "$PY" "$PROBE" idle
	q1=$(lab_dns64_queries)
	last_is "$tag idle python ([::1], Unix socket, 127.0.0.1 TCP+UDP) under LD_PRELOAD: libclat mapped, libcares not" \
		0 'local tcp ::1: ok' 'local unix: ok' 'local tcp 127\.0\.0\.1: ok' 'local udp 127\.0\.0\.1: ok' \
		'libclat mapped: yes' 'idle: libcares mapped: no'
	queries_were "$tag idle python: no DNS query (DNS64 log count)" "$q0" "$q1" 0
	newcache idle-v4
	q0=$(lab_dns64_queries)
	run preload "$PY" "$PROBE" idle "$SV" 8080 "$M"
	q1=$(lab_dns64_queries)
	last_is "$tag the same program, then an IPv4 GET to $SV:8080: libcares mapped after it, not before" \
		0 'idle: libcares mapped: no' 'get: ok' 'after IPv4: libcares mapped: yes'
	queries_were "$tag ... and that GET sent the discovery query" "$q0" "$q1" 1
}

# ---- 10: a host program with its own ares_* symbols --------------------------------
NODE_GET='const http = require("http"), fs = require("fs");
const [url, marker] = process.argv.slice(1); // node -e SCRIPT URL MARKER
const req = http.get(url, (res) => {
  let body = "";
  res.on("data", (d) => { body += d; });
  res.on("end", () => {
    console.log(body.trim());
    const maps = fs.readFileSync("/proc/self/maps", "utf8");
    console.log("libcares mapped: " + (maps.includes("libcares") ? "yes" : "no"));
    process.exit(body.includes(marker) ? 0 : 1);
  });
});
req.setTimeout(5000, () => { console.log("timeout"); process.exit(1); });
req.on("error", (e) => { console.log("error " + e.message); process.exit(1); });'

node_exports_ares() { # node's dynamic symbol table has the ares_* libclat uses
	local n
	n=$(nm -D --defined-only "$NODE" | grep -cE ' T ares_')
	echo "$NODE exports $n ares_* functions"
	nm -D --defined-only "$NODE" | grep -E ' T ares_(query|send|init_options|process_fd)$'
	[ "$n" -ge 5 ]
}

s10_host_ares() {
	local tag=10 q0 q1 soname fake=$WORK/fake_ares
	usable preload "$tag host program with ares_*" || return
	NODE=$(command -v node || command -v nodejs)
	if [ -z "$NODE" ] || ! have nm; then
		skip "$tag Node.js under LD_PRELOAD" "no node or no nm"
	elif san_cannot_run "$NODE"; then
		skip "$tag Node.js under LD_PRELOAD" "$SAN_WHY"
	else
		assert "$tag lab: $NODE exports its own ares_* (the trap this checks)" node_exports_ares
		newcache node
		q0=$(lab_dns64_queries)
		run preload "$NODE" -e "$NODE_GET" "$URL" "$M"
		q1=$(lab_dns64_queries)
		last_is "$tag Node.js http GET $URL under LD_PRELOAD, no prefix: works" 0 "$M" \
			'libcares mapped: yes'
		queries_were "$tag Node.js: libclat's discovery query reached the DNS64" "$q0" "$q1" 1
	fi

	if ! have gcc; then skip "$tag fake_ares.c" "no gcc"; return; fi
	LAST_CMD=(gcc -std=c11 -O1 -rdynamic -o "$fake" "$here/fake_ares.c")
	if ! "${LAST_CMD[@]}" >"$OUT" 2>&1; then notok "$tag build fake_ares.c" "gcc failed" show; return; fi
	# sh reports the expected SIGABRT as status 134, and bash prints no "Aborted".
	run plain sh -c '"$@"; exit $?' sh "$fake" selftest
	last_is "$tag fake_ares selftest: its exported ares_query is reachable and aborts" 134 \
		'FAKE-ARES-CALLED ares_query'
	soname=$(grep -aoE -m1 'libcares\.so\.[0-9]+' "$CLAT_LIB" | head -n 1)
	soname=${soname:-libcares.so.2}
	run plain sh -c '"$@"; exit $?' sh "$fake" capture "$soname"
	last_is "$tag fake_ares: $soname dlopened without RTLD_DEEPBIND is captured (aborts in the fake)" \
		134 'FAKE-ARES-CALLED ares_send'
	run plain "$fake" capture "$soname" deep
	last_is "$tag fake_ares: $soname dlopened with RTLD_DEEPBIND is not captured" 0 \
		'capture: not captured' '!FAKE-ARES-CALLED'
	if [ -n "${CLAT_SANITIZERS:-}" ]; then
		skip "$tag fake_ares under LD_PRELOAD" "sanitizer builds load c-ares without RTLD_DEEPBIND"
		return
	fi
	newcache fake-ares
	q0=$(lab_dns64_queries)
	run preload "$fake" get "$SV" 8080 "$M"
	q1=$(lab_dns64_queries)
	last_is "$tag fake_ares (exports aborting ares_*) under LD_PRELOAD: AF_INET GET works, no fake called" \
		0 FAKEOK '!FAKE-ARES-CALLED'
	queries_were "$tag fake_ares: the discovery query reached the DNS64" "$q0" "$q1" 1
}

# ---- 11: fork ---------------------------------------------------------------------------
s11_fork() {
	local tag=11 q0 q1
	usable preload "$tag fork" || return
	newcache fork-after
	q0=$(lab_dns64_queries)
	run preload "$PY" "$PROBE" fork-after "$SV" 8080 "$M"
	q1=$(lab_dns64_queries)
	last_is "$tag GET (discovers), fork: the child's new AF_INET GET works, no hang" 0 \
		'parent: ok' 'child: ok' 'child exit: 0'
	queries_were "$tag fork after discovery: the child uses the inherited prefix (one query)" \
		"$q0" "$q1" 1
	newcache fork-before
	q0=$(lab_dns64_queries)
	run preload "$PY" "$PROBE" fork-before "$SV" 8080 "$M"
	q1=$(lab_dns64_queries)
	last_is "$tag fork before any translation: parent and child both GET, no hang" 0 \
		'parent: ok' 'child: ok' 'child exit: 0'
	queries_were "$tag fork before: each process discovered (1-2 queries; one may read the other's cache)" \
		"$q0" "$q1" 1 2
}

# ---- 12: clatrun --doctor -------------------------------------------------------------
s12_doctor() {
	local tag=12
	usable clatrun "$tag clatrun --doctor" || return
	newcache doctor-ok
	run clatrun --doctor "$SV:8080"
	last_is "$tag --doctor $SV:8080, no prefix configured: exit 0, TCP via NAT64 ok, all passed" 0 \
		'\[ ok \] DNS64 answer' '\[ ok \] TCP via NAT64' 'all steps passed' '!\[FAIL\]'
	newcache doctor-refused
	run clatrun --doctor "$SV:8081"
	last_is "$tag --doctor $SV:8081 (nothing listens): exit 1, says refused" 1 \
		'\[FAIL\] TCP via NAT64.*refused' '!all steps passed'
	run clatrun --doctor nonsense
	last_is "$tag --doctor nonsense: exit 2 (usage)" 2
	if ! lab_dns64_stop 2>"$OUT"; then notok "$tag lab: stop the DNS64" "lab_dns64_stop failed" show; return; fi
	newcache doctor-nodns
	run clatrun --doctor "$SV:8080"
	last_is "$tag --doctor, DNS64 stopped, empty cache: exit 1, DNS64 step FAIL naming $LAB_GW6" 1 \
		"\\[FAIL\\] DNS64 answer.*$LAB_GW6" '!all steps passed'
	lab_dns64_start dns64 2>"$OUT" || notok "$tag lab: restart the DNS64" "lab_dns64_start failed" show
}

# ---- 13: a silent resolver bounds the first connect ----------------------------------------
s13_silent_bound() {
	local tag=13 a b
	if ! lab_dns64_start silent 2>"$OUT"; then
		notok "$tag lab: start a silent resolver" "lab_dns64_start silent failed" show
		return
	fi
	newcache silent-bound
	fails "$tag silent resolver, no cache: LD_PRELOAD curl fails as without the library, < 2.5 s" \
		preload 2500 curl -q -sS -v "$URL"
	fails "$tag silent resolver: a second curl (new process) also fails within 2.5 s" \
		preload 2500 curl -q -sS -v "$URL"
	if usable preload "$tag two connects in one process"; then
		run preload "$PY" "$PROBE" twice "$SV" 8080
		a=$(sed -n 's/^connect 1: .* after \([0-9]*\) ms$/\1/p' "$WORK/stdout")
		b=$(sed -n 's/^connect 2: .* after \([0-9]*\) ms$/\1/p' "$WORK/stdout")
		if [ $RC -ne 0 ] || [ -z "$a" ] || [ -z "$b" ] || ! grep -q '^connect 2: error' "$WORK/stdout"; then
			notok "$tag silent resolver: two connects in one process" "rc $RC or unexpected output" show
		elif [ "$a" -ge 2500 ] || [ "$b" -ge 500 ]; then
			notok "$tag silent resolver: one bounded wait per process, not per connect" \
				"connect 1 took $a ms (limit 2500), connect 2 $b ms (limit 500)" show
		else
			ok "$tag silent resolver: one bounded wait per process, not per connect ($a ms, then $b ms)"
		fi
		# fork() while another thread holds the discovery lock (waiting for the
		# silent resolver): the child must not inherit it held.
		newcache silent-fork
		run preload "$PY" "$PROBE" fork-during "$SV" 8080
		a=$(sed -n 's/^child connect: .* after \([0-9]*\) ms$/\1/p' "$WORK/stdout")
		if [ $RC -ne 0 ] || [ -z "$a" ] || ! grep -q '^child exit: 0$' "$WORK/stdout"; then
			notok "$tag fork while another thread discovers: the child's connect returns" \
				"rc $RC, or no child result (deadlock?)" show
		elif [ "$a" -ge 2500 ]; then
			notok "$tag fork while another thread discovers: the child's connect returns" \
				"took $a ms (limit 2500)" show
		else
			ok "$tag fork while another thread discovers: the child's connect returns ($a ms)"
		fi
	fi
	lab_dns64_start dns64 2>"$OUT" || notok "$tag lab: restart the DNS64" "lab_dns64_start failed" show
}

# ---- 14: PREF64 from systemd-networkd (io.systemd.Network varlink) --------------------------
# networkd_start MODE [PREFIX LIFETIME]: a fake networkd on $NWD (fake_networkd.py).
networkd_start() {
	networkd_stop
	rm -f "$NWD.log"
	"$PY" "$here/fake_networkd.py" "$NWD" "$@" >"$WORK/networkd.out" 2>&1 &
	NWD_PID=$!
	local i
	for ((i = 0; i < 50; i++)); do [ -S "$NWD" ] && return 0; sleep 0.1; done
	return 1
}
networkd_stop() {
	[ -n "${NWD_PID:-}" ] || return 0
	kill "$NWD_PID" 2>/dev/null
	wait "$NWD_PID" 2>/dev/null
	NWD_PID=
	rm -f "$NWD"
}
networkd_asked() { grep -c 'io.systemd.Network.Describe' "$NWD.log" 2>/dev/null || echo 0; }

s14_networkd() {
	local tag=14 q0 q1
	NWD=$WORK/networkd.sock
	export CLAT_NETWORKD_SOCKET=$NWD

	newcache nwd-same
	networkd_start pref64 "$PA" 1800 || notok "$tag fake networkd starts" "no socket"
	status_pos "$PA" pref64 1700 1800
	status_json "$tag networkd has PREF64 $PA: --status --json reports it, source pref64, its lifetime" \
		0 -- "${SPOS[@]}"
	newcache nwd-same-text
	status_text "$tag ... --status says it came from systemd-networkd" 0 -- 'source pref64' \
		'PREF64 \(RFC 8781\) from systemd-networkd'
	assert "$tag ... networkd was asked with io.systemd.Network.Describe" test "$(networkd_asked)" -ge 1
	newcache nwd-nodns
	lab_dns64_stop 2>"$OUT"
	q0=$(networkd_asked)
	works "$tag DNS64 stopped, no cache: bare LD_PRELOAD curl through networkd's $PA" preload "$M" curl -q -sS "$URL"
	debug_has "$tag ... the library logged PREF64 from systemd-networkd" 'systemd-networkd'
	q1=$(networkd_asked)
	assert "$tag ... networkd asked once by that process" test "$((q1 - q0))" = 1
	lab_dns64_start dns64 2>"$OUT" || notok "$tag lab: restart the DNS64" "lab_dns64_start failed" show

	newcache nwd-other
	networkd_start pref64 "$PB" 600
	status_json "$tag networkd's $PB comes before the DNS64's $PA (RFC 8781 s5.1)" 0 -- \
		"pfx(j['prefixes']) == pfx(['$PB'])" "j['source'] == 'pref64'" "500 <= j['expires_in'] <= 600"
	cache_pos "$PB" pref64 500 600
	cache_is "$tag ... and is cached for its lifetime" "${POS[@]}"

	local mode
	for mode in expired none error silent; do
		newcache "nwd-$mode"
		if [ "$mode" = expired ]; then networkd_start pref64 "$PB" 0
		else networkd_start "$mode"; fi
		status_json "$tag networkd $mode: falls back to the DNS64's $PA" 0 -- \
			"pfx(j['prefixes']) == pfx(['$PA'])" "j['source'] == 'dns64'"
		[ "$mode" = silent ] && if [ "$MS" -lt 2500 ]; then ok "$tag a silent networkd costs a bounded wait ($MS ms)"
			else notok "$tag a silent networkd costs a bounded wait" "took $MS ms"; fi
	done
	networkd_stop
	newcache nwd-absent
	status_json "$tag no networkd socket: the DNS64's $PA" 0 -- \
		"pfx(j['prefixes']) == pfx(['$PA'])" "j['source'] == 'dns64'"
	export CLAT_NETWORKD_SOCKET=$WORK/no-networkd
}

# ----------------------------------------------------------------------------------------
echo "discovery: namespaces $LAB_NAME-{cl,gw,sv}; CLATRUN=${CLATRUN:-unset} CLAT_LIB=${CLAT_LIB:-unset}"
if [ -n "${CLATRUN:-}" ] && [ -x "$CLATRUN" ] && ! "$CLATRUN" --help 2>&1 | grep -q -- --status; then
	echo "# $CLATRUN --help lists no --status: prefix discovery is not built yet;" \
		"the cases that need it will fail"
fi
START=$SECONDS

up() { # prefix
	echo "# lab up $1"
	if lab_up "$1" 2>"$WORK/up.err"; then return 0; fi
	LAST_CMD=(lab_up "$1")
	cp "$WORK/up.err" "$OUT"
	notok "[$1] lab up" "lab_up failed" show
	return 1
}

if up "$PA"; then
	s1_basic "$PA"
	s2_fresh_cache
	s5_untrusted
	s6_pref64
	s14_networkd
	s9_idle
	s10_host_ares
	s11_fork
	s12_doctor
	s13_silent_bound
	s4_no_dns64
	s7_negative
	s8_short_ttl
fi
if up "$P64"; then
	s1_basic "$P64"
fi
if up "$PB"; then
	s3_prefix_change
	s1_basic "$PB"
fi
lab_down

echo "# $((SECONDS - START)) s"
tl_summary
