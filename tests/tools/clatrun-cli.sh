#!/bin/bash
# clatrun's command line: exit statuses (2 for bad options and settings,
# 126/127 like env(1), the program's own otherwise), what it passes to the
# program (LD_PRELOAD appended, CLAT_* variables) and its warnings. No root
# needed, no network.
set -u
: "${CLATRUN:?set by tests/Makefile.am}" "${CLAT_LIB:?set by tests/Makefile.am}"

N=0 PASSED=0 FAILED=0
TMP=$(mktemp -d "${TMPDIR:-/tmp}/clatrun-cli.XXXXXX") || exit 99
trap 'rm -rf "$TMP"' EXIT
OUT=$TMP/out

report() { # ok|fail desc
	N=$((N + 1))
	if [ "$1" = ok ]; then
		PASSED=$((PASSED + 1)); echo "ok $N - $2"
	else
		FAILED=$((FAILED + 1)); echo "not ok $N - $2"; sed 's/^/#   /' "$OUT"
	fi
}

# expect STATUS REGEX DESC -- CMD...: CMD exits STATUS and its output
# (stdout+stderr) matches REGEX (ERE, '' for any).
expect() {
	local status=$1 re=$2 desc=$3 rc
	shift 4
	# Discovery off: this test must send no DNS query to the host's resolver.
	env -u LD_PRELOAD -u CLAT_PREFIX -u CLAT_MODE -u CLAT_DEBUG -u CLAT_CONFIG \
		-u CLAT_FALLBACK_PREFIX -u CLAT_DISCOVERED CLAT_DISCOVERY=no ${SP:+LD_PRELOAD=${SP%:}} \
		CLAT_CACHE_DIR="$TMP/cache" CLAT_CONFIG="$TMP/none.conf" "$@" >"$OUT" 2>&1 </dev/null
	rc=$?
	if [ "$rc" = "$status" ] && { [ -z "$re" ] || grep -Eq -- "$re" "$OUT"; }; then
		report ok "$desc"
	else
		echo "(exit status $rc, wanted $status; wanted output matching: $re)" >>"$OUT"
		report fail "$desc"
	fi
}

P=2001:db8:64::/96
# Sanitizer builds (tests/sanitize/README): the runtime stays first in LD_PRELOAD.
SP=${CLAT_SAN_RUNTIME:+$CLAT_SAN_RUNTIME:}
expect 0 'Usage: clatrun' "--help exits 0 with usage" -- "$CLATRUN" --help
for opt in --prefix --mode --config --local-ipv4 --translate-private-wkp --verbose --help \
	--version --status --json --refresh --wait-pref64 --doctor; do
	expect 0 " $opt" "--help documents $opt" -- "$CLATRUN" --help
done
expect 0 '^clatrun \(libclat\) [0-9]' "--version" -- "$CLATRUN" --version

expect 2 "prefix: .*'2001:db8::/33'" "bad prefix length: exit 2, says why" -- \
	"$CLATRUN" --prefix 2001:db8::/33 true
expect 2 "prefix: .*'foo'" "unparseable prefix: exit 2" -- "$CLATRUN" -p foo true
expect 2 "prefix: .*'2001:db8:64:0:ff::/64'" "u-octet set: exit 2" -- \
	"$CLATRUN" -p 2001:db8:64:0:ff::/64 true
expect 2 "mode: .*'sometimes'" "unknown mode: exit 2" -- "$CLATRUN" --mode sometimes -p $P true
expect 2 "local-ipv4: .*'300.1.1.1'" "bad --local-ipv4: exit 2" -- \
	"$CLATRUN" --local-ipv4 300.1.1.1 -p $P true
expect 2 "unknown option '--bogus'" "unknown option: exit 2" -- "$CLATRUN" --bogus true
expect 2 "needs a value" "option without its value: exit 2" -- "$CLATRUN" --prefix
expect 2 "no program given" "no program: exit 2" -- "$CLATRUN" -p $P
expect 2 "CLAT_MODE: .*'bogus'" "bad CLAT_MODE in the environment: exit 2" -- \
	env CLAT_MODE=bogus "$CLATRUN" -p $P true
printf 'prefix = 2001:db8:64::/96\nfrobnicate = yes\n' >"$TMP/bad.conf"
expect 2 "bad.conf: line 2: unknown key 'frobnicate'" "bad config file: exit 2, names the line" -- \
	"$CLATRUN" --config "$TMP/bad.conf" true
expect 2 "cannot read .*missing.conf" "missing --config file: exit 2" -- \
	"$CLATRUN" --config "$TMP/missing.conf" true
# The library's rules, from the same code (lib/sys/config_file.c): too
# large is refused, not cut; a FIFO is refused without waiting for a
# writer; a symbolic link is refused.
awk 'BEGIN { for (i = 0; i < 1100; i++) printf "# %073d\n", i; print "mode = off" }' \
	>"$TMP/oversize.conf"
expect 2 "oversize.conf is too large" "config over 64 KiB: exit 2, not cut" -- \
	"$CLATRUN" --config "$TMP/oversize.conf" -p $P true
mkfifo "$TMP/fifo.conf"
expect 2 "fifo.conf is not a regular file" "config that is a FIFO: exit 2, no hang" -- \
	timeout 10 "$CLATRUN" --config "$TMP/fifo.conf" -p $P true
expect 2 "fifo.conf is not a regular file" "CLAT_CONFIG that is a FIFO: exit 2, no hang" -- \
	env CLAT_CONFIG="$TMP/fifo.conf" timeout 10 "$CLATRUN" -p $P true
printf 'prefix = %s\n' "$P" >"$TMP/target.conf"
ln -s "$TMP/target.conf" "$TMP/link.conf"
expect 2 "link.conf is a symbolic link" "config that is a symbolic link: exit 2" -- \
	"$CLATRUN" --config "$TMP/link.conf" true
