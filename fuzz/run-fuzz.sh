#!/usr/bin/env bash
# Builds the libFuzzer targets in fuzz/ with clang and runs each for a
# bounded time over a copy of its seed corpus.
#
#   fuzz/run-fuzz.sh [BUILD_DIR]
#
# Environment:
#   FUZZ_SECONDS   seconds per target (default 10)
#   FUZZ_TARGETS   space-separated subset, e.g. "fuzz_icmp fuzz_cmsg"
#   FUZZ_BUILD_DIR build directory when no argument is given
#                  (default: a fresh mktemp -d, removed on success)
#   FUZZ_JOBS      targets fuzzed at the same time (default 1)
#   CC             compiler (default clang)
#   CLAT_REQUIRE_ROOT_TESTS=1  a missing clang/libFuzzer is a failure, not
#                  a skip (exit 77)
#
# Output: one line per target, "fuzz: TARGET: N execs, ok" or
# "fuzz: TARGET: N execs, CRASH" (with the reproducer and the sanitizer
# output's tail), then "fuzz: N passed, M failed". Exit 0 only when every
# target passed. Nothing is written into the source tree: the corpus is
# copied into the build directory and new inputs stay there.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
seconds=${FUZZ_SECONDS:-10}
jobs=${FUZZ_JOBS:-1}
cc=${CC:-clang}
all_targets="fuzz_config fuzz_prefix fuzz_rfc7050 fuzz_pref64 fuzz_sockaddr fuzz_cmsg fuzz_icmp
	fuzz_prefix_cache fuzz_sockopt fuzz_hostent fuzz_addrmap fuzz_networkd fuzz_attempts fuzz_destination
	fuzz_remote_msg fuzz_log_escape"
targets=${FUZZ_TARGETS:-$all_targets}

case "$seconds" in
'' | *[!0-9]*) echo "fuzz: FUZZ_SECONDS must be a whole number of seconds" >&2; exit 2 ;;
esac
case "$jobs" in
'' | *[!0-9]* | 0) echo "fuzz: FUZZ_JOBS must be a positive number" >&2; exit 2 ;;
esac

skip() {
	echo "fuzz: $*" >&2
	[ "$remove_build" = 1 ] && rm -rf "$build"
	if [ "${CLAT_REQUIRE_ROOT_TESTS:-0}" = 1 ]; then
		echo "fuzz: CLAT_REQUIRE_ROOT_TESTS=1: a skip is a failure" >&2
		echo "fuzz: 0 passed, 1 failed"
		exit 1
	fi
	echo "fuzz: skipped (install clang and libclang-rt-dev: apt-get install clang libclang-rt-14-dev)" >&2
	exit 77
}

build=${1:-${FUZZ_BUILD_DIR:-}}
remove_build=0
if [ -z "$build" ]; then
	build=$(mktemp -d "${TMPDIR:-/tmp}/clat-fuzz.XXXXXX") || exit 1
	remove_build=1
