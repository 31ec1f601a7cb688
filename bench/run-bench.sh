#!/bin/bash
# run-bench.sh - what libclat costs, next to a native IPv6 socket and to a
# kernel CLAT (TAYGA on a tun, set up as clatd does). As root:
#
#   bench/run-bench.sh [BUILD_DIR]       (or ./quickstart bench)
#
# BUILD_DIR is a configured and built tree (default: $CLAT_BENCH_BUILD, else
# ./build next to the sources). The measuring programs (bench/bnet.c) are
# compiled into BUILD_DIR/bench with gcc -O2; the library build is not touched.
#
# Every comparison runs its variants side by side in one run: repetitions are
# interleaved (the order rotates each round), the table shows the median of
# each series and, as the ratio, the median of the per-round ratios (the two
# runs of a round are back to back and share the machine's state). Client
# programs report wall time and their CPU time (user + system), which leaves
# out waiting for a CPU on a busy machine. A/A rows (the same baseline run as
# two series) show how large a difference this machine's noise alone makes.
# The goals are the benchmark issue's; they are reported, never asserted.
# Sections:
#   1. lab (tests/lab/lab.sh, its own LAB_NAME): TCP bulk and 1-byte ping-pong
#      to the IPv4-only server 203.0.113.10 through the lab's NAT64 (TAYGA in
#      gw) from (a) an AF_INET client under clatrun, (b) an AF_INET6 client to
#      the synthesised address, (c) the AF_INET client through a kernel CLAT in
#      the client namespace (TAYGA on tun "clat", 192.0.0.4 <-> 2001:db8:1::c1a7,
#      proxy ND, IPv4 default route mtu 1260: clatd's defaults).
#   2-4. a private namespace with only lo up and 2001:db8:64::cb00:710a (the
#      synthesised 203.0.113.10) on lo ("the loopback trick"): connect/accept/
#      close cycles and UDP exchanges, translated vs native; untranslated calls
#      (AF_INET6 connects, AF_UNIX round trips, IPv4 connects to 127.0.0.1)
#      with the library loaded vs not loaded. 4b: the seccomp supervisor
#      (clatrun --supervise) with a statically linked bnet: a translated cycle
#      vs a native one (early twins, and the swap at connect), 32 threads connecting at once, and untranslated calls
#      supervised vs not (section 1 has its bulk row, d).
#   5. idle cost: spawning /bin/true with libclat preloaded, with an empty
#      preload library (the floor any preload pays) and with none; shared
#      objects mapped (cat /proc/self/maps); VmRSS and private dirty memory.
#   Instruction counts (valgrind --tool=callgrind, user space only) for the
#   same work, system calls per connect cycle (strace -c), and perf stat
#   instructions where the machine has a hardware counter.
#
# Environment:
#   CLAT_BENCH_BUILD=DIR   build tree (the first argument wins)
#   CLAT_BENCH_QUICK=1     fewer repetitions and smaller sizes (about 2 minutes)
#   CLAT_BENCH_REPS=N      rounds per comparison (default: lab bulk 25, others 21;
#                          quick: 3 and 5)
#   CLAT_BENCH_OUT=DIR     keep every raw value, callgrind file and log there
#   CLAT_BENCH_SKIP=LIST   skip sections: any of lab,netns,scale,idle,callgrind
# The library's early switch is on by default; the late-switch rows of the
# per-connection section run with CLAT_EARLY_SWITCH=0, side by side.
# Traffic stays inside namespaces this script creates; everything is torn
# down on exit (trap), also on failure or ^C. Needs root, iproute2, tayga,
# unbound, socat, dig, python3 (the lab), gcc; valgrind and strace optional.
set -u

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
BUILD=${1:-${CLAT_BENCH_BUILD:-$src/build}}
BUILD=$(cd "$BUILD" 2>/dev/null && pwd) || { echo "bench: no build tree at ${1:-${CLAT_BENCH_BUILD:-$src/build}}" >&2; exit 2; }
LIB=$BUILD/lib/.libs/libclat.so
CLATRUN=$BUILD/tools/clatrun
BNET=$BUILD/bench/bnet

QUICK=${CLAT_BENCH_QUICK:-0}
if [ "$QUICK" = 1 ]; then
	LAB_REPS=3 REPS=5
	BULK_MB=32 RR_N=300 CYC_N=500 UDP_N=3000 UNIX_N=5000 SPAWN_N=50 SPAWN_BLOCKS=6
	CG_CYC=200 CG_UDP=1000 MT_N=1600 MANY_N=2000 FDCALL_N=50000 SCALE_REPS=3
else
	LAB_REPS=25 REPS=21
	BULK_MB=64 RR_N=2000 CYC_N=4000 UDP_N=10000 UNIX_N=10000 SPAWN_N=100 SPAWN_BLOCKS=41
	CG_CYC=1000 CG_UDP=5000 MT_N=6400 MANY_N=10000 FDCALL_N=200000 SCALE_REPS=5
fi
LAB_REPS=${CLAT_BENCH_REPS:-$LAB_REPS} REPS=${CLAT_BENCH_REPS:-$REPS}
SKIP=,${CLAT_BENCH_SKIP:-},
TMO=300 # bound on any one measured command, seconds

PREFIX=2001:db8:64::/96
SV4=203.0.113.10
SYNTH=2001:db8:64::cb00:710a # $SV4 under $PREFIX (RFC 6052 2.2)
PORT_TCP=5201 PORT_UDP=5202 PORT_ACC=5203
CLAT_DEV=clat CLAT_V4=192.0.0.4 CLAT_TAYGA4=192.0.0.1 CLAT_V6=2001:db8:1::c1a7

