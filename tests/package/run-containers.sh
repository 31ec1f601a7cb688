#!/bin/bash
# run-containers.sh - the two ways docs/containers.md gives an IPv4-only
# program in a container libclat, with plain namespaces instead of a
# container runtime (no image registry here): each "container" is a root
# filesystem entered with unshare (new mount and PID namespaces, /proc and
# /dev mounted) and chroot, in the lab's IPv6-only client namespace
# (tests/lab/lab.sh). The images hold only what they need: the programs and
# the libraries ldd names.
#   1 an image without libclat (curl): curl fails, as on any IPv6-only host;
#   2 the same image, the package's library bind-mounted read-only and
#     LD_PRELOAD set, the prefix given as CLAT_PREFIX: curl works;
#   3 the same without CLAT_PREFIX fails (no prefix: the image has no
#     c-ares to discover one); with the host's prefix cache
#     (written by clatrun --refresh on the "host") bind-mounted read-only
#     at /var/cache/libclat: curl works;
#   4 an image built from the .deb's files (clatrun, the library, c-ares):
#     clatrun curl works with the prefix the container discovers itself
#     (DNS64), and clatrun -v names the package's library and that prefix.
# Needs root, the lab's tools and debhelper (the .deb, see deb.sh); skips
# (77) otherwise unless CLAT_REQUIRE_ROOT_TESTS=1.
# Output: TAP-like lines, then "package-containers: P passed, F failed".

if [ -n "${CLAT_SANITIZERS:-}" ]; then
	echo "package-containers: SKIP: sanitizer build ($CLAT_SANITIZERS)"
	exit 77
fi
here=$(cd "$(dirname "$0")" && pwd)
lab=$here/../lab
export LAB_NAME=${LAB_NAME:-clat-ctr-$$}
# shellcheck source=../lab/lab.sh
. "$lab/lab.sh"
# shellcheck source=../lab/testlib.sh
. "$lab/testlib.sh"
# shellcheck source=deb.sh
. "$here/deb.sh"
tl_init package-containers

SRC=$(cd "${TESTS_SRCDIR:?set by tests/Makefile.am}/.." && pwd)
PA=2001:db8:64::/96
URL=http://$LAB_SV4:8080/
M=$LAB_MARKER
bail() { tl_summary; exit 1; }

for tool in dpkg-buildpackage dpkg-architecture unshare chroot ldd curl; do
	have "$tool" || skip_or_fail "$tool missing (Debian: apt-get install debhelper dpkg-dev util-linux curl)"
done
(cd "$SRC" && dpkg-checkbuilddeps) >"$OUT" 2>&1 ||
	skip_or_fail "build dependencies missing: $(tail -n 1 "$OUT")"
MA=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
CARES=$(ldconfig -p | sed -n 's/.*libcares\.so\.2 .*=> //p' | head -n 1)
[ -n "$CARES" ] || skip_or_fail "no libcares.so.2 (Debian: apt-get install libc-ares2)"

if ! pkg_deb "$SRC"; then
	TL_SHOW_LINES=60
	notok "the libclat .deb" "$PKG_ERR" show
	bail
fi
ok "the libclat .deb: $(basename "$DEB"), $PKG_BUILT"
mkdir -p "$WORK/pkg"
dpkg-deb -x "$DEB" "$WORK/pkg"
LIB=/usr/lib/$MA/libclat/libclat.so # where the package puts it, on host and image

# image DIR FILE...: a root filesystem with these files and the libraries
# ldd names for them.
image() {
	local dir=$1 f l
	shift
	mkdir -p "$dir"/{proc,dev,etc,tmp,var/cache/libclat,opt/libclat}
	for f; do
		cp -L --parents "$f" "$dir" || return 1
		for l in $(ldd "$f" 2>/dev/null | grep -o '/[^ ]*'); do
			[ -e "$dir$l" ] || cp -L --parents "$l" "$dir" || return 1
		done
	done
	echo "nameserver $LAB_GW6" >"$dir/etc/resolv.conf"
}
if ! image "$WORK/plain" /usr/bin/curl /usr/bin/env >"$OUT" 2>&1; then
	notok "an image with curl" "copying failed" show
	bail
fi
ok "image 'plain': curl and its $(find "$WORK/plain" -name '*.so*' | wc -l) libraries, no libclat"
# The clatrun image: the .deb's files (the package's own layout) and what
# they load, c-ares included (dlopen'ed for discovery, not in ldd's list).
mkdir -p "$WORK/full" && cp -a "$WORK/pkg/." "$WORK/full/"
(cd "$WORK/pkg" && find . -type f \( -name clatrun -o -name 'libclat.so' \) | sed 's|^\.||') >"$WORK/pkgbins"
for f in $(cat "$WORK/pkgbins"); do
	for l in $(ldd "$WORK/pkg$f" 2>/dev/null | grep -o '/[^ ]*'); do
		[ -e "$WORK/full$l" ] || cp -L --parents "$l" "$WORK/full"
	done
