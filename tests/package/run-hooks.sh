#!/bin/bash
# run-hooks.sh - the network-change hooks refresh the shared prefix cache
# (issue #7), in the lab (tests/lab/lab.sh), with the build tree's clatrun:
#   1 the NetworkManager dispatcher script (contrib/networkmanager/90-libclat,
#     as built), run as NetworkManager runs it ("eth0 up") in the client
#     namespace, replaces a fresh cache entry of another network (a wrong
#     prefix) with the lab's DNS64 prefix and logs it (logger is stubbed);
#     it ignores actions that are no network change;
#   2 the systemd service's command (ExecStart of libclat-refresh.service, as
#     built) does the same; the .path and .timer units start that service;
#     systemd-analyze verify accepts the units when it is installed;
#   3 after a change to a network without DNS64 the hook replaces the
#     positive entry with a negative one (the old prefix is not used on).
# Every command gets CLAT_CACHE_DIR, a directory of this run, never the
# system cache. Root only; skips (77) otherwise unless CLAT_REQUIRE_ROOT_TESTS=1.
# Output: TAP-like lines, then "package-hooks: P passed, F failed".

here=$(cd "$(dirname "$0")" && pwd)
lab=$here/../lab
export LAB_NAME=${LAB_NAME:-clat-hooks-$$}
# shellcheck source=../lab/lab.sh
. "$lab/lab.sh"
# shellcheck source=../lab/testlib.sh
. "$lab/testlib.sh"
tl_init package-hooks
# The summariser wants "NAME: P passed, F failed" as the whole last line.
pkg_summary() {
	[ "$SKIP" -gt 0 ] && echo "# $SKIP skipped"
	echo "$TL_NAME: $PASS passed, $FAIL failed"
	[ "$FAIL" -eq 0 ] && [ "$PASS" -gt 0 ]
}

: "${CLATRUN:?set by tests/Makefile.am}"
TOP_BUILD=$(cd "${TESTS_BUILDDIR:?set by tests/Makefile.am}/.." && pwd)
DISPATCHER=$TOP_BUILD/contrib/networkmanager/90-libclat
SERVICE=$TOP_BUILD/contrib/systemd/libclat-refresh.service
UNITS_SRC=$(cd "$TESTS_SRCDIR/../contrib/systemd" && pwd)
PA=2001:db8:64::/96
WRONG=2001:db8:dead::/96
CACHE=$WORK/cache/prefix

# A logger that writes to a file: the dispatcher's syslog line, checkable.
mkdir -p "$WORK/bin"
cat >"$WORK/bin/logger" <<EOF
#!/bin/sh
echo "\$*" >>"$WORK/logger.out"
EOF
chmod +x "$WORK/bin/logger"

# seed_wrong: a fresh positive cache entry of "another network" (wrong prefix).
seed_wrong() {
	local now
	now=$(date +%s)
	printf 'version 1\nsource dns64\nnegative no\nprefix %s\nfetched %s\nexpires %s\nresolver 2001:db8:99::53\n' \
		"$WRONG" "$now" "$((now + 3600))" >"$CACHE"
	chmod 644 "$CACHE"
}
# cache_has DESC REGEX...: the cache file matches every REGEX (one per line).
cache_has() {
	local desc=$1 re
	shift
	for re in "$@"; do
		if ! grep -Eq -- "$re" "$CACHE" 2>/dev/null; then
			{ echo "cache file $CACHE:"; cat "$CACHE" 2>&1; echo "wanted /$re/"; } >>"$OUT"
			notok "$desc" "cache lacks /$re/" show
			return 1
		fi
	done
	ok "$desc"
}
# in_client CMD...: CMD in the client namespace with the hermetic environment
# and the logger stub first in PATH; output to $OUT.
in_client() {
	LAST_CMD=("$@")
	ip netns exec "$LAB_NS_CL" timeout -k 2 30 env PATH="$WORK/bin:$PATH" \
		CLAT_CACHE_DIR="$WORK/cache" CLAT_CONFIG="$WORK/empty.conf" "$@" >"$OUT" 2>&1 </dev/null
	RC=$?
}

if ! lab_up "$PA" >"$OUT" 2>&1; then
	notok "lab up ($PA)" "lab_up failed" show
	pkg_summary
	exit 1
fi
ok "lab up, DNS64 prefix $PA"

# 1. The NetworkManager dispatcher script.
if [ ! -x "$DISPATCHER" ]; then
	notok "the dispatcher script is built and executable" "no $DISPATCHER"