say() { printf '==> %s\n' "$*" >&2; }
die() { echo "bench: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "needs root (network namespaces, TAYGA)"
{ [ -f "$LIB" ] && [ -x "$CLATRUN" ]; } || die "$BUILD is not a built tree (no $LIB or $CLATRUN)"
for t in ip gcc awk sort timeout; do
	command -v "$t" >/dev/null 2>&1 || die "$t not found"
done

# Nothing from the caller's environment may steer the library.
unset LD_PRELOAD CLAT_PREFIX CLAT_MODE CLAT_LOCAL_IPV4 CLAT_TRANSLATE_PRIVATE_WKP CLAT_DEBUG \
	CLAT_EARLY_SWITCH CLAT_CONFIG CLAT_CACHE_DIR CLAT_DISCOVERY CLAT_DISCOVERED CLAT_FALLBACK_PREFIX

export LAB_NAME=clat-bench-$$
# shellcheck source=../tests/lab/lab.sh
. "$src/tests/lab/lab.sh"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/clat-bench.XXXXXX") || exit 1
LONS=clat-bench-$$-lo
OWN_PIDS=""
LAB_STARTED=0
cleanup() {
	trap - EXIT INT TERM HUP
	local p
	for p in $OWN_PIDS; do kill "$p" 2>/dev/null; done
	for p in $OWN_PIDS; do wait "$p" 2>/dev/null; done
	ip netns del "$LONS" 2>/dev/null
	[ "$LAB_STARTED" = 1 ] && lab_down
	if [ -n "${CLAT_BENCH_OUT:-}" ]; then
		mkdir -p "$CLAT_BENCH_OUT" && cp -r "$WORK"/. "$CLAT_BENCH_OUT"/ &&
			echo "bench: raw results in $CLAT_BENCH_OUT" >&2
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP
: >"$WORK/empty.conf"
mkdir -m 755 "$WORK/cache"
# The library's settings in every preloaded run: nothing from /etc/clat.conf,
# no prefix discovery, no cache outside this run.
LIBENV=(CLAT_CONFIG="$WORK/empty.conf" CLAT_CACHE_DIR="$WORK/cache" CLAT_DISCOVERY=no)

mkdir -p "$BUILD/bench"
gcc -O2 -g -std=gnu11 -Wall -Wextra -pthread -o "$BNET" "$here/bnet.c" || die "cannot compile bnet.c"
# The same statically linked: what clatrun --supervise=auto gives the supervisor.
BNET_STATIC=$BUILD/bench/bnet-static
gcc -O2 -g -std=gnu11 -Wall -Wextra -pthread -static -o "$BNET_STATIC" "$here/bnet.c" ||
	die "cannot compile bnet.c statically (libc6-dev's libc.a)"
EMPTY=$BUILD/bench/empty-preload.so
gcc -O2 -shared -fPIC -Wl,-z,now -Wl,-z,relro -o "$EMPTY" "$here/empty_preload.c" ||
	die "cannot compile empty_preload.c"

# ------------------------------------------------------------------ numbers
# Series are files $WORK/vals/NAME, one value per line.
mkdir -p "$WORK/vals"
median_of_lines() { # numbers on stdin (anything else ignored) -> median, or NA
	awk '$1 ~ /^[0-9.]+$/ { print $1 }' | sort -g | awk -v d="${1:-}" '{ v[NR] = $1 } END {
		if (NR == 0) { print "NA"; exit }
		m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		if (d == "") print m; else printf "%." d "f\n", m }'
}
median() { # NAME -> median of the series, or "NA"
	median_of_lines <"$WORK/vals/$1" 2>/dev/null || echo NA
}
# pratio NUM DEN -> median over the rounds of NUM_r / DEN_r. Both values of a
# round ran back to back, so the pair shares the machine's state of the moment.
pratio() {
	paste "$WORK/vals/$1" "$WORK/vals/$2" 2>/dev/null |
		awk '$1 ~ /^[0-9.]+$/ && $2 ~ /^[0-9.]+$/ && $2 > 0 { print $1 / $2 }' | median_of_lines 3
}
spread() { # NAME -> "min..max n=K"
	local file=$WORK/vals/$1
	[ -s "$file" ] || { echo "no data"; return; }
	grep -E '^[0-9.]+$' "$file" | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%s..%s n=%d", lo, hi, NR }'
}
calc() { awk "BEGIN { x = $1; if (x == x + 0) printf \"%.${2:-3}f\", x; else print \"NA\" }" 2>/dev/null || echo NA; }

# Runners: every measured command runs under timeout(1), in the right place.
bounded() { timeout --foreground -k 5 "$TMO" "$@"; }
in_cl() { ip netns exec "$LAB_NS_CL" timeout --foreground -k 5 "$TMO" "$@"; }
clatrun_cl() { in_cl env "${LIBENV[@]}" "$CLATRUN" --prefix "$PREFIX" "$@"; }
in_lo() { ip netns exec "$LONS" timeout --foreground -k 5 "$TMO" "$@"; }
lib_lo() { in_lo env LD_PRELOAD="$LIB" "${LIBENV[@]}" CLAT_PREFIX="$PREFIX" "$@"; }
lib_lo_always() { lib_lo env CLAT_MODE=always "$@"; }
# The seccomp supervisor (clatrun --supervise) with the static bnet.
sv_cl() { in_cl env "${LIBENV[@]}" "$CLATRUN" --prefix "$PREFIX" --supervise=always "$@"; }
sv_lo() { in_lo env "${LIBENV[@]}" "$CLATRUN" --prefix "$PREFIX" --mode=always --supervise=always "$@"; }
# The supervisor's swap at connect instead of early twins (CLAT_EARLY_SWITCH=0).
sv_lo_swap() {
	in_lo env "${LIBENV[@]}" CLAT_EARLY_SWITCH=0 "$CLATRUN" --prefix "$PREFIX" --mode=always \
		--supervise=always "$@"
}
# The same prefix as discovered (from clatrun, expiring in a day): the library
# then follows the network (a time() comparison per translated connect, a
# netlink probe at most every 5 s), which an explicit prefix never does.
lib_lo_disc() {
	in_lo env LD_PRELOAD="$LIB" "${LIBENV[@]}" \
		CLAT_DISCOVERED="$PREFIX $(($(date +%s) + 86400)) dns64" "$@"
}
# The late family switch (at the first connect), as before the early one.
lib_lo_late() { lib_lo env CLAT_EARLY_SWITCH=0 "$@"; }
lib_lo_always_late() { lib_lo env CLAT_EARLY_SWITCH=0 CLAT_MODE=always "$@"; }

# measure NAME RUNNER CMD...: CMD prints one number (series NAME) or two,
# wall and CPU time per operation (series NAME and NAME_cpu).
measure() {
	local name=$1 out
	shift
	if out=$("$@" 2>>"$WORK/errors.log") && [[ "$out" =~ ^[0-9.]+( [0-9.]+)?$ ]]; then
		echo "${out%% *}" >>"$WORK/vals/$name"
		[[ "$out" == *" "* ]] && echo "${out##* }" >>"$WORK/vals/${name}_cpu"
	else
		echo "bench: $name failed: $* -> '${out:-}'" >>"$WORK/errors.log"
		# NA keeps the rounds of all series aligned.
		echo NA >>"$WORK/vals/$name"
		echo NA >>"$WORK/vals/${name}_cpu"
		FAILED_SERIES="$FAILED_SERIES $name"
	fi
}
FAILED_SERIES=""

# interleave ROUNDS NAME...: ROUNDS rounds, each running every variant once
# (function v_NAME), the order rotated by one each round.
interleave() {
	local rounds=$1 r i k n
	shift
	local names=("$@")
	n=${#names[@]}
	for ((r = 0; r < rounds; r++)); do
		for ((i = 0; i < n; i++)); do
			k=$(((i + r) % n))
			"v_${names[$k]}"
		done
	done
}

# ------------------------------------------------------------------ table
# row LABEL LIBVALUE BASEVALUE RATIO GOAL VERDICT (text, printed at the end)
: >"$WORK/table"
row() { printf '%s|%s|%s|%s|%s|%s\n' "$@" >>"$WORK/table"; }
section() { printf '#|%s\n' "$1" >>"$WORK/table"; }
# verdict RATIO OP LIMIT -> met / missed / n/a
verdict() {
	[ "$1" = NA ] && { echo "n/a"; return; }
	awk -v r="$1" -v l="$3" -v op="$2" 'BEGIN {
		ok = (op == ">=") ? r >= l : (op == "<=") ? r <= l : (op == ">") ? r > l : r == l
		print ok ? "met" : "MISSED" }'
}
# cmp_row LABEL LIB BASE KIND OP LIMIT [GOALTEXT]: a row comparing two
# interleaved series by their medians and the median of per-round ratios.
# KIND rate: values are rates, ratio LIB/BASE; time: values are times, ratio
# BASE/LIB (a rate ratio); tratio: times, ratio LIB/BASE; share: times,
# ratio LIB/BASE - 1 (what LIB adds, as a share of BASE).
cmp_row() {
	local label=$1 l=$2 b=$3 kind=$4 op=$5 limit=$6 goal=${7:-"$5 $6"} r
	case $kind in
	rate | tratio) r=$(pratio "$l" "$b") ;;
	time) r=$(pratio "$b" "$l") ;;
	share) r=$(pratio "$l" "$b"); [ "$r" = NA ] || r=$(calc "$r - 1" 3) ;;
	esac
	local v=""
	[ "$goal" = - ] || v=$(verdict "$r" "$op" "$limit")
	row "$label" "$(median "$l")" "$(median "$b")" "$r" "$goal" "$v"
}
# cmp_rows: cmp_row on wall time, then the same on CPU time where measured.
cmp_rows() {
	cmp_row "$@"
	[ -s "$WORK/vals/$2_cpu" ] || return 0
	local label=$1 l=$2 b=$3
	shift 3
	cmp_row "  the same, CPU time" "${l}_cpu" "${b}_cpu" "$@"
}
div() { # A B -> A/B with 3 decimals (NA if either is NA)
	[ "$1" = NA ] || [ "$2" = NA ] && { echo NA; return; }
	calc "$1 / $2" 3
}

