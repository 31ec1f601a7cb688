#!/bin/bash
# run-lab.sh - stock IPv4-only clients through libclat, TAYGA (NAT64) and
# Unbound (DNS64) in network namespaces (see lab.sh). The `make check` entry.
#
# Environment: CLATRUN (the clatrun binary), CLAT_LIB (libclat.so), both exported by
# tests/Makefile.am; CLAT_REQUIRE_ROOT_TESTS=1 turns a skip into a failure;
# CLAT_CONFIG and CLAT_CACHE_DIR are set to files of the run (testlib.sh);
# LAB_PREFIXES overrides the prefix list; LAB_NAME the namespace names
# (default clat-lab-PID, so concurrent runs do not clash).
#
# For every prefix: lab up, native NAT64/DNS64 checks, then for each client a case
# proving it fails without clatrun (no IPv4 route: "Network is unreachable") and one
# proving it works under clatrun, plus LD_PRELOAD cases without clatrun; lab down.
# Output: "ok N - ..." / "not ok N - ..." lines, then "lab: P passed, F failed".

here=$(cd "$(dirname "$0")" && pwd)
export LAB_NAME=${LAB_NAME:-clat-lab-$$}
# shellcheck source=lab.sh
. "$here/lab.sh"

PREFIXES=${LAB_PREFIXES:-"2001:db8:64::/96 2001:db8:64::/64 2001:db8:6400::/40"}
# Cross-check of lab_synth: 203.0.113.10 under each prefix, by hand from RFC 6052 2.2.
declare -A EXPECT_SYNTH=(
	[2001:db8:64::/96]=2001:db8:64::cb00:710a
	[2001:db8:64::/64]=2001:db8:64:0:cb:71:a00:0
	[2001:db8:6400::/40]=2001:db8:64cb:71:a::
)
T=10                # per-client timeout, seconds
SV=$LAB_SV4
UNREACH='[Nn]etwork (is )?unreachable'

# shellcheck source=testlib.sh
. "$here/testlib.sh"
tl_init lab

# check MODE DESC REGEX INPUT CMD...: run CMD in the client namespace.
#   MODE native|clatrun|preload: must exit 0 and print REGEX (ERE).
#   MODE fail: plain, must exit non-zero and print "Network is unreachable";
#   clatrun_off: the same under clatrun --mode off.
# INPUT is fed to stdin ('' for none).
check() {
	local mode=$1 desc=$2 re=$3 input=$4 rc
	shift 4
	if ! have "$1"; then
		# CI installs every client: a missing one there is a failure.
		if [ "${CLAT_REQUIRE_ROOT_TESTS:-0}" = 1 ]; then
			notok "$desc" "$1 not installed"
		else
			skip "$desc" "$1 not installed"
		fi
		return
	fi
	# Sanitizer builds: some programs cannot run under the runtime the library needs.
	if [ "$mode" != fail ] && [ "$mode" != native ] && san_cannot_run "$1"; then
		skip "$desc" "$SAN_WHY"
		return
	fi
	case "$mode" in
	fail) LAST_CMD=("$@"); re=$UNREACH ;;
	clatrun_off)
		if [ -z "${CLATRUN:-}" ] || [ ! -x "$CLATRUN" ]; then
			notok "$desc" "CLATRUN not set or not executable ('${CLATRUN:-}')"
			return
		fi
		LAST_CMD=("${SAN_ENV[@]}" "$CLATRUN" --mode off --prefix "$PREFIX" -- "$@"); re=$UNREACH; mode=fail ;;
	native) LAST_CMD=("$@") ;;
	clatrun)
		if [ -z "${CLATRUN:-}" ] || [ ! -x "$CLATRUN" ]; then
			notok "$desc" "CLATRUN not set or not executable ('${CLATRUN:-}')"
			return
		fi
		LAST_CMD=("${SAN_ENV[@]}" "$CLATRUN" --prefix "$PREFIX" -- "$@") ;;
	preload)
		if [ -z "${CLAT_LIB:-}" ] || [ ! -f "$CLAT_LIB" ]; then
			notok "$desc" "CLAT_LIB not set or missing ('${CLAT_LIB:-}')"
			return
		fi
		LAST_CMD=(env LD_PRELOAD="$CLAT_PRELOAD" CLAT_PREFIX="$PREFIX" "$@") ;;
	esac
	printf '%s' "$input" | ip netns exec "$LAB_NS_CL" timeout -k 2 "$T" "${LAST_CMD[@]}" >"$OUT" 2>&1
	rc=$?
	if [ "$mode" = fail ]; then
		if [ $rc -eq 0 ]; then notok "$desc" "succeeded without translation (rc 0)" show
		elif ! grep -Eq "$re" "$OUT"; then notok "$desc" "rc $rc but no '$re' in output" show
		else ok "$desc"; fi
	else
		if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then notok "$desc" "timed out after ${T}s" show
		elif [ $rc -ne 0 ]; then notok "$desc" "exit status $rc" show
		elif ! grep -Eq "$re" "$OUT"; then notok "$desc" "output lacks /$re/" show
		else ok "$desc"; fi
	fi
}