else
	ok "the dispatcher script is built and executable"
	seed_wrong
	: >"$WORK/logger.out"
	in_client env CLATRUN="$CLATRUN" "$DISPATCHER" eth0 up
	[ $RC -eq 0 ] && ok "dispatcher 'eth0 up': exit 0" || notok "dispatcher 'eth0 up': exit 0" "exit $RC" show
	cache_has "dispatcher 'eth0 up': the cache now holds the lab's prefix from its DNS64" \
		"^prefix $PA\$" '^source dns64$' '^negative no$' '^resolver 2001:db8:1::1$'
	grep -q "$WRONG" "$CACHE" && notok "the other network's prefix is gone" "still in $CACHE" ||
		ok "the other network's prefix is gone"
	grep -q "refreshed the NAT64 prefix after up on eth0: $PA" "$WORK/logger.out" &&
		ok "the dispatcher logs the refresh to syslog (logger)" ||
		{ cp "$WORK/logger.out" "$OUT"; notok "the dispatcher logs the refresh to syslog (logger)" "no such line" show; }

	for action in dhcp6-change dns-change connectivity-change vpn-up; do
		seed_wrong
		in_client env CLATRUN="$CLATRUN" "$DISPATCHER" eth0 "$action"
		cache_has "dispatcher '$action': refreshed too" "^prefix $PA\$"
	done
	seed_wrong
	before=$(sha256sum "$CACHE")
	in_client env CLATRUN="$CLATRUN" "$DISPATCHER" eth0 hostname
	in_client env CLATRUN="$CLATRUN" "$DISPATCHER" eth0 pre-up
	[ "$(sha256sum "$CACHE")" = "$before" ] && ok "dispatcher ignores 'hostname' and 'pre-up'" ||
		notok "dispatcher ignores 'hostname' and 'pre-up'" "the cache changed"
fi

# 2. The systemd units.
if [ ! -f "$SERVICE" ]; then
	notok "libclat-refresh.service is built" "no $SERVICE"
else
	exec_start=$(sed -n 's/^ExecStart=//p' "$SERVICE")
	read -r -a cmd <<<"$exec_start"
	if [[ "${cmd[0]}" == /*/clatrun && "${cmd[*]:1}" == "--refresh" ]]; then
		ok "the service runs 'clatrun --refresh' ($exec_start)"
	else
		notok "the service runs 'clatrun --refresh'" "ExecStart=$exec_start"
	fi
	seed_wrong
	in_client "$CLATRUN" "${cmd[@]:1}"
	[ $RC -eq 0 ] && ok "the service's command: exit 0" || notok "the service's command: exit 0" "exit $RC" show
	cache_has "the service's command rewrote the cache with the lab's prefix" "^prefix $PA\$" '^source dns64$'
	grep -q '^prefix: *2001:db8:64::/96 (source dns64' "$OUT" && ok "it prints the new prefix" ||
		notok "it prints the new prefix" "no 'prefix: $PA (source dns64' line" show
fi
missing=
grep -q '^Unit=libclat-refresh.service$' "$UNITS_SRC/libclat-refresh.path" || missing="$missing path:Unit"
grep -q '^PathChanged=/etc/resolv.conf$' "$UNITS_SRC/libclat-refresh.path" || missing="$missing path:resolv.conf"
grep -q '^WantedBy=paths.target$' "$UNITS_SRC/libclat-refresh.path" || missing="$missing path:WantedBy"
grep -q '^Unit=libclat-refresh.service$' "$UNITS_SRC/libclat-refresh.timer" || missing="$missing timer:Unit"
grep -q '^OnUnitActiveSec=' "$UNITS_SRC/libclat-refresh.timer" || missing="$missing timer:OnUnitActiveSec"
grep -q '^WantedBy=timers.target$' "$UNITS_SRC/libclat-refresh.timer" || missing="$missing timer:WantedBy"
[ -z "$missing" ] && ok "the .path (resolv.conf changes) and .timer units start the service" ||
	notok "the .path and .timer units start the service" "missing:$missing"
if command -v systemd-analyze >/dev/null 2>&1; then
	# verify wants the ExecStart binary to exist: point it at this clatrun.
	mkdir -p "$WORK/units"
	sed "s|^ExecStart=.*|ExecStart=$CLATRUN --refresh|" "$SERVICE" >"$WORK/units/libclat-refresh.service"
	cp "$UNITS_SRC/libclat-refresh.path" "$UNITS_SRC/libclat-refresh.timer" "$WORK/units/"
	if SYSTEMD_LOG_LEVEL=warning systemd-analyze verify --man=no "$WORK/units/"libclat-refresh.* >"$OUT" 2>&1 &&
		! grep -qi 'libclat-refresh' "$OUT"; then
		ok "systemd-analyze verify accepts the three units"
	else
		notok "systemd-analyze verify accepts the three units" "see output" show
	fi
else
	skip "systemd-analyze verify accepts the units" "systemd-analyze not installed"
fi

# 3. A network change to a network without DNS64: the hook replaces the
# positive entry with a negative one.
if lab_dns64_start plain >"$OUT" 2>&1; then
	seed_wrong
	if [ -x "$DISPATCHER" ]; then
		in_client env CLATRUN="$CLATRUN" "$DISPATCHER" eth0 dhcp6-change
		[ $RC -eq 0 ] && ok "no DNS64: dispatcher exit 0" || notok "no DNS64: dispatcher exit 0" "exit $RC" show
		cache_has "no DNS64: the cache now says so (negative entry), the old prefix is gone" \
			'^negative yes$' '^source dns64$'
		grep -q '^prefix ' "$CACHE" && notok "no prefix left in the cache" "$(cat "$CACHE")" ||
			ok "no prefix left in the cache"
	fi
else
	notok "restart the lab's resolver without DNS64" "lab_dns64_start plain failed" show
fi

pkg_summary
