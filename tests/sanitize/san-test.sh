#!/bin/sh
# san-test.sh TEST [ARGS...]: the LOG_COMPILER of sanitizer builds
# (configure --enable-sanitizers, see README in this directory). Runs one test
# of make check with the sanitizers' options and fails it when any sanitizer
# report appeared, in whatever process: the options send every report to a
# file (log_path), because the lab and netns scripts keep the programs'
# stderr to themselves and expected failures ("fails without the library")
# would hide an exit status.
#
# Environment from tests/Makefile.am: CLAT_SANITIZERS (the -fsanitize list),
# CLAT_SAN_RUNTIME (the runtime that must come first in LD_PRELOAD; the test
# scripts put it there), TESTS_BUILDDIR. Options already in ASAN_OPTIONS,
# UBSAN_OPTIONS, TSAN_OPTIONS come after ours, so they win.
test=$1
name=${test#"${TESTS_SRCDIR:-}/"}
name=${name#"${TESTS_BUILDDIR:-}/"}
name=$(echo "$name" | sed 's|^\./||; s|[/.]|_|g')
dir=${TESTS_BUILDDIR:-.}/sanitize-reports/$name
rm -rf "$dir"
mkdir -p "$dir" || exit 99

# Leaks are looked for in the project's own programs only (the unit tests,
# tests/netns's t_* programs, which run-netns.sh switches on): a foreign
# program's own leaks (curl, python3) are not ours to fail on.
leaks=0
case $test in *.sh) ;; *) leaks=1 ;; esac
# The library's own findings must end the process; abort_on_error makes that
# a SIGABRT, which no test mistakes for an expected exit status 1.
common="halt_on_error=1:abort_on_error=1:disable_coredump=1"
ASAN_OPTIONS="log_path=$dir/asan:$common:detect_leaks=$leaks:allow_user_segv_handler=1:detect_stack_use_after_return=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
UBSAN_OPTIONS="log_path=$dir/ubsan:$common:print_stacktrace=1:report_error_type=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
# Third-party races that appear without libclat too (the file says which).
supp=$(cd "$(dirname "$0")" && pwd)/tsan.supp
TSAN_OPTIONS="log_path=$dir/tsan:$common:second_deadlock_stack=1:suppressions=$supp${TSAN_OPTIONS:+:$TSAN_OPTIONS}"
export ASAN_OPTIONS UBSAN_OPTIONS TSAN_OPTIONS


"$@"
rc=$?

n=0
for f in "$dir"/*; do
	[ -f "$f" ] || continue
	n=$((n + 1))
	echo "----- sanitizer report $f:"
	head -n 80 "$f"
done
echo "sanitizer reports: $n (in $dir)"
if [ "$n" -gt 0 ]; then
	echo "FAIL: $test: the sanitizers reported $n finding(s), see above"
	case $rc in 0|77) rc=1 ;; esac
fi
exit $rc