print_table() {
	local fmt='%-50s %14s %14s %8s %10s  %s\n'
	echo
	echo "libclat benchmark: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, kernel $(uname -r),"
	echo "  interleaved rounds per comparison: lab $LAB_REPS, netns $REPS, spawn $SPAWN_BLOCKS x $SPAWN_N; quick=$QUICK."
	echo "  Values are medians; a ratio is the median of the per-round ratios."
	# shellcheck disable=SC2059
	printf "$fmt" "measurement" "libclat" "baseline" "ratio" "goal" "result"
	printf '%.0s-' {1..106}; echo
	while IFS='|' read -r a b c d e f; do
		if [ "$a" = "#" ]; then
			echo "$b"
			continue
		fi
		# shellcheck disable=SC2059
		printf "$fmt" "  $a" "$b" "$c" "$d" "$e" "$f"
	done <"$WORK/table"
}

# ------------------------------------------------------------------ section 1: lab
clat_route_add() {
	ip -n "$LAB_NS_CL" route add default dev "$CLAT_DEV" src "$CLAT_V4" mtu 1260 metric 2048
}
clat_route_del() { ip -n "$LAB_NS_CL" route del default dev "$CLAT_DEV" 2>/dev/null; }

# A kernel CLAT in the client namespace, the way clatd builds one: TAYGA on a
# tun, the host's IPv4 address 192.0.0.4 on it mapped 1:1 to a dedicated IPv6
# address, that address answered for on eth0 by proxy ND (so it is not local:
# packets to it are forwarded into the tun), IPv6 forwarding on, the IPv4
# default route through the tun with mtu 1260 (IPv6 minimum MTU minus 20).
# The IPv4 default route exists only while variant (c) runs, so that the
# libclat client (a) sees no IPv4 route, as on a host without a CLAT.
clat_up() {
	lab__sysctl "$LAB_NS_CL" net.ipv6.conf.all.forwarding=1 net.ipv6.conf.eth0.proxy_ndp=1 \
		net.ipv6.conf.eth0.accept_ra=0 || return 1
	ip -n "$LAB_NS_CL" -6 neigh add proxy "$CLAT_V6" dev eth0 || return 1
	mkdir -p "$LAB_DIR/clat-data"
	cat >"$LAB_DIR/clat-tayga.conf" <<EOF
tun-device $CLAT_DEV
ipv4-addr $CLAT_TAYGA4
prefix $PREFIX
map $CLAT_V4 $CLAT_V6
data-dir $LAB_DIR/clat-data
EOF
	lab__start clat-tayga "$LAB_NS_CL" tayga -d --config "$LAB_DIR/clat-tayga.conf" || return 1
	lab__ready clat-tayga ip -n "$LAB_NS_CL" link show "$CLAT_DEV" || return 1
	ip -n "$LAB_NS_CL" link set "$CLAT_DEV" up || return 1
	lab__wait 30 lab__link_up "$LAB_NS_CL" "$CLAT_DEV" || return 1
	ip -n "$LAB_NS_CL" addr add "$CLAT_V4/32" dev "$CLAT_DEV" || return 1
	ip -n "$LAB_NS_CL" -6 route add "$CLAT_V6/128" dev "$CLAT_DEV" || return 1
	# The path works: a TCP connection through both translators.
	clat_route_add || return 1
	local rc=0
	in_cl timeout 10 "$BNET" rr "$SV4" "$PORT_TCP" 3 >/dev/null || rc=1
	clat_route_del
	return $rc
}

