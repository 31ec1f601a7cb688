#!/bin/bash
# run-deb.sh - the Debian package (issue #7), built, installed and used:
#   1 dpkg-buildpackage -us -uc -b in a copy of the source tree (git's files,
#     or the whole tree when it is an unpacked tarball); the .deb holds the
#     library under the multiarch directory, clatrun, the three manual pages
#     and the hooks, and nothing in /etc;
#   2 dpkg -i: the files are in the standard places, man finds the pages,
#     /etc/ld.so.preload is untouched (fleet mode is never a side effect);
#   3 in the lab (tests/lab/lab.sh): curl fails alone and works through the
#     installed /usr/bin/clatrun (prefix from the lab's DNS64) and through a
#     bare LD_PRELOAD of the installed library;
#   4 the installed NetworkManager dispatcher script and the installed
#     service's command refresh a cache that holds another network's prefix;
#   5 fleet mode in a private mount namespace whose /etc is an overlay (the
#     host's /etc is never written): /etc/clat.conf, clatrun --install-preload
#     edits /etc/ld.so.preload, then a plain curl works without clatrun; the
#     package's prerm takes the entry out again and curl fails as before;
#   6 dpkg --purge removes every file, the cache directory and the unit
#     links; /etc/ld.so.preload is as before the test.
# The package is purged on every exit path. Needs root, the lab's tools and
# debhelper (Debian: apt-get install debhelper); skips (77) otherwise unless
# CLAT_REQUIRE_ROOT_TESTS=1, and when a libclat package is installed already
# (it is not replaced). About 2 minutes, most of it the package build.
# Output: TAP-like lines, then "package: P passed, F failed".

if [ -n "${CLAT_SANITIZERS:-}" ]; then
	# The package builds from the source tree without sanitizers: the plain
	# build's make check covers it; no need to build it again per sanitizer.
	echo "package: SKIP: sanitizer build ($CLAT_SANITIZERS)"
	exit 77
fi
here=$(cd "$(dirname "$0")" && pwd)
lab=$here/../lab
export LAB_NAME=${LAB_NAME:-clat-pkg-$$}
# shellcheck source=../lab/lab.sh
. "$lab/lab.sh"
# shellcheck source=../lab/testlib.sh
. "$lab/testlib.sh"
# shellcheck source=deb.sh
. "$here/deb.sh"
tl_init package
pkg_summary() {
	[ "$SKIP" -gt 0 ] && echo "# $SKIP skipped"
	echo "$TL_NAME: $PASS passed, $FAIL failed"
	[ "$FAIL" -eq 0 ] && [ "$PASS" -gt 0 ]
}
bail() { pkg_summary; exit 1; }

SRC=$(cd "${TESTS_SRCDIR:?set by tests/Makefile.am}/.." && pwd)
PA=2001:db8:64::/96
WRONG=2001:db8:dead::/96
URL=http://$LAB_SV4:8080/
M=$LAB_MARKER
T=15
INSTALLED=0

for tool in dpkg-buildpackage dh dpkg-checkbuilddeps dpkg-architecture unshare; do
	command -v "$tool" >/dev/null 2>&1 ||
		skip_or_fail "$tool missing (Debian: apt-get install debhelper dpkg-dev util-linux)"
done
if dpkg-query -W -f='${Status}' libclat 2>/dev/null | grep -q 'ok installed'; then
	skip_or_fail "a libclat package is installed on this machine; not replacing it"
fi
MA=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
LIB=/usr/lib/$MA/libclat/libclat.so

state() { # a file's identity for before/after checks
	if [ -e "$1" ] || [ -L "$1" ]; then sha256sum "$1" 2>&1; else echo "absent"; fi
}
PRELOAD_BEFORE=$(state /etc/ld.so.preload)
CONF_BEFORE=$(state /etc/clat.conf)

tl_on_exit() {
	if [ "$INSTALLED" = 1 ]; then
		dpkg --purge libclat >"$WORK/purge-on-exit.log" 2>&1 ||
			echo "# cleanup: dpkg --purge libclat failed: $(tail -n 3 "$WORK/purge-on-exit.log")"
	fi
	[ -n "${OVL:-}" ] && rm -rf "$OVL"
}

# runq DESC CMD...: CMD with its output in $OUT; true when it exits 0.
runq() {
	LAST_CMD=("${@:2}")
	"${@:2}" >"$OUT" 2>&1 </dev/null
}

# 1. Build.
if ! (cd "$SRC" && dpkg-checkbuilddeps) >"$OUT" 2>&1; then
	skip_or_fail "build dependencies missing: $(tail -n 1 "$OUT")"