# pair DESC REGEX INPUT CMD...: fails without clatrun, works under clatrun.
pair() {
	local desc=$1 re=$2 input=$3
	shift 3
	check fail "$desc: fails without clatrun" '' "$input" "$@"
	check clatrun "$desc: works under clatrun" "$re" "$input" "$@"
}

client_has_no_ipv4() {
	local a r
	a=$(ip -n "$LAB_NS_CL" -4 -o addr show | awk '{print $4}' | grep -v '^127\.0\.0\.1/8$')
	r=$(ip -n "$LAB_NS_CL" -4 route show)
	echo "addresses: ${a:-none}; main-table routes: ${r:-none}"
	[ -z "$a" ] && [ -z "$r" ]
}

dns64_is() { # name expected-AAAA...
	local name=$1 got want
	shift
	got=$(ip netns exec "$LAB_NS_CL" dig +time=2 +tries=2 +short "$name" AAAA | sort)
	want=$(printf '%s\n' "$@" | sort)
	echo "got: $got"
	echo "want: $want"
	[ "$got" = "$want" ]
}

PY=$LAB_PYTHON
PYC=$here/pyclient.py
JAVA_OPTS=(-XX:TieredStopAtLevel=1 -XX:-UsePerfData -Xshare:auto)
WHO='^whoami 192\.168\.255\.[0-9]+ [0-9]+'   # the server saw a TAYGA pool address
M=$LAB_MARKER