v_bulk_a() { measure bulk_a clatrun_cl "$BNET" bulk "$SV4" "$PORT_TCP" "$BULK_MB"; }
v_bulk_b() { measure bulk_b in_cl "$BNET" bulk "$SYNTH" "$PORT_TCP" "$BULK_MB"; }
v_bulk_d() { measure bulk_d sv_cl "$BNET_STATIC" bulk "$SV4" "$PORT_TCP" "$BULK_MB"; }
v_bulk_c() {
	clat_route_add
	measure bulk_c in_cl "$BNET" bulk "$SV4" "$PORT_TCP" "$BULK_MB"
	clat_route_del
}
v_rr_a() { measure rr_a clatrun_cl "$BNET" rr "$SV4" "$PORT_TCP" "$RR_N"; }
v_rr_b() { measure rr_b in_cl "$BNET" rr "$SYNTH" "$PORT_TCP" "$RR_N"; }
v_rr_c() {
	clat_route_add
	measure rr_c in_cl "$BNET" rr "$SV4" "$PORT_TCP" "$RR_N"
	clat_route_del
}

section_lab() {
	say "lab: NAT64 (TAYGA) + DNS64, IPv4-only server; kernel CLAT in the client"
	LAB_STARTED=1
	lab_reap_stale
	local fail="1. Lab: not measured, set-up failed (see the messages above the table)"
	if ! LAB_OWNER=$$ lab_up "$PREFIX" >"$WORK/lab-up.log" 2>&1; then
		cat "$WORK/lab-up.log" >&2
		section "$fail"
		return 1
	fi
	if ! lab__start bnet-sink "$LAB_NS_SV" "$BNET" sink-server "$SV4" "$PORT_TCP" ||
	   ! lab__ready bnet-sink lab__listening "$LAB_NS_SV" tcp "$PORT_TCP"; then
		section "$fail"
		return 1
	fi
	if ! clat_up >"$WORK/clat-up.log" 2>&1; then
		cat "$WORK/clat-up.log" >&2
		lab__showlog "$LAB_DIR/clat-tayga.log"
		section "$fail"
		return 1
	fi
	# Each path once before measuring (neighbour entries, TAYGA's state).
	v_rr_a; v_rr_b; v_rr_c
	rm -f "$WORK/vals/rr_"*
	FAILED_SERIES=""
	say "lab: TCP bulk ${BULK_MB} MiB x $LAB_REPS x 4 variants"
	interleave "$LAB_REPS" bulk_a bulk_b bulk_c bulk_d
	say "lab: TCP ping-pong $RR_N x $REPS x 3 variants"
	interleave "$REPS" rr_a rr_b rr_c

	section "1. Through the lab's NAT64 to 203.0.113.10 (a: AF_INET under clatrun; b: native AF_INET6; c: AF_INET via kernel CLAT; d: static AF_INET under clatrun's supervisor)"
	cmp_row "TCP bulk Mbit/s, (a) vs native IPv6 (b)" bulk_a bulk_b rate ">=" 0.98
	cmp_row "TCP bulk Mbit/s, (a) vs kernel CLAT (c)" bulk_a bulk_c rate ">" 1
	cmp_row "TCP bulk Mbit/s, (d) static under the supervisor vs (b)" bulk_d bulk_b rate ">=" 0.98
	# Wall time only: the CLAT's work is in TAYGA, not in the client's CPU time.
	cmp_row "TCP 1-byte round trip us, (a) vs native (b)" rr_a rr_b time ">=" 0.98 ">= 0.98*"
	cmp_row "TCP 1-byte round trip us, (a) vs kernel CLAT (c)" rr_a rr_c time ">" 1
}

# ------------------------------------------------------------------ sections 2-4: netns

lo_listening() { ip netns exec "$LONS" ss -Hln"$1" "sport = :$2" 2>/dev/null | grep -q .; }
lo_start() { # NAME proto port ARGS...
	local name=$1 proto=$2 port=$3 i
	shift 3
	ip netns exec "$LONS" "$BNET" "$@" </dev/null >"$WORK/$name.log" 2>&1 &
	OWN_PIDS="$OWN_PIDS $!"
	for ((i = 0; i < 100; i++)); do
		lo_listening "$proto" "$port" && return 0
		sleep 0.1
	done
	die "$name did not start: $(cat "$WORK/$name.log")"
}

netns_up() {
	ip netns add "$LONS" || die "cannot create namespace $LONS"
	ip -n "$LONS" link set lo up || die "lo up"
	ip -n "$LONS" addr add "$SYNTH/128" dev lo nodad || die "address on lo"
	lo_start accept-server t "$PORT_ACC" accept-server :: "$PORT_ACC"
	lo_start udp-echo u "$PORT_UDP" udp-echo :: "$PORT_UDP"
}