printf 'prefix = 2001:db8:64::/96\nmode = always\n' >"$TMP/good.conf"
expect 0 "^$P always$" "a good config file is accepted and passed on" -- \
	"$CLATRUN" --config "$TMP/good.conf" sh -c 'echo "$(cat "$CLAT_CONFIG" | sed -n "s/prefix = //p") $(sed -n "s/mode = //p" "$CLAT_CONFIG")"'

expect 2 "--json goes with --status" "--json alone: exit 2" -- "$CLATRUN" --json true
expect 2 "--wait-pref64 wants whole seconds" "--wait-pref64 with a bad value: exit 2" -- \
	"$CLATRUN" --wait-pref64 soon true
expect 2 "--status takes at most one PROGRAM" "--status with two programs: exit 2" -- \
	"$CLATRUN" --status true false
expect 2 "--supervise wants auto, always or never" "--supervise with a bad value: exit 2" -- \
	"$CLATRUN" --supervise=sometimes true
expect 0 "method: +true: library \\(mode off" "--status PROGRAM says the method and why" -- \
	"$CLATRUN" -p $P -m off --status true
expect 2 "wants IPV4:PORT" "--doctor with a bad target: exit 2" -- "$CLATRUN" --doctor nowhere
expect 1 "tried: .*discovery: off" "--status without any prefix: exit 1, says what was tried" -- \
	"$CLATRUN" --status
expect 0 '"prefixes": \["2001:db8:64::/96"\], "source": "config"' "--status --json with --prefix" -- \
	"$CLATRUN" --status --json -p $P
printf 'fallback-prefix = 2001:db8:99::/96\n' >"$TMP/fallback.conf"
expect 0 "prefix: +2001:db8:99::/96 \(source fallback\)" "--status shows a fallback prefix" -- \
	"$CLATRUN" --config "$TMP/fallback.conf" --status

expect 7 '' "the program's exit status is passed through" -- "$CLATRUN" -p $P sh -c 'exit 7'
expect 127 "no-such-program: No such file" "program not found: 127" -- \
	"$CLATRUN" -p $P no-such-program
printf '#!/bin/sh\n' >"$TMP/not-executable"
expect 126 "Permission denied" "program not executable: 126" -- \
	"$CLATRUN" -p $P "$TMP/not-executable"
expect 0 '^-v$' "options after the program name are the program's" -- \
	"$CLATRUN" -p $P sh -c 'echo "$0"' -v

expect 0 "^$SP$CLAT_LIB$" "LD_PRELOAD set to the build tree's library" -- \
	"$CLATRUN" -p $P sh -c 'echo "$LD_PRELOAD"'
other=$(ls /lib/*/libm.so.6 /usr/lib/*/libm.so.6 2>/dev/null | head -n 1)
expect 0 "^$SP$other:$CLAT_LIB$" "an existing LD_PRELOAD is kept and appended to" -- \
	env LD_PRELOAD="$SP$other" "$CLATRUN" -p $P sh -c 'echo "$LD_PRELOAD"'
expect 0 "^$SP$CLAT_LIB$" "the library is not preloaded twice" -- \
	env LD_PRELOAD="$SP$CLAT_LIB" "$CLATRUN" -p $P sh -c 'echo "$LD_PRELOAD"'
expect 0 "^$P always 198.51.100.9 yes stderr$" "options become CLAT_* variables" -- \
	"$CLATRUN" -v -p $P -m always --local-ipv4 198.51.100.9 --translate-private-wkp \
	sh -c 'echo "$CLAT_PREFIX $CLAT_MODE $CLAT_LOCAL_IPV4 $CLAT_TRANSLATE_PRIVATE_WKP $CLAT_DEBUG"'
expect 0 "clatrun: library $CLAT_LIB, prefix $P \\(config\\), mode auto" "-v says which library and prefix" -- \
	"$CLATRUN" -v -p $P true
expect 0 "warning: no NAT64 prefix.*discovery: off" "no prefix anywhere: a warning, and the program still runs" -- \
	"$CLATRUN" true

# The loader ignores LD_PRELOAD for setuid programs run by other users.
cp "$(type -P true)" "$TMP/suid-true" && chmod 4755 "$TMP/suid-true"
chmod 755 "$TMP"
if [ "$(id -u)" = 0 ]; then
	as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups)
	expect 0 '' "root running a setuid program: no warning (nothing is ignored)" -- \
		"$CLATRUN" -p $P "$TMP/suid-true"
	[ -s "$OUT" ] && { echo "(unexpected output)" >>"$OUT"; report fail "root: silent"; }
else
	as_user=()
fi
expect 0 "warning: .*suid-true is setuid/setgid" "a setuid target gets a warning" -- \
	"${as_user[@]}" "$CLATRUN" -p $P "$TMP/suid-true"

# --enable-service/--disable-service: usage errors (no root needed; the
# drop-ins themselves: tests/package/run-services.sh).
expect 2 "needs a value" "--enable-service without a unit: exit 2" -- "$CLATRUN" --enable-service
expect 2 "take no program" "--enable-service with a program: exit 2" -- \
	"$CLATRUN" --enable-service=foo true
expect 2 "one --enable-service or --disable-service at a time" "two of them: exit 2" -- \
	"$CLATRUN" --enable-service=foo --disable-service=bar
expect 2 "go alone" "--disable-service with --status: exit 2" -- \
	"$CLATRUN" --disable-service=foo --status
expect 2 "not a unit name" "a path as unit name: exit 2, before anything else" -- \
	"$CLATRUN" --enable-service=../../../etc/passwd

echo "1..$N"
echo "clatrun-cli: $PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]