fi
mkdir -p "$build" || exit 1
build=$(cd "$build" && pwd)
case "$build/" in
"$here"/*) echo "fuzz: the build directory must be outside fuzz/" >&2; exit 2 ;;
esac

command -v "$cc" >/dev/null 2>&1 || skip "no $cc"

# shellcheck disable=SC2054 # the commas belong to -fsanitize=
cflags=(-std=c11 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
	-fno-omit-frame-pointer -D_GNU_SOURCE -I "$top/lib" -I "$top/lib/core" -Wall -Wextra)

# Is libFuzzer there? (Debian: libclang-rt-14-dev ships libclang_rt.fuzzer.)
probe="$build/probe.c"
printf '#include <stddef.h>\n#include <stdint.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n' >"$probe"
if ! "$cc" -fsanitize=fuzzer,address,undefined "$probe" -o "$build/probe" >"$build/probe.log" 2>&1; then
	sed 's/^/fuzz:   /' "$build/probe.log" | tail -n 5 >&2
	skip "$cc cannot build a libFuzzer target"
fi

# The core once, as objects of an archive (each target pulls what it uses).
objdir="$build/obj"
mkdir -p "$objdir"
rm -f "$build/libclatcore-fuzz.a"
for src in "$top"/lib/core/*.c; do
	obj="$objdir/$(basename "${src%.c}").o"
	if ! "$cc" "${cflags[@]}" -fsanitize=fuzzer-no-link -c "$src" -o "$obj" 2>"$obj.log"; then
		cat "$obj.log" >&2
		echo "fuzz: cannot compile $src"
		echo "fuzz: 0 passed, 1 failed"
		exit 1
	fi
done
ar rcs "$build/libclatcore-fuzz.a" "$objdir"/*.o || exit 1

passed=0
failed=0
failed_names=""
ready=""

build_target() {
	local t=$1
	"$cc" "${cflags[@]}" "$here/$t.c" "$build/libclatcore-fuzz.a" -o "$build/$t" \
		>"$build/$t.build.log" 2>&1
}

# Runs one target; writes its result line to $build/$t.result.
run_target() {
	local t=$1
	local work="$build/corpus/$t" art="$build/artifacts/$t/" log="$build/$t.log"
	local dict=() execs status repro
	rm -rf "$work" "$art"
	mkdir -p "$work" "$art"
	if [ -d "$here/corpus/$t" ]; then
		cp -R "$here/corpus/$t/." "$work/"
	fi
	[ -f "$here/dict/$t.dict" ] && dict=(-dict="$here/dict/$t.dict")
	# -max_total_time bounds the fuzzing; timeout(1) bounds everything else
	# (a hang in the initial corpus pass, a stuck sanitizer report).
	timeout -k 10 $((seconds + 120)) "$build/$t" -max_total_time="$seconds" -timeout=10 \
		-rss_limit_mb=2048 -max_len=4096 -print_final_stats=1 -artifact_prefix="$art" \
		"${dict[@]}" "$work" >"$log" 2>&1
	status=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$log" | tail -n 1)
	[ -n "$execs" ] || execs=$(sed -n 's/^#\([0-9][0-9]*\).*/\1/p' "$log" | tail -n 1)
	[ -n "$execs" ] || execs=0
	if [ "$status" -eq 0 ]; then
		echo "fuzz: $t: $execs execs, ok" >"$build/$t.result"
		return
	fi
	{
		echo "fuzz: $t: $execs execs, CRASH"
		[ "$status" -ge 124 ] && [ "$status" -le 137 ] && echo "fuzz:   ($t killed after $((seconds + 120)) s, status $status)"
		for repro in "$art"*; do
			[ -f "$repro" ] && echo "fuzz:   reproducer: $repro (rerun: $build/$t $repro)"
		done
		echo "fuzz:   sanitizer output ($log, from the report on):"
		# From the first report line (invariant, sanitizer, libFuzzer), else
		# the end of the log.
		awk '!found && /fuzz invariant failed|==[0-9]+==ERROR|runtime error:|ERROR: libFuzzer/ { found = 1 }
			found && shown < 45 { print; shown++ }
			{ tail[NR % 40] = $0 }
			END { if (!found) for (i = NR - 39; i <= NR; i++) if (i > 0) print tail[i % 40] }' "$log" |
			sed 's/^/fuzz:   | /'
	} >"$build/$t.result"
}

for t in $targets; do
	if [ ! -f "$here/$t.c" ]; then
		echo "fuzz: $t: no such target"
		failed=$((failed + 1))
		failed_names="$failed_names $t"
		continue
	fi
	if ! build_target "$t"; then
		echo "fuzz: $t: 0 execs, CRASH (does not build)"
		sed 's/^/fuzz:   | /' "$build/$t.build.log" | tail -n 20
		failed=$((failed + 1))
		failed_names="$failed_names $t"
		continue
	fi
	ready="$ready $t"
done

running=0
for t in ${ready:-}; do
	run_target "$t" &
	running=$((running + 1))
	if [ "$running" -ge "$jobs" ]; then
		wait -n 2>/dev/null || true
		running=$((running - 1))
	fi
done
wait

for t in ${ready:-}; do
	cat "$build/$t.result"
	if grep -q ', ok$' "$build/$t.result"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		failed_names="$failed_names $t"
	fi
done

echo "fuzz: $passed passed, $failed failed"
if [ "$failed" -ne 0 ]; then
	echo "fuzz: build directory kept: $build" >&2
	exit 1
fi
[ "$remove_build" = 1 ] && rm -rf "$build"
exit 0