v_cyc_trans() { measure cyc_trans lib_lo "$BNET" cycles "$SV4" "$PORT_ACC" "$CYC_N"; }
v_cyc_disc() { measure cyc_disc lib_lo_disc "$BNET" cycles "$SV4" "$PORT_ACC" "$CYC_N"; }
v_cyc_always() { measure cyc_always lib_lo_always "$BNET" cycles "$SV4" "$PORT_ACC" "$CYC_N"; }
v_cyc_late() { measure cyc_late lib_lo_late "$BNET" cycles "$SV4" "$PORT_ACC" "$CYC_N"; }
v_cyc_always_late() { measure cyc_always_late lib_lo_always_late "$BNET" cycles "$SV4" "$PORT_ACC" "$CYC_N"; }
v_cyc_native() { measure cyc_native in_lo "$BNET" cycles "$SYNTH" "$PORT_ACC" "$CYC_N"; }
v_cyc_native2() { measure cyc_native2 in_lo "$BNET" cycles "$SYNTH" "$PORT_ACC" "$CYC_N"; }
v_udp_trans() { measure udp_trans lib_lo "$BNET" udp-rr "$SV4" "$PORT_UDP" "$UDP_N"; }
v_udp_native() { measure udp_native in_lo "$BNET" udp-rr "$SYNTH" "$PORT_UDP" "$UDP_N"; }
v_c6_lib() { measure c6_lib lib_lo "$BNET" cycles ::1 "$PORT_ACC" "$CYC_N"; }
v_c6_nolib() { measure c6_nolib in_lo "$BNET" cycles ::1 "$PORT_ACC" "$CYC_N"; }
v_unix_lib() { measure unix_lib lib_lo "$BNET" unix-rr "$UNIX_N"; }
v_unix_nolib() { measure unix_nolib in_lo "$BNET" unix-rr "$UNIX_N"; }
v_unix_nolib2() { measure unix_nolib2 in_lo "$BNET" unix-rr "$UNIX_N"; }
v_c4_lib() { measure c4_lib lib_lo "$BNET" cycles 127.0.0.1 "$PORT_ACC" "$CYC_N"; }
v_c4_nolib() { measure c4_nolib in_lo "$BNET" cycles 127.0.0.1 "$PORT_ACC" "$CYC_N"; }
v_cyc_sv() { measure cyc_sv sv_lo "$BNET_STATIC" cycles "$SV4" "$PORT_ACC" "$CYC_N"; }
v_cyc_sv_swap() { measure cyc_sv_swap sv_lo_swap "$BNET_STATIC" cycles "$SV4" "$PORT_ACC" "$CYC_N"; }
v_pcyc_sv() { measure pcyc_sv sv_lo "$BNET_STATIC" pcycles 32 "$SV4" "$PORT_ACC" "$((CYC_N / 32))"; }
v_pcyc_native() { measure pcyc_native in_lo "$BNET_STATIC" pcycles 32 "$SYNTH" "$PORT_ACC" "$((CYC_N / 32))"; }
v_c6_sv() { measure c6_sv sv_lo "$BNET_STATIC" cycles ::1 "$PORT_ACC" "$CYC_N"; }
v_c6_static() { measure c6_static in_lo "$BNET_STATIC" cycles ::1 "$PORT_ACC" "$CYC_N"; }
v_unix_sv() { measure unix_sv sv_lo "$BNET_STATIC" unix-rr "$UNIX_N"; }
v_unix_static() { measure unix_static in_lo "$BNET_STATIC" unix-rr "$UNIX_N"; }

section_netns() {
	say "netns (loopback trick): connect cycles, UDP, untranslated calls, $REPS rounds"
	netns_up
	interleave "$REPS" cyc_trans cyc_native cyc_always cyc_late cyc_native2 cyc_always_late cyc_disc
	interleave "$REPS" udp_trans udp_native
	interleave "$REPS" c6_lib c6_nolib
	interleave "$REPS" unix_lib unix_nolib unix_nolib2
	interleave "$REPS" c4_lib c4_nolib
	interleave "$REPS" cyc_sv cyc_sv_swap cyc_native pcyc_sv pcyc_native
	interleave "$REPS" c6_sv c6_static unix_sv unix_static

	section "2. Per connection: socket+connect+close of a translated AF_INET socket vs native AF_INET6, us (private netns, server on [::] of lo)"
	cmp_rows "translation's share of a cycle (mode auto)" cyc_trans cyc_native share "<=" 0.10
	cmp_rows "translation's share of a cycle (mode always)" cyc_always cyc_native share "<=" 0.10
	cmp_rows "  late switch (CLAT_EARLY_SWITCH=0), mode auto" cyc_late cyc_native share "<=" 0.10 "-"
	cmp_rows "  late switch (CLAT_EARLY_SWITCH=0), mode always" cyc_always_late cyc_native share "<=" 0.10 "-"
	cmp_rows "noise floor: native vs native again (A/A)" cyc_native2 cyc_native share "<=" 0.10 "-"
	cmp_rows "network check: discovered vs explicit prefix (time ratio)" cyc_disc cyc_trans tratio "<=" 1.02 "-"
	section "3. UDP request/response, us per exchange (sendto/recvfrom with names)"
	cmp_rows "UDP exchange, translated vs native" udp_trans udp_native time ">=" 0.95
	section "4. Untranslated calls, library loaded vs not loaded, us per operation"
	cmp_rows "AF_INET6 TCP connect cycle to ::1" c6_lib c6_nolib time ">=" 0.99
	cmp_rows "AF_UNIX round trip (sendto/recvfrom)" unix_lib unix_nolib time ">=" 0.99
	cmp_rows "  noise floor: not loaded vs not loaded (A/A)" unix_nolib2 unix_nolib time ">=" 0.99 "-"
	cmp_rows "AF_INET TCP connect cycle to 127.0.0.1" c4_lib c4_nolib time ">=" 0.99
	section "4b. The seccomp supervisor (clatrun --supervise, static bnet), us per operation"
	cmp_rows "translated connect cycle vs native AF_INET6 (cost)" cyc_sv cyc_native tratio "<=" 2
	cmp_rows "  swap at connect instead of early twins (CLAT_EARLY_SWITCH=0)" cyc_sv_swap cyc_native tratio "<=" 2 "-"
	cmp_rows "32 threads connecting, per cycle, vs native 32 (cost)" pcyc_sv pcyc_native tratio "<=" 2 "-"
	cmp_rows "  32 threads vs one thread under the supervisor (cost)" pcyc_sv cyc_sv tratio "<" 1 "-"
	cmp_rows "untranslated AF_INET6 cycle to ::1, supervised vs not" c6_sv c6_static time ">=" 0.99
	cmp_rows "AF_UNIX round trip (sendto/recvfrom), supervised vs not" unix_sv unix_static time ">=" 0.99
}

# ------------------------------------------------------------------ section 5: scale
v_mt_trans() { measure mt_trans lib_lo "$BNET" cycles-mt "$SV4" "$PORT_ACC" 32 "$MT_N"; }
v_mt_native() { measure mt_native in_lo "$BNET" cycles-mt "$SYNTH" "$PORT_ACC" 32 "$MT_N"; }
v_mt_native2() { measure mt_native2 in_lo "$BNET" cycles-mt "$SYNTH" "$PORT_ACC" 32 "$MT_N"; }
v_many_tcp_trans() { measure many_tcp_trans lib_lo "$BNET" many "$SV4" "$PORT_ACC" "$MANY_N" tcp; }
v_many_tcp_native() { measure many_tcp_native in_lo "$BNET" many "$SYNTH" "$PORT_ACC" "$MANY_N" tcp; }
v_many_udp_trans() { measure many_udp_trans lib_lo "$BNET" many "$SV4" "$PORT_UDP" "$MANY_N" udp; }
v_many_udp_native() { measure many_udp_native in_lo "$BNET" many "$SYNTH" "$PORT_UDP" "$MANY_N" udp; }