done
if image "$WORK/full" /usr/bin/curl /usr/bin/env "$CARES" >"$OUT" 2>&1 && [ -x "$WORK/full/usr/bin/clatrun" ]; then
	ok "image 'full': the .deb's files (clatrun, $LIB), c-ares, curl"
else
	notok "image 'full' from the .deb" "copying failed, or no clatrun" show
	bail
fi

if ! lab_up "$PA" >"$OUT" 2>&1; then
	notok "lab up ($PA)" "lab_up failed" show
	bail
fi
ok "lab up, DNS64 prefix $PA"

# container DESC WANT(ok|fail) ROOT BIND... -- CMD...: CMD in ROOT, in the
# client namespace; BIND is SRC:DST, mounted read-only.
container() {
	local desc=$1 want=$2 root=$3 mounts=()
	shift 3
	while [ "$1" != -- ]; do mounts+=("$1"); shift; done
	shift
	cat >"$WORK/enter.sh" <<'EOF'
root=$1; shift
mount --bind /dev "$root/dev" && mount -t proc proc "$root/proc" || exit 91
while [ "$1" != -- ]; do
	# The mount point, as a container runtime makes it.
	[ -e "$root${1#*:}" ] || if [ -d "${1%%:*}" ]; then mkdir -p "$root${1#*:}"; else : >"$root${1#*:}"; fi
	mount --bind "${1%%:*}" "$root${1#*:}" && mount -o remount,bind,ro "$root${1#*:}" || exit 91
	shift
done
shift
exec chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"
EOF
	LAST_CMD=("$@")
	ip netns exec "$LAB_NS_CL" timeout -k 2 20 unshare -m -p -f --propagation private \
		bash "$WORK/enter.sh" "$root" "${mounts[@]}" -- "$@" >"$OUT" 2>&1 </dev/null
	RC=$?
	if [ "$want" = ok ]; then
		[ $RC -eq 0 ] && grep -q "$M" "$OUT" && { ok "$desc"; return 0; }
		notok "$desc" "exit status $RC, or no marker" show
	else
		[ $RC -ne 0 ] && [ $RC -ne 91 ] && ! grep -q "$M" "$OUT" && { ok "$desc"; return 0; }
		notok "$desc" "exit status $RC" show
	fi
	return 1
}

container "plain image: curl fails (IPv6-only network)" fail "$WORK/plain" -- \
	curl -sS -m 5 "$URL"
container "plain image + the library bind-mounted, LD_PRELOAD and CLAT_PREFIX: curl works" ok \
	"$WORK/plain" "$WORK/pkg$LIB:/opt/libclat/libclat.so" -- \
	LD_PRELOAD=/opt/libclat/libclat.so CLAT_PREFIX="$PA" curl -sS -m 5 "$URL"
# The host's cache, as libclat-refresh or clatrun --refresh leaves it.
mkdir -m 755 "$WORK/hostcache"
LAST_CMD=(clatrun --refresh)
ip netns exec "$LAB_NS_CL" env CLAT_CACHE_DIR="$WORK/hostcache" "$CLATRUN" --refresh >"$OUT" 2>&1 </dev/null
grep -qx "prefix $PA" "$WORK/hostcache/prefix" 2>/dev/null && ok "the host's cache holds $PA (clatrun --refresh)" ||
	notok "the host's cache holds $PA" "no such line" show
container "plain image + the library, no prefix and no cache: curl fails (no c-ares to discover with)" \
	fail "$WORK/plain" "$WORK/pkg$LIB:/opt/libclat/libclat.so" -- \
	LD_PRELOAD=/opt/libclat/libclat.so curl -sS -m 5 "$URL"
container "plain image + the library and the host's cache bind-mounted, LD_PRELOAD only: curl works" ok \
	"$WORK/plain" "$WORK/pkg$LIB:/opt/libclat/libclat.so" "$WORK/hostcache:/var/cache/libclat" -- \
	LD_PRELOAD=/opt/libclat/libclat.so curl -sS -m 5 "$URL"
container "image from the .deb: clatrun curl works, prefix discovered inside" ok "$WORK/full" -- \
	clatrun -v curl -sS -m 5 "$URL" &&
	{ grep -q "clatrun: library $LIB, prefix $PA (dns64)" "$OUT" &&
		ok "... with the package's library and the DNS64 prefix" ||
		notok "... with the package's library and the DNS64 prefix" "no such -v line" show; }

tl_summary
