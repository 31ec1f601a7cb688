#!/bin/bash
# run-memcheck.sh - valgrind memcheck of translated runs in the lab (lab.sh):
# curl through libclat to the IPv4-only server, via the NAT64, as
#   1 LD_PRELOAD + CLAT_PREFIX (the translating connect and the names),
#   2 LD_PRELOAD without a prefix (lazy RFC 7050 discovery: c-ares is
#     dlopen'ed, queried through the DNS64, the prefix cache is written),
#   3 clatrun (valgrind --trace-children: clatrun's own discovery, then the
#     exec'd curl with the library),
# and, for UDP, python3's sendto/recvfrom through the library (4).
# Each must work and valgrind must report no error, leaks included
# (--errors-for-leak-kinds=definite,indirect): memcheck.supp lists the
# suppressions for noise outside libclat, each with its reason.
#
# Skips (77; a failure under CLAT_REQUIRE_ROOT_TESTS=1) without root or
# valgrind; skips in sanitizer builds (configure --enable-sanitizers), whose
# runtimes cannot run under valgrind. Environment as for lab/run-lab.sh;
# LAB_NAME (default clat-vg-PID).
# Output: "ok N - ..." lines, then "memcheck: P passed, F failed".

here=$(cd "$(dirname "$0")" && pwd)
lab=$here/../lab
export LAB_NAME=${LAB_NAME:-clat-vg-$$}
# shellcheck source=../lab/lab.sh
. "$lab/lab.sh"
# shellcheck source=../lab/testlib.sh
. "$lab/testlib.sh"

if [ -n "${CLAT_SANITIZERS:-}" ]; then
	echo "memcheck: SKIP: sanitizer build ($CLAT_SANITIZERS): valgrind cannot run sanitizer runtimes"
	exit 77
fi
TL_NAME=memcheck
command -v valgrind >/dev/null 2>&1 || skip_or_fail "valgrind not installed"
tl_init memcheck
TL_SHOW_LINES=80

PREFIX=2001:db8:64::/96
SV=$LAB_SV4
URL=http://$SV:8080/
M=$LAB_MARKER
T=120   # valgrind is slow; per command
VG=(valgrind -q --tool=memcheck --error-exitcode=99 --leak-check=full
	--show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect
	--track-origins=yes --num-callers=30 --suppressions="$here/memcheck.supp")

# vg DESC REGEX [--children] ENV... -- CMD...: CMD under valgrind in the client
# namespace; must exit 0, print REGEX and leave a valgrind log without errors.
vg() {
	local desc=$1 re=$2 log env=() children=() rc
	shift 2
	[ "$1" = --children ] && { children=(--trace-children=yes); shift; }
	while [ "$1" != -- ]; do env+=("$1"); shift; done
	shift
	log=$WORK/vg.$((N + 1)).log
	LAST_CMD=(env "${env[@]}" "${VG[@]}" "${children[@]}" --log-file="$log.%p" "$@")
	ip netns exec "$LAB_NS_CL" timeout -k 2 "$T" "${LAST_CMD[@]}" </dev/null >"$OUT" 2>&1
	rc=$?
	cat "$log".* >>"$OUT" 2>/dev/null
	if [ $rc -eq 99 ] || grep -q 'ERROR SUMMARY: [1-9]' "$log".* 2>/dev/null; then
		notok "$desc" "valgrind reported errors (exit status $rc)" show
	elif [ $rc -ne 0 ]; then notok "$desc" "exit status $rc" show
	elif ! grep -Eq "$re" "$OUT"; then notok "$desc" "output lacks /$re/" show
	else ok "$desc"
	fi
}

echo "memcheck: namespaces $LAB_NAME-{cl,gw,sv}; CLATRUN=${CLATRUN:-unset} CLAT_LIB=${CLAT_LIB:-unset}"
start=$SECONDS
if ! lab_up "$PREFIX" 2>"$WORK/up.err"; then
	LAST_CMD=(lab_up "$PREFIX")
	cp "$WORK/up.err" "$OUT"
	notok "lab up" "lab_up failed" show
else
	vg "valgrind: LD_PRELOAD+CLAT_PREFIX curl $URL: works, no errors" "$M" \
		LD_PRELOAD="$CLAT_LIB" CLAT_PREFIX="$PREFIX" -- curl -q -sS -m 60 "$URL"
	mkdir -m 755 "$WORK/cache-lazy"
	vg "valgrind: LD_PRELOAD curl, lazy RFC 7050 discovery (c-ares): works, no errors" "$M" \
		LD_PRELOAD="$CLAT_LIB" CLAT_CACHE_DIR="$WORK/cache-lazy" -- curl -q -sS -m 60 "$URL"
	assert "the lazy discovery wrote the prefix cache" grep -q "$PREFIX" "$WORK/cache-lazy/prefix"
	mkdir -m 755 "$WORK/cache-clatrun"
	vg "valgrind --trace-children: clatrun (discovery) + curl: works, no errors" "$M" --children \
		CLAT_CACHE_DIR="$WORK/cache-clatrun" -- "$CLATRUN" -- curl -q -sS -m 60 "$URL"
	vg "valgrind: LD_PRELOAD+CLAT_PREFIX python3 UDP echo: works, no errors" PYOK \
		LD_PRELOAD="$CLAT_LIB" CLAT_PREFIX="$PREFIX" PYTHONMALLOC=malloc -- \
		"$LAB_PYTHON" "$lab/pyclient.py" udp-echo "$SV" 7
fi
echo "# $((SECONDS - start)) s"
tl_summary
