# shellcheck shell=bash
# deb.sh - sourced by the package tests that need the libclat .deb
# (run-deb.sh, run-ansible.sh, run-containers.sh), after testlib.sh:
#
#   pkg_deb SRC   copy SRC's files (git's, or the whole tree of an unpacked
#                 tarball) to $WORK/src and give DEB, the .deb
#                 dpkg-buildpackage -us -uc -b makes of them. The .deb is kept
#                 in $TESTS_BUILDDIR/package/deb-cache under a hash of the
#                 copied files, so the tests after the first one of a make
#                 check reuse it instead of building the same package again.
#                 Sets PKG_HOW (what was copied) and PKG_BUILT ("built in N s"
#                 or "reused, same files"); returns 1 with the reason in
#                 PKG_ERR and the build log's tail in $OUT.
# Needs dpkg-buildpackage and the build dependencies (the caller checks).

pkg_deb() {
	local src=$1 key cache rc t0
	DEB= PKG_ERR=
	mkdir -p "$WORK/src"
	if [ "$(git -C "$src" rev-parse --show-toplevel 2>/dev/null)" = "$src" ]; then
		PKG_HOW="git ls-files"
		(cd "$src" && git ls-files -z -co --exclude-standard |
			while IFS= read -r -d '' f; do [ -f "$f" ] && printf '%s\0' "$f"; done |
			tar --null -T - -cf -) | tar -x -C "$WORK/src"
	else
		PKG_HOW="the whole tree"
		(cd "$src" && tar --exclude=./.git --exclude=./build --exclude='./build-*' -cf - .) |
			tar -x -C "$WORK/src" && chmod -R u+w "$WORK/src"
	fi
	if [ ! -f "$WORK/src/debian/control" ]; then
		PKG_ERR="no debian/control in the copy ($PKG_HOW)"
		return 1
	fi
	key=$(tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$WORK/src" -cf - . |
		sha256sum | cut -c1-16)
	cache=${TESTS_BUILDDIR:-$WORK}/package/deb-cache
	DEB=$(ls "$cache/$key"/libclat_*.deb 2>/dev/null | head -n 1)
	if [ -n "$DEB" ]; then
		PKG_BUILT="reused, same files ($cache/$key)"
		return 0
	fi
	t0=$SECONDS
	# nocheck: make check ran the tests already; the lab and root layers are
	# not the package build's business anyway (debian/rules runs only the
	# unit tests).
	(cd "$WORK/src" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u CLAT_CONFIG -u CLAT_CACHE_DIR \
		DEB_BUILD_OPTIONS="nocheck noautodbgsym parallel=$(nproc)" dpkg-buildpackage -us -uc -b) \
		>"$WORK/build.log" 2>&1
	rc=$?
	DEB=$(ls "$WORK"/libclat_*.deb 2>/dev/null | head -n 1)
	if [ $rc -ne 0 ] || [ -z "$DEB" ]; then
		tail -n 60 "$WORK/build.log" >"$OUT"
		PKG_ERR="dpkg-buildpackage exit status $rc"
		DEB=
		return 1
	fi
	PKG_BUILT="built in $((SECONDS - t0)) s"
	rm -rf "$cache" && mkdir -p "$cache/$key" && cp "$DEB" "$cache/$key/" &&
		DEB=$cache/$key/$(basename "$DEB")
	return 0
}