run_prefix() {
	local p=$PREFIX synth want
	want=${EXPECT_SYNTH[$p]:-}
	synth=$(lab_synth "$p" "$SV")
	if [ -n "$want" ]; then
		LAST_CMD=(lab_synth "$p" "$SV")
		echo "got $synth, want $want" >"$OUT"
		if [ "$synth" = "$want" ]; then ok "[$p] RFC 6052: $SV is $want"
		else notok "[$p] RFC 6052: $SV is $want" "lab_synth gave $synth" show; fi
	fi

	assert "[$p] client namespace has no IPv4 address or route" client_has_no_ipv4
	assert "[$p] native: DNS64 synthesises server.test AAAA" dns64_is server.test "$synth"
	assert "[$p] native: DNS64 synthesises ipv4only.arpa AAAA (RFC 7050)" dns64_is ipv4only.arpa \
		"$(lab_synth "$p" 192.0.0.170)" "$(lab_synth "$p" 192.0.0.171)"
	check native "[$p] native: curl -g http://[$synth]:8080/ through TAYGA" "$M" '' \
		curl -q -sS -g "http://[$synth]:8080/"
	check native "[$p] native: TCP to whoami via NAT64 shows a pool source" "$WHO" '' \
		socat -t 2 - "TCP6:[$synth]:9000"

	pair "[$p] curl http://$SV:8080/" "$M" '' curl -q -sS -v "http://$SV:8080/"
	pair "[$p] curl -4 http://$SV:8080/" "$M" '' curl -q -4 -sS -v "http://$SV:8080/"
	pair "[$p] curl -4 http://server.test:8080/ (A record via DNS64 resolver)" "$M" '' \
		curl -q -4 -sS -v "http://server.test:8080/"
	pair "[$p] wget -qO- http://$SV:8080/" "$M" '' wget --no-config -O- "http://$SV:8080/"
	pair "[$p] python TCP connect, getpeername, getsockname" PYOK '' \
		"$PY" "$PYC" tcp-http "$SV" 8080 "$M"
	pair "[$p] python gethostbyname(server.test) + AF_INET connect" PYOK '' \
		"$PY" "$PYC" tcp-byname server.test 8080 "$M"
	pair "[$p] python TCP whoami (server sees NAT64 pool)" "$WHO" '' \
		"$PY" "$PYC" tcp-whoami "$SV" 9000
	pair "[$p] python UDP sendto/recvfrom echo" PYOK '' "$PY" "$PYC" udp-echo "$SV" 7
	pair "[$p] python UDP whoami (server sees NAT64 pool)" "$WHO" '' \
		"$PY" "$PYC" udp-whoami "$SV" 9000
	pair "[$p] python connected UDP echo" PYOK '' "$PY" "$PYC" udp-connected "$SV" 7
	pair "[$p] nc TCP echo" '^nc-tcp-hello$' $'nc-tcp-hello\n' nc -v -N -w 3 "$SV" 7
	# nc -v -u would send "X" probes; the failure check needs -v for the message.
	check fail "[$p] nc -u UDP echo: fails without clatrun" '' $'nc-udp-hello\n' \
		nc -v -u -W 1 -w 3 "$SV" 7
	check clatrun "[$p] nc -u UDP echo: works under clatrun" '^nc-udp-hello$' $'nc-udp-hello\n' \
		nc -u -W 1 -w 3 "$SV" 7
	pair "[$p] socat TCP4: echo" '^socat-tcp-hello$' $'socat-tcp-hello\n' \
		socat -t 2 - "TCP4:$SV:7"
	pair "[$p] socat UDP4: echo" '^socat-udp-hello$' $'socat-udp-hello\n' \
		socat -t 1 - "UDP4:$SV:7"
	pair "[$p] dig @$SV server.test A (UDP)" "^$SV\$" '' \
		dig +time=2 +tries=1 +short "@$SV" server.test A
	pair "[$p] dig +tcp @$SV server.test A" "^$SV\$" '' \
		dig +tcp +time=2 +tries=1 +short "@$SV" server.test A
	pair "[$p] java (AF_INET6, ::ffff:$SV) HTTP GET" "$M" '' \
		java "${JAVA_OPTS[@]}" "$here/HttpGet.java" "$SV" 8080

	check clatrun_off "[$p] clatrun --mode off: curl still fails" '' '' \
		curl -q -sS -v "http://$SV:8080/"
	check preload "[$p] LD_PRELOAD+CLAT_PREFIX (no clatrun): curl" "$M" '' \
		curl -q -sS "http://$SV:8080/"
	check preload "[$p] LD_PRELOAD+CLAT_PREFIX (no clatrun): python TCP" PYOK '' \
		"$PY" "$PYC" tcp-http "$SV" 8080 "$M"
	# Several prefixes in the DNS64's order, a dead one first (RFC 8305
	# attempts; docs/requirements.md E.42): a blocking connect reaches the
	# server through this lab's NAT64 all the same, 250 ms later. The dead
	# NAT64 is a route to a neighbour whose link address nobody has: SYNs
	# vanish (the gateway would answer "unreachable" at once). The
	# namespace goes with lab_down.
	local found dead=2001:db8:65::/96
	found="CLAT_DISCOVERED=$dead,$p $(($(date +%s) + 3600)) dns64"
	ip -n "$LAB_NS_CL" -6 neigh replace fe80::99 lladdr 02:00:00:00:00:99 dev eth0 nud permanent
	ip -n "$LAB_NS_CL" -6 route replace "$dead" via fe80::99 dev eth0
	check native "[$p] several prefixes, the first dead: python blocking connect via the second" \
		PYOK '' env LD_PRELOAD="$CLAT_PRELOAD" "$found" CLAT_DEBUG=stderr \
		"$PY" "$PYC" tcp-http-blocking "$SV" 8080 "$M"
	cp "$OUT" "$WORK/stagger.out"
	assert "[$p] ... the library says the second prefix connected first, after the 250 ms delay" \
		grep -Eq 'prefix 2 of 2 connected first, after (2[5-9][0-9]|[3-9][0-9]{2}|[0-9]{4,}) ms' \
		"$WORK/stagger.out"
}

echo "lab: namespaces $LAB_NAME-{cl,gw,sv}; CLATRUN=${CLATRUN:-unset} CLAT_LIB=${CLAT_LIB:-unset}"
start=$SECONDS
for PREFIX in $PREFIXES; do
	echo "# prefix $PREFIX"
	if ! lab_up "$PREFIX" 2>"$WORK/up.err"; then
		LAST_CMD=(lab_up "$PREFIX")
		cp "$WORK/up.err" "$OUT"
		notok "[$PREFIX] lab up" "lab_up failed" show
		continue
	fi
	run_prefix
	lab_down
done

echo "# $((SECONDS - start)) s"
tl_summary