section_scale() {
	say "scale: 32 threads connecting, $MANY_N sockets at once, calls on high descriptor numbers"
	ip netns list | grep -qw "$LONS" || netns_up
	interleave "$REPS" mt_trans mt_native mt_native2
	interleave "$SCALE_REPS" many_tcp_trans many_tcp_native many_udp_trans many_udp_native
	local hard fd t n
	hard=$(ulimit -Hn)
	# With CAP_SYS_RESOURCE (capability 24) bnet's want_fds may raise the
	# hard limit up to fs.nr_open; without it (a container's root) not.
	local caps why="RLIMIT_NOFILE hard limit $hard, no CAP_SYS_RESOURCE to raise it"
	caps=$(awk '/^CapEff:/ {print $2}' /proc/self/status 2>/dev/null)
	if [ -n "$caps" ] && (((16#$caps >> 24) & 1)) && [ -r /proc/sys/fs/nr_open ]; then
		hard=$(cat /proc/sys/fs/nr_open)
		why="fs.nr_open $hard"
	fi
	section "5. Concurrency and scale (private netns as in 2)"
	cmp_rows "32 threads: connect cycles/s, translated vs native" mt_trans mt_native time ">=" 0.9
	cmp_rows "  noise floor: native vs native again (A/A)" mt_native2 mt_native time ">=" 0.9 "-"
	t=$(median many_tcp_trans) n=$(median many_tcp_native)
	row "$MANY_N TCP sockets open: private memory, bytes/socket" "$t" "$n" "+$(calc "$t - $n" 0)" "-" ""
	t=$(median many_udp_trans) n=$(median many_udp_native)
	row "$MANY_N UDP sockets open: private memory, bytes/socket" "$t" "$n" "+$(calc "$t - $n" 0)" "-" ""
	# The record of a descriptor is found by two array indexings
	# (state/fdtable.c): the same cost at any number.
	for fd in 100 10000 1000000; do
		if [ "$hard" != unlimited ] && [ "$fd" -ge "$hard" ]; then
			row "getsockname on fd $fd, ns per call" "n/a" "" "" "-" "$why"
			continue
		fi
		for ((r = 0; r < SCALE_REPS; r++)); do
			measure "fdcall_trans_$fd" lib_lo "$BNET" fd-call "$SV4" "$PORT_UDP" "$fd" "$FDCALL_N"
			measure "fdcall_native_$fd" in_lo "$BNET" fd-call "$SYNTH" "$PORT_UDP" "$fd" "$FDCALL_N"
		done
		t=$(median "fdcall_trans_$fd") n=$(median "fdcall_native_$fd")
		row "getsockname on fd $fd, ns per call (translated vs native)" "$t" "$n" "+$(calc "$t - $n" 0)" "-" ""
	done
}

# ------------------------------------------------------------------ section 6: idle
SPAWN_ENV=(PATH=/usr/bin:/bin LANG=C)
v_spawn_lib() { measure spawn_lib bounded "$BNET" spawn "$SPAWN_N" "${SPAWN_ENV[@]}" LD_PRELOAD="$LIB" -- /bin/true; }
v_spawn_nolib() { measure spawn_nolib bounded "$BNET" spawn "$SPAWN_N" "${SPAWN_ENV[@]}" -- /bin/true; }
v_spawn_nolib2() { measure spawn_nolib2 bounded "$BNET" spawn "$SPAWN_N" "${SPAWN_ENV[@]}" -- /bin/true; }
v_spawn_empty() {
	measure spawn_empty bounded "$BNET" spawn "$SPAWN_N" "${SPAWN_ENV[@]}" LD_PRELOAD="$EMPTY" -- /bin/true
}
v_rss_lib() { measure rss_lib bounded env -i LD_PRELOAD="$LIB" "$BNET" rss; }
v_rss_nolib() { measure rss_nolib bounded env -i "$BNET" rss; }
v_dirty_lib() { measure dirty_lib bounded env -i LD_PRELOAD="$LIB" "$BNET" dirty; }
v_dirty_nolib() { measure dirty_nolib bounded env -i "$BNET" dirty; }

# Distinct shared objects in the maps of a started program.
count_objects() { "$@" cat /proc/self/maps | awk '$6 ~ /\.so/ { s[$6] = 1 } END { print length(s) }'; }

section_idle() {
	say "idle: $SPAWN_BLOCKS x $SPAWN_N spawns of /bin/true per variant (4), maps, RSS"
	interleave "$SPAWN_BLOCKS" spawn_lib spawn_nolib spawn_empty spawn_nolib2
	interleave "$REPS" rss_lib rss_nolib dirty_lib dirty_nolib
	local t n with without
	section "6. Idle cost for fleets (nothing translated)"
	cmp_rows "spawn /bin/true, us (time ratio)" spawn_lib spawn_nolib tratio "<=" 1.02
	cmp_rows "  floor: an empty preload library vs none" spawn_empty spawn_nolib tratio "<=" 1.02 "-"
	cmp_rows "  libclat vs the empty preload library" spawn_lib spawn_empty tratio "<=" 1.01
	cmp_rows "  noise floor: none vs none (A/A)" spawn_nolib2 spawn_nolib tratio "<=" 1.02 "-"
	with=$(count_objects env -i LD_PRELOAD="$LIB") without=$(count_objects env -i)
	echo "with: $(env -i LD_PRELOAD="$LIB" cat /proc/self/maps | awk '$6 ~ /\.so/ { print $6 }' | sort -u | tr '\n' ' ')" \
		>"$WORK/maps.txt"
	row "shared objects mapped (cat /proc/self/maps)" "$with" "$without" \
		"+$((with - without))" "+1 (itself)" "$(verdict "$((with - without))" "==" 1)"
	if command -v nm >/dev/null 2>&1; then
		t=$(nm -D --undefined-only "$LIB" | wc -l) n=$(nm -D --undefined-only "$EMPTY" | wc -l)
		row "imports the loader binds at start (nm -D --undefined-only)" "$t" "$n" "+$((t - n))" "-" \
			"(empty library)"
	fi
	t=$(median rss_lib) n=$(median rss_nolib)
	row "VmRSS of a small program, kB (mostly shared pages)" "$t" "$n" "+$(calc "$t - $n" 0)" "-" ""
	t=$(median dirty_lib) n=$(median dirty_nolib)
	row "  of which private dirty, kB (per process)" "$t" "$n" "+$(calc "$t - $n" 0)" "-" ""
}

# ------------------------------------------------------------------ instruction counts
cg_total() { # callgrind output file -> total Ir
	awk '/^(summary|totals):/ { print $2; exit }' "$1"
}
# callgrind NAME PREFIX-CMD... -- BNET-ARGS...: user-space instructions inside
# the bench_* loop only (start-up excluded).
cg_run() {
	local name=$1
	shift
	local out=$WORK/callgrind.$name
	if "$@" >/dev/null 2>"$WORK/callgrind.$name.log"; then
		cg_total "$out"
	else
		echo NA
	fi
}

# cg_per_op NAME RUNNER N BNET-ARGS...: user-space instructions per operation
# of a bnet loop of N operations (callgrind counts inside bench_* only).
cg_per_op() {
	local name=$1 runner=$2 n=$3 ir
	shift 3
	ir=$(cg_run "$name" "$runner" valgrind --tool=callgrind --toggle-collect='bench_*' \
		--callgrind-out-file="$WORK/callgrind.$name" "$BNET" "$@")
	calc "$ir / $n" 0
}

section_callgrind() {
	command -v valgrind >/dev/null 2>&1 || {
		section "Instruction counts: skipped (valgrind not installed)"
		return
	}
	say "callgrind: instruction counts (user space) for the same work"
	local t n al l sl sn prog tag
	ip netns list | grep -qw "$LONS" || netns_up
	section "Instructions per operation, user space only (callgrind; the kernel's share is invisible here)"
	t=$(cg_per_op cyc_trans lib_lo "$CG_CYC" cycles "$SV4" "$PORT_ACC" "$CG_CYC")
	al=$(cg_per_op cyc_always lib_lo_always "$CG_CYC" cycles "$SV4" "$PORT_ACC" "$CG_CYC")
	n=$(cg_per_op cyc_native in_lo "$CG_CYC" cycles "$SYNTH" "$PORT_ACC" "$CG_CYC")
	row "connect cycle, translated (auto) vs native" "$t" "$n" "+$(calc "$t - $n" 0)" "-" ""
	row "connect cycle, translated (always) vs native" "$al" "$n" "+$(calc "$al - $n" 0)" "-" ""
	al=$(cg_per_op cyc_late lib_lo_late "$CG_CYC" cycles "$SV4" "$PORT_ACC" "$CG_CYC")
	row "connect cycle, late switch (auto) vs native" "$al" "$n" "+$(calc "$al - $n" 0)" "-" ""
	t=$(cg_per_op udp_trans lib_lo "$CG_UDP" udp-rr "$SV4" "$PORT_UDP" "$CG_UDP")
	n=$(cg_per_op udp_native in_lo "$CG_UDP" udp-rr "$SYNTH" "$PORT_UDP" "$CG_UDP")
	row "UDP exchange, translated vs native" "$t" "$n" "+$(calc "$t - $n" 0)" "-" ""
	l=$(cg_per_op c6_lib lib_lo "$CG_CYC" cycles ::1 "$PORT_ACC" "$CG_CYC")
	n=$(cg_per_op c6_nolib in_lo "$CG_CYC" cycles ::1 "$PORT_ACC" "$CG_CYC")
	row "untranslated: AF_INET6 connect cycle, loaded vs not" "$l" "$n" "+$(calc "$l - $n" 0)" "-" ""
	l=$(cg_per_op unix_lib lib_lo "$CG_UDP" unix-rr "$CG_UDP")
	n=$(cg_per_op unix_nolib in_lo "$CG_UDP" unix-rr "$CG_UDP")
	row "untranslated: AF_UNIX round trip, loaded vs not" "$l" "$n" "+$(calc "$l - $n" 0)" "-" ""
	l=$(cg_per_op c4_lib lib_lo "$CG_CYC" cycles 127.0.0.1 "$PORT_ACC" "$CG_CYC")
	n=$(cg_per_op c4_nolib in_lo "$CG_CYC" cycles 127.0.0.1 "$PORT_ACC" "$CG_CYC")
	row "untranslated: IPv4 connect cycle to 127.0.0.1" "$l" "$n" "+$(calc "$l - $n" 0)" "-" ""
	# Whole-program counts for the idle cost: the dynamic loader's work included.
	local se
	se=$(cg_run start_empty bounded env -i LD_PRELOAD="$EMPTY" valgrind --tool=callgrind \
		--callgrind-out-file="$WORK/callgrind.start_empty" /bin/true)
	for prog in /bin/true "/bin/cat /dev/null"; do
		tag=${prog//[^a-z]/_}
		# shellcheck disable=SC2086
		sl=$(cg_run "start_lib$tag" bounded env -i LD_PRELOAD="$LIB" valgrind --tool=callgrind \
			--callgrind-out-file="$WORK/callgrind.start_lib$tag" $prog)
		# shellcheck disable=SC2086
		sn=$(cg_run "start_nolib$tag" bounded env -i valgrind --tool=callgrind \
			--callgrind-out-file="$WORK/callgrind.start_nolib$tag" $prog)
		row "whole run of $prog, instructions" "$sl" "$sn" "$(div "$sl" "$sn")" "<= 1.02" \
			"$(verdict "$(div "$sl" "$sn")" "<=" 1.02)"
		[ "$prog" = /bin/true ] || continue
		row "  floor: /bin/true with an empty preload library" "$se" "$sn" "$(div "$se" "$sn")" "-" ""
		row "  /bin/true, libclat vs the empty preload library" "$sl" "$se" "$(div "$sl" "$se")" "<= 1.10" \
			"$(verdict "$(div "$sl" "$se")" "<=" 1.10)"
	done
}

# syscalls per connect cycle (strace -c counts; difference of 100 and 0 cycles).
syscalls_per_cycle() { # runner addr
	local runner=$1 addr=$2 c1 c0
	command -v strace >/dev/null 2>&1 || { echo NA; return; }
	c1=$($runner strace -c -o "$WORK/strace.out" "$BNET" cycles "$addr" "$PORT_ACC" 100 >/dev/null 2>&1 &&
		awk '$NF == "total" { print $4 + 0 }' "$WORK/strace.out")
	c0=$($runner strace -c -o "$WORK/strace.out" "$BNET" cycles "$addr" "$PORT_ACC" 0 >/dev/null 2>&1 &&
		awk '$NF == "total" { print $4 + 0 }' "$WORK/strace.out")
	calc "(${c1:-NA} - ${c0:-NA}) / 100" 1
}

# The system calls of a translated connect (bnet switch-steps replays
# lib/translate/family_switch.c's sequence without the library), median of 5 runs.
switch_steps() {
	local r step us
	for ((r = 0; r < 5; r++)); do
		in_lo "$BNET" switch-steps "$SV4" "$PORT_ACC" "$CYC_N" 2>>"$WORK/errors.log" |
			while read -r step us; do
				echo "$us" >>"$WORK/steps.$step"
			done
	done
	section "What each step of a late switch costs here, us (replayed without the library; median of 5 x $CYC_N)"
	for step in "connect-IPv4-ENETUNREACH" "getsockopt-x3" "fcntl-GETFL+GETFD" "socket(AF_INET6)" \
		"fcntl-SETFL+setsockopt-V6ONLY" "dup3+close"; do
		row "$step" "$(median_of_lines 3 <"$WORK/steps.$step" 2>/dev/null)" "" "" "-" ""
	done
	local sum
	sum=$(for step in "connect-IPv4-ENETUNREACH" "getsockopt-x3" "fcntl-GETFL+GETFD" "socket(AF_INET6)" \
		"fcntl-SETFL+setsockopt-V6ONLY" "dup3+close"; do
		median_of_lines <"$WORK/steps.$step" 2>/dev/null
	done | awk '$1 ~ /^[0-9.]+$/ { s += $1; n++ } END { if (n == 6) printf "%.3f", s; else print "NA" }')
	row "sum: what the switch adds (mode auto)" "$sum" "" "" "-" ""
	row "(for scale: socket(AF_INET) / close)" "$(median_of_lines 3 <"$WORK/steps.socket(AF_INET)" 2>/dev/null)" \
		"$(median_of_lines 3 <"$WORK/steps.close" 2>/dev/null)" "" "-" ""
}

perf_rows() {
	if perf stat -e instructions true 2>&1 | grep -q 'not supported\|not counted\|<not' ||
	   ! perf stat -e instructions true >/dev/null 2>&1; then
		section "perf stat: no hardware instruction counter on this machine (skipped)"
		return
	fi
	local t n
	t=$(lib_lo perf stat -x, -e instructions "$BNET" cycles "$SV4" "$PORT_ACC" "$CYC_N" 2>&1 >/dev/null |
		awk -F, '/instructions/ { print $1 }')
	n=$(in_lo perf stat -x, -e instructions "$BNET" cycles "$SYNTH" "$PORT_ACC" "$CYC_N" 2>&1 >/dev/null |
		awk -F, '/instructions/ { print $1 }')
	section "perf stat instructions (user + kernel), whole run of $CYC_N connect cycles"
	row "connect cycles, translated vs native" "$t" "$n" "$(div "${t:-NA}" "${n:-NA}")" "<= 1.10" \
		"$(verdict "$(div "${t:-NA}" "${n:-NA}")" "<=" 1.10)"
}

section_profile() {
	ip netns list | grep -qw "$LONS" || netns_up
	local st sn sa sl sla
	st=$(syscalls_per_cycle lib_lo "$SV4")
	sa=$(syscalls_per_cycle lib_lo_always "$SV4")
	sl=$(syscalls_per_cycle lib_lo_late "$SV4")
	sla=$(syscalls_per_cycle lib_lo_always_late "$SV4")
	sn=$(syscalls_per_cycle in_lo "$SYNTH")
	section "System calls per connect cycle (strace -c; each costs ~1-2 us on this VM)"
	row "syscalls, translated (auto) vs native" "$st" "$sn" "+$(calc "$st - $sn" 1)" "<= +1" \
		"$(verdict "$(calc "$st - $sn" 1)" "<=" 1)"
	row "syscalls, translated (always) vs native" "$sa" "$sn" "+$(calc "$sa - $sn" 1)" "<= +1" \
		"$(verdict "$(calc "$sa - $sn" 1)" "<=" 1)"
	row "  late switch (auto) vs native" "$sl" "$sn" "+$(calc "$sl - $sn" 1)" "-" ""
	row "  late switch (always) vs native" "$sla" "$sn" "+$(calc "$sla - $sn" 1)" "-" ""
	switch_steps
	perf_rows
}

# ------------------------------------------------------------------ main
start=$(date +%s)
case $SKIP in *,lab,*) ;; *) section_lab ;; esac
case $SKIP in *,netns,*) ;; *) section_netns ;; esac
case $SKIP in *,scale,*) ;; *) section_scale ;; esac
case $SKIP in *,idle,*) ;; *) section_idle ;; esac
case $SKIP in *,callgrind,*) ;; *) section_callgrind; section_profile ;; esac

print_table
echo "* the issue sets no latency goal; the bulk goal is used."
echo "Ratios: rate ratios (>1: libclat faster); the spawn and instruction ratios are cost"
echo "ratios (>1: libclat costs more); a share is what translation adds to a native cycle."
echo "Spread of the raw values (min..max):"
for f in "$WORK"/vals/*; do
	[ -f "$f" ] || continue
	printf '  %-16s median %-10s %s\n' "${f##*/}" "$(median "${f##*/}")" "$(spread "${f##*/}")"
done
if [ -f "$WORK/callgrind.cyc_trans" ] && command -v callgrind_annotate >/dev/null 2>&1; then
	echo "Where $CG_CYC translated connect cycles' user-space instructions go (callgrind,"
	echo "inclusive, libclat's functions only):"
	callgrind_annotate --inclusive=yes --threshold=100 "$WORK/callgrind.cyc_trans" 2>/dev/null |
		grep ' \[.*libclat\.so\]$' | head -n 14 | sed 's/^/  /'
fi
if [ -n "$FAILED_SERIES" ]; then
	echo "Failed measurements:$FAILED_SERIES (see below)"
	tail -n 20 "$WORK/errors.log"
fi
echo "bench: done in $(($(date +%s) - start)) s"