fi
if ! pkg_deb "$SRC"; then
	TL_SHOW_LINES=60
	notok "dpkg-buildpackage -us -uc -b builds a .deb" "$PKG_ERR" show
	bail
fi
ok "dpkg-buildpackage -us -uc -b of the source tree ($PKG_HOW): $(basename "$DEB"), $PKG_BUILT"

dpkg-deb -c "$DEB" | awk '{print $NF}' | sed 's|^\./|/|' >"$WORK/contents"
missing=()
for f in /usr/bin/clatrun "$LIB" /usr/share/man/man1/clatrun.1.gz /usr/share/man/man7/libclat.7.gz \
	/usr/share/man/man5/clat.conf.5.gz /usr/lib/NetworkManager/dispatcher.d/90-libclat \
	/lib/systemd/system/libclat-refresh.service /lib/systemd/system/libclat-refresh.path \
	/lib/systemd/system/libclat-refresh.timer /usr/share/doc/libclat/copyright; do
	grep -qxF "$f" "$WORK/contents" || missing+=("$f")
done
if [ ${#missing[@]} -eq 0 ]; then ok "the .deb holds the library under /usr/lib/$MA/libclat, clatrun, 3 man pages, the hooks"
else cp "$WORK/contents" "$OUT"; notok "the .deb holds every file in its place" "missing: ${missing[*]}" show; fi
dpkg-deb --fsys-tarfile "$DEB" | tar -xO ./usr/share/doc/libclat/copyright >"$WORK/copyright" 2>/dev/null
grep -qx 'License: MIT' "$WORK/copyright" && ok "the .deb's copyright file states the MIT license" ||
	notok "the .deb's copyright file states the MIT license" "$(head -n 8 "$WORK/copyright")"
# The system prefix cache's directory comes with the package, root's and
# 755 whatever the umask of the first program that would have made it.
if dpkg-deb -c "$DEB" | grep -qE '^drwxr-xr-x root/root .* \./var/cache/libclat/$'; then
	ok "the .deb makes /var/cache/libclat, root's, mode 755"
else
	notok "the .deb makes /var/cache/libclat, root's, mode 755" "$(dpkg-deb -c "$DEB" | grep cache)"
fi
bad=$(grep -E '^/etc/|\.la$|^/usr/local/' "$WORK/contents")
[ -z "$bad" ] && ok "nothing in /etc or /usr/local, no .la file" || notok "nothing in /etc or /usr/local, no .la file" "$bad"
dpkg-deb -e "$DEB" "$WORK/control"
if grep -qs 'ld.so.preload' "$WORK/control/preinst" "$WORK/control/postinst"; then
	notok "no install script touches /etc/ld.so.preload" "$(grep -l ld.so.preload "$WORK/control/"*)"
else
	ok "no install script touches /etc/ld.so.preload"
fi
dpkg-deb -f "$DEB" Depends | grep -q 'libc-ares2' && ok "Depends names libc-ares2 (dlopen'ed)" ||
	notok "Depends names libc-ares2 (dlopen'ed)" "Depends: $(dpkg-deb -f "$DEB" Depends)"

# 2. Install.
for ((i = 0; i < 60; i++)); do
	dpkg -i "$DEB" >"$OUT" 2>&1 && { INSTALLED=1; break; }
	INSTALLED=1 # a half-configured package is purged too
	grep -qi 'lock' "$OUT" || break
	sleep 1
done
if ! dpkg-query -W -f='${Status}' libclat 2>/dev/null | grep -q 'ok installed'; then
	notok "dpkg -i installs the package" "not installed" show
	bail
fi
ok "dpkg -i $(basename "$DEB")"
runq "" /usr/bin/clatrun --version && grep -q '^clatrun (libclat) ' "$OUT" &&
	ok "/usr/bin/clatrun --version: $(cat "$OUT")" || notok "/usr/bin/clatrun --version" "failed" show
[ -f "$LIB" ] && [ "$(stat -c %U "$LIB")" = root ] && ok "the library is at $LIB, root's" ||
	notok "the library is at $LIB" "$(ls -l "$LIB" 2>&1)"
if command -v man >/dev/null 2>&1; then
	missing=()
	for p in "1 clatrun" "7 libclat" "5 clat.conf"; do
		set -- $p
		[ "$(man -w "$1" "$2" 2>/dev/null)" = "/usr/share/man/man$1/$2.$1.gz" ] || missing+=("$2($1)")
	done
	[ ${#missing[@]} -eq 0 ] && ok "man finds clatrun(1), libclat(7), clat.conf(5)" ||
		notok "man finds the pages" "not found: ${missing[*]}"
else
	skip "man finds the pages" "man not installed"
fi
zcat /usr/share/man/man1/clatrun.1.gz | grep -qF "$LIB" &&
	ok "clatrun(1) names the installed library's path" || notok "clatrun(1) names $LIB" "not in the page"
[ "$(state /etc/ld.so.preload)" = "$PRELOAD_BEFORE" ] &&
	ok "installing left /etc/ld.so.preload alone ($PRELOAD_BEFORE)" ||
	notok "installing left /etc/ld.so.preload alone" "before: $PRELOAD_BEFORE, now: $(state /etc/ld.so.preload)"
[ -L /etc/systemd/system/timers.target.wants/libclat-refresh.timer ] &&
	[ -L /etc/systemd/system/paths.target.wants/libclat-refresh.path ] &&
	ok "the .timer and .path units are enabled" ||
	notok "the .timer and .path units are enabled" "$(ls -l /etc/systemd/system/*.wants/libclat* 2>&1)"

# 3. The lab, through the installed files.
if ! lab_up "$PA" >"$OUT" 2>&1; then
	notok "lab up ($PA)" "lab_up failed" show
	bail
fi
ok "lab up, DNS64 prefix $PA"

# client DESC want(ok|fail) CMD...: in the client namespace, hermetic env.
client() {
	local desc=$1 want=$2
	shift 2
	LAST_CMD=("$@")
	ip netns exec "$LAB_NS_CL" timeout -k 2 "$T" "$@" >"$OUT" 2>&1 </dev/null
	RC=$?
	if [ "$want" = ok ]; then
		[ $RC -eq 0 ] && grep -q "$M" "$OUT" && { ok "$desc"; return 0; }
		notok "$desc" "exit status $RC, or no marker in the output" show
	else
		[ $RC -ne 0 ] && ! grep -q "$M" "$OUT" && { ok "$desc"; return 0; }
		notok "$desc" "it worked (exit status $RC)" show
	fi
	return 1
}
client "curl alone fails (IPv6-only client)" fail curl -sS -m 5 "$URL"
client "curl through the installed /usr/bin/clatrun works (prefix from DNS64)" ok \
	/usr/bin/clatrun -v curl -sS -m 5 "$URL" &&
	{ grep -q "clatrun: library $LIB, prefix $PA (dns64)" "$OUT" &&
		ok "clatrun used $LIB and the DNS64 prefix" ||
		notok "clatrun used $LIB and the DNS64 prefix" "no such -v line" show; }
client "curl with a bare LD_PRELOAD of the installed library works" ok \
	env LD_PRELOAD="$LIB" CLAT_PREFIX="$PA" curl -sS -m 5 "$URL"

# 4. The installed hooks refresh the cache.
mkdir -p "$WORK/bin" "$WORK/hook"
printf '#!/bin/sh\necho "$*" >>%s\n' "$WORK/logger.out" >"$WORK/bin/logger"
chmod +x "$WORK/bin/logger"
seed_wrong() {
	local now
	now=$(date +%s)
	printf 'version 1\nsource dns64\nnegative no\nprefix %s\nfetched %s\nexpires %s\nresolver 2001:db8:99::53\n' \
		"$WRONG" "$now" "$((now + 3600))" >"$WORK/hook/prefix"
}
hook_updated() { # desc
	if grep -qx "prefix $PA" "$WORK/hook/prefix" && ! grep -q "$WRONG" "$WORK/hook/prefix"; then ok "$1"
	else cat "$WORK/hook/prefix" >>"$OUT"; notok "$1" "the cache still holds the old network's prefix" show; fi
}
seed_wrong
LAST_CMD=(/usr/lib/NetworkManager/dispatcher.d/90-libclat eth0 up)
ip netns exec "$LAB_NS_CL" env -u CLATRUN PATH="$WORK/bin:$PATH" CLAT_CACHE_DIR="$WORK/hook" \
	timeout 30 "${LAST_CMD[@]}" >"$OUT" 2>&1 </dev/null
hook_updated "the installed NetworkManager dispatcher script refreshed the cache (eth0 up)"
exec_start=$(sed -n 's/^ExecStart=//p' /lib/systemd/system/libclat-refresh.service)
[ "$exec_start" = "/usr/bin/clatrun --refresh" ] && ok "the installed service runs /usr/bin/clatrun --refresh" ||
	notok "the installed service runs /usr/bin/clatrun --refresh" "ExecStart=$exec_start"
seed_wrong
read -r -a cmd <<<"$exec_start"
LAST_CMD=("${cmd[@]}")
ip netns exec "$LAB_NS_CL" env CLAT_CACHE_DIR="$WORK/hook" timeout 30 "${cmd[@]}" >"$OUT" 2>&1 </dev/null
hook_updated "the installed service's command refreshed the cache"

# 5. Fleet mode, in a private mount namespace with an overlay on /etc.
OVL=$(mktemp -d /dev/shm/clat-pkg-ovl.XXXXXX 2>/dev/null || mktemp -d "$WORK/ovl.XXXXXX")
mkdir -p "$OVL/up" "$OVL/work"
mkdir -m 755 "$WORK/fleetcache"
cat >"$WORK/fleet.sh" <<EOF
set -u
mount -t overlay overlay -o lowerdir=/etc,upperdir=$OVL/up,workdir=$OVL/work /etc || exit 90
say() { echo "== \$*"; }
# The fleet recipe: the package is installed; push /etc/clat.conf, enable.
rm -f /etc/clat.conf
printf '# pushed by configuration management\nprefix = $PA\nmode = auto\n' >/etc/clat.conf
say install; clatrun --install-preload; echo "rc=\$?"
say file; cat /etc/ld.so.preload
say curl-on; curl -sS -m 5 "$URL"; echo "rc=\$?"
say prerm; sh /var/lib/dpkg/info/libclat.prerm remove; echo "rc=\$?"
say file-after; cat /etc/ld.so.preload 2>&1
say curl-off; curl -sS -m 5 "$URL"; echo "rc=\$?"
EOF
LAST_CMD=(ip netns exec "$LAB_NS_CL" unshare -m --propagation private bash "$WORK/fleet.sh")
env -u CLAT_CONFIG -u LD_PRELOAD CLAT_CACHE_DIR="$WORK/fleetcache" timeout -k 2 60 "${LAST_CMD[@]}" \
	>"$OUT" 2>&1 </dev/null
rc=$?
section() { sed -n "/^== $1\$/,/^== /p" "$OUT" | sed '1d;/^== /d'; }
if [ $rc -eq 90 ]; then
	skip "fleet mode (clatrun --install-preload) in a private mount namespace" "cannot mount an overlay on /etc"
else
	section install | grep -q '^rc=0$' && section install | grep -q "added $LIB to /etc/ld.so.preload" &&
		ok "fleet: clatrun --install-preload (the real /etc/ld.so.preload, in the overlay)" ||
		notok "fleet: clatrun --install-preload" "no 'added' message or non-zero exit" show
	[ "$(section file)" = "$LIB" ] && ok "fleet: /etc/ld.so.preload lists $LIB" ||
		notok "fleet: /etc/ld.so.preload lists $LIB" "it holds: $(section file)" show
	section curl-on | grep -q "$M" && section curl-on | grep -q '^rc=0$' &&
		ok "fleet: a plain curl (no clatrun, no LD_PRELOAD) works" ||
		notok "fleet: a plain curl works" "no marker" show
	section prerm | grep -q "removed $LIB from /etc/ld.so.preload" &&
		ok "fleet: the package's prerm (remove) takes the entry out" ||
		notok "fleet: the package's prerm (remove) takes the entry out" "no 'removed' message" show
	section file-after | grep -q 'No such file' && ok "fleet: /etc/ld.so.preload is gone again" ||
		notok "fleet: /etc/ld.so.preload is gone again" "$(section file-after)" show
	section curl-off | grep -q "$M" && notok "fleet: curl fails again" "it still works" show ||
		ok "fleet: curl fails again without the entry"
fi
[ "$(state /etc/clat.conf)" = "$CONF_BEFORE" ] && ok "the host's /etc/clat.conf is untouched" ||
	notok "the host's /etc/clat.conf is untouched" "before: $CONF_BEFORE, now: $(state /etc/clat.conf)"

# 6. Purge.
if dpkg --purge libclat >"$OUT" 2>&1; then
	INSTALLED=0
	ok "dpkg --purge libclat"
else
	notok "dpkg --purge libclat" "failed" show
fi
left=()
for f in /usr/bin/clatrun "$LIB" "$(dirname "$LIB")" /usr/share/man/man1/clatrun.1.gz \
	/usr/lib/NetworkManager/dispatcher.d/90-libclat /lib/systemd/system/libclat-refresh.service \
	/etc/systemd/system/timers.target.wants/libclat-refresh.timer \
	/etc/systemd/system/paths.target.wants/libclat-refresh.path /var/cache/libclat; do
	[ -e "$f" ] || [ -L "$f" ] && left+=("$f")
done
[ ${#left[@]} -eq 0 ] && ok "purge leaves no file, link or cache behind" ||
	notok "purge leaves nothing behind" "left: ${left[*]}"
[ "$(state /etc/ld.so.preload)" = "$PRELOAD_BEFORE" ] &&
	ok "/etc/ld.so.preload is as before the test ($PRELOAD_BEFORE)" ||
	notok "/etc/ld.so.preload is as before the test" "before: $PRELOAD_BEFORE, now: $(state /etc/ld.so.preload)"

pkg_summary
