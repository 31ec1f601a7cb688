# shellcheck shell=bash
# testlib.sh - sourced by the lab test scripts (run-lab.sh, run-discovery.sh):
# preconditions (root, tools, namespaces), a work directory, teardown on every
# exit path and TAP-like result lines. Source lab.sh first.
#
#   tl_init NAME     check preconditions (exit 77, or 1 with
#                    CLAT_REQUIRE_ROOT_TESTS=1), create $WORK, install the traps,
#                    export a hermetic libclat environment: CLAT_CONFIG=$WORK/empty.conf
#                    (an empty file) and CLAT_CACHE_DIR=$WORK/cache, so no test ever
#                    reads /etc/clat.conf or touches the system prefix cache.
#   ok DESC | skip DESC WHY | notok DESC WHY [show]   one result line; "show"
#                    adds ${LAST_CMD[*]} and the head of $OUT
#   assert DESC CMD...  CMD (in this shell) decides; its output goes to $OUT
#   tl_summary       "NAME: P passed, F failed"; true if nothing failed
#   CLAT_PRELOAD, SAN_ENV  what to run a program under the library with:
#                    env LD_PRELOAD="$CLAT_PRELOAD" CMD, "${SAN_ENV[@]}" "$CLATRUN" CMD.
#                    In sanitizer builds (configure --enable-sanitizers,
#                    tests/sanitize/README) both put the sanitizer runtime first
#                    in LD_PRELOAD (clatrun appends the library to it); otherwise
#                    they are $CLAT_LIB and nothing.
#   san_cannot_run PROG  true (with the reason in SAN_WHY) when PROG cannot run
#                    under this build's sanitizer runtime: skip the case then.
# A script may define tl_on_exit, which the teardown calls before lab_down.

skip_or_fail() {
	if [ "${CLAT_REQUIRE_ROOT_TESTS:-0}" = 1 ]; then
		echo "$TL_NAME: cannot run: $1 (and CLAT_REQUIRE_ROOT_TESTS=1)" >&2
		exit 1
	fi
	echo "$TL_NAME: SKIP: $1"
	exit 77
}

tl_cleanup() {
	trap - EXIT INT TERM
	declare -F tl_on_exit >/dev/null && tl_on_exit
	lab_down
	[ -n "${WORK:-}" ] && rm -rf "$WORK"
}

tl_init() {
	TL_NAME=$1
	[ "$(id -u)" = 0 ] || skip_or_fail "needs root (network namespaces, TAYGA)"
	lab__check_tools >/dev/null 2>&1 || { lab__check_tools; skip_or_fail "missing tools"; }
	[ -c /dev/net/tun ] || skip_or_fail "no /dev/net/tun"
	ip netns add "$LAB_NAME-probe" 2>/dev/null || skip_or_fail "cannot create network namespaces"
	ip netns del "$LAB_NAME-probe"
	lab_reap_stale

	# Keep the clients' behaviour independent of the caller's environment.
	unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy no_proxy NO_PROXY
	unset CLAT_PREFIX CLAT_MODE CLAT_DEBUG CLAT_LOCAL_IPV4 CLAT_TRANSLATE_PRIVATE_WKP LD_PRELOAD

	CLAT_PRELOAD=${CLAT_SAN_RUNTIME:+$CLAT_SAN_RUNTIME:}${CLAT_LIB:-}
	SAN_ENV=()
	[ -n "${CLAT_SAN_RUNTIME:-}" ] && SAN_ENV=(env "LD_PRELOAD=$CLAT_SAN_RUNTIME")

	WORK=$(mktemp -d "${TMPDIR:-/tmp}/clat-$TL_NAME-run.XXXXXX") || exit 99
	trap tl_cleanup EXIT
	trap 'tl_cleanup; exit 130' INT
	trap 'tl_cleanup; exit 143' TERM
	: >"$WORK/empty.conf"
	mkdir -m 755 "$WORK/cache"
	export CLAT_CONFIG=$WORK/empty.conf CLAT_CACHE_DIR=$WORK/cache

	N=0 PASS=0 FAIL=0 SKIP=0
	OUT=$WORK/out
	LAST_CMD=()
}

ok() { N=$((N + 1)); PASS=$((PASS + 1)); echo "ok $N - $1"; }
skip() { N=$((N + 1)); SKIP=$((SKIP + 1)); echo "ok $N - $1 # SKIP $2"; }
notok() { # desc why [show-output]
	N=$((N + 1)); FAIL=$((FAIL + 1))
	echo "not ok $N - $1"
	echo "#   $2"
	if [ -n "${3:-}" ] && [ -s "$OUT" ]; then
		echo "#   command: ${LAST_CMD[*]}"
		echo "#   output:"
		head -n "${TL_SHOW_LINES:-40}" "$OUT" | sed 's/^/#     /'
	fi
}

have() { command -v "$1" >/dev/null 2>&1; }

assert() { # desc command... (in this shell)
	local desc=$1
	shift
	LAST_CMD=("$@")
	if "$@" >"$OUT" 2>&1; then ok "$desc"; else notok "$desc" "check failed" show; fi
}

tl_summary() {
	local summary="$TL_NAME: $PASS passed, $FAIL failed"
	[ "$SKIP" -gt 0 ] && summary="$summary ($SKIP skipped)"
	echo "$summary"
	[ "$FAIL" -eq 0 ] && [ "$PASS" -gt 0 ]
}

# san_cannot_run PROGRAM: see the header. Only sanitizer builds say yes.
san_cannot_run() {
	SAN_WHY=
	[ -n "${CLAT_SANITIZERS:-}" ] || return 1
	local asan=no tsan=no
	case ",$CLAT_SANITIZERS," in *,address,*) asan=yes ;; esac
	case ",$CLAT_SANITIZERS," in *,thread,*) tsan=yes ;; esac
	case "${1##*/}" in
	curl|wget)
		# They link GnuTLS and so p11-kit, whose constructor runs before a
		# preloaded runtime is initialised and leaves glibc's setlocale lock
		# unbalanced: the next setlocale() hangs, with or without libclat.
		[ $asan = yes ] || [ $tsan = yes ] &&
			SAN_WHY="${1##*/} hangs in setlocale() under a preloaded $CLAT_SANITIZERS runtime (p11-kit constructor), with or without libclat" ;;
	java)
		[ $tsan = yes ] && SAN_WHY="the JVM does not run under the TSan runtime" ;;
	node|nodejs)
		SAN_WHY="Node.js exports its own ares_*, and sanitizer builds load c-ares without RTLD_DEEPBIND" ;;
	esac
	[ -n "$SAN_WHY" ]
}
