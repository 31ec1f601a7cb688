#!/bin/bash
# run-preload-admin.sh - clatrun --install-preload / --uninstall-preload
# (fleet mode) against a scratch file named by CLAT_PRELOAD_FILE; the host's
# /etc/ld.so.preload is never touched (checked at the end). Cases: install into
# an absent file, idempotence (no rewrite), other entries kept in order, removal
# of only our entry (also from a shared line), removal of a file left empty,
# refusals (not root, library not owned by root, in a writable directory, not
# libclat, relative path, target a symlink, broken config: exit 2).
# Root only (skips with 77 otherwise, unless CLAT_REQUIRE_ROOT_TESTS=1).
# Output: TAP-like lines, then "package-preload: P passed, F failed".
set -u
: "${CLATRUN:?set by tests/Makefile.am}" "${CLAT_LIB:?set by tests/Makefile.am}"
NAME=package-preload
if [ "$(id -u)" != 0 ]; then
	if [ "${CLAT_REQUIRE_ROOT_TESTS:-0}" = 1 ]; then
		echo "$NAME: needs root (and CLAT_REQUIRE_ROOT_TESTS=1)" >&2
		exit 1
	fi
	echo "$NAME: SKIP: needs root"
	exit 77
fi

if [ -n "${CLAT_SANITIZERS:-}" ]; then
	# The checks would rightly refuse it: a sanitized library fails in a
	# program that does not load the sanitizer runtime first.
	echo "$NAME: SKIP: sanitizer build ($CLAT_SANITIZERS)"
	exit 77
fi

N=0 PASS=0 FAIL=0
ok() { N=$((N + 1)); PASS=$((PASS + 1)); echo "ok $N - $1"; }
notok() {
	N=$((N + 1)); FAIL=$((FAIL + 1)); echo "not ok $N - $1"; echo "#   $2"
	[ -s "$OUT" ] && sed 's/^/#     /' "$OUT" | head -n 20
	[ -f "$T" ] && { echo "#   $T:"; sed 's/^/#     /' "$T" | head -n 10; }
}

host_before=$(sha256sum /etc/ld.so.preload 2>/dev/null || echo absent)
# 0755 and root's: the scratch library's directories must pass the checks
# (/tmp is sticky, which is fine), and "nobody" must reach the clatrun copy.
WORK=$(mktemp -d "${TMPDIR:-/tmp}/clat-preload-admin.XXXXXX") || exit 99
trap 'rm -rf "$WORK"' EXIT
chmod 755 "$WORK"
mkdir -m 755 "$WORK/lib" "$WORK/etc" "$WORK/bin" "$WORK/open"
chmod 777 "$WORK/open"
OUT=$WORK/out
T=$WORK/etc/ld.so.preload
LIB=$WORK/lib/libclat.so
install -m 644 "$CLAT_LIB" "$LIB"
install -m 755 "$CLATRUN" "$WORK/bin/clatrun"
: >"$WORK/empty.conf"
export CLAT_PRELOAD_FILE=$T CLAT_CONFIG=$WORK/empty.conf
unset LD_PRELOAD CLAT_PREFIX CLAT_MODE CLAT_DEBUG

# run ARGS...: clatrun ARGS; RC and $OUT.
run() { "$CLATRUN" "$@" >"$OUT" 2>&1 </dev/null; RC=$?; }
# expect DESC RC REGEX: the last run's status and output.
expect() {
	if [ "$RC" != "$2" ]; then notok "$1" "exit status $RC, wanted $2"
	elif ! grep -Eq -- "$3" "$OUT"; then notok "$1" "output lacks /$3/"
	else ok "$1"; return 0; fi
	return 1
}
# content DESC TEXT: the target holds exactly TEXT (printf format).
content() {
	# shellcheck disable=SC2059
	if [ -f "$T" ] && [ "$(cat "$T"; echo x)" = "$(printf "$2"; echo x)" ]; then ok "$1"
	else notok "$1" "wanted $(printf "$2" | tr '\n' '|')"; fi
}

if ! "$CLATRUN" --help 2>&1 | grep -q -- '--install-preload'; then
	OUT=/dev/null
	notok "clatrun --help lists --install-preload" "this clatrun has no fleet-mode options"
	echo "$NAME: $PASS passed, $FAIL failed"
	exit 1
fi

# 1. Install into an absent file, then again.
run --install-preload="$LIB"
expect "install into an absent file: exit 0, says what it did" 0 "added $LIB"
content "the file lists the library alone" "$LIB\n"
[ "$(stat -c '%U %a' "$T" 2>/dev/null)" = "root 644" ] && ok "a new file is root's, mode 644" ||
	notok "a new file is root's, mode 644" "$(stat -c '%U %a' "$T" 2>&1)"
inode=$(stat -c %i "$T")
run --install-preload="$LIB"
expect "install again: exit 0, nothing to do" 0 "already lists"
[ "$(stat -c %i "$T")" = "$inode" ] && ok "install again does not rewrite the file" ||
	notok "install again does not rewrite the file" "inode changed"
run --install-preload="$WORK/lib/../lib/libclat.so"
expect "install under another spelling of the path: already listed" 0 "already lists"

# 2. Other entries stay, in order; removal takes only ours.
printf '/usr/lib/first.so\n\n/usr/lib/second.so:/usr/lib/third.so\n' >"$T"
chmod 640 "$T"
run --install-preload="$LIB"
expect "install next to other entries: exit 0" 0 "added"
content "other entries kept, ours appended" \
	"/usr/lib/first.so\n\n/usr/lib/second.so:/usr/lib/third.so\n$LIB\n"
[ "$(stat -c '%a' "$T")" = 640 ] && ok "the file keeps its mode" ||
	notok "the file keeps its mode" "mode $(stat -c %a "$T")"
ls -A "$WORK/etc" | grep -q clatrun && notok "no temporary file left behind" "$(ls -A "$WORK/etc")" ||
	ok "no temporary file left behind"
run --uninstall-preload="$LIB"
expect "uninstall: exit 0, says what it did" 0 "removed $LIB"
content "only our entry removed, the rest byte for byte" \
	"/usr/lib/first.so\n\n/usr/lib/second.so:/usr/lib/third.so\n"
run --uninstall-preload="$LIB"
expect "uninstall again: exit 0, nothing to do" 0 "does not list"

# 3. Our entry on a shared line; a file that only held ours goes.
printf '/usr/lib/a.so %s /usr/lib/b.so\n' "$LIB" >"$T"
run --uninstall-preload="$LIB"
expect "uninstall from a shared line: exit 0" 0 "removed"
content "the other entries of the line stay" "/usr/lib/a.so /usr/lib/b.so\n"
printf '%s\n' "$LIB" >"$T"
run --uninstall-preload="$LIB"
expect "uninstall of the only entry: exit 0" 0 "removed"
[ ! -e "$T" ] && ok "a file left empty is removed" || notok "a file left empty is removed" "still there"
rm -f "$LIB.gone"
run --uninstall-preload="$WORK/lib/libclat.so.gone"
expect "uninstall of a library that no longer exists, not listed: exit 0" 0 "does not list"

# 4. Refusals; the file never changes.
printf '/usr/lib/first.so\n' >"$T"
before=$(sha256sum "$T")
unchanged() { [ "$(sha256sum "$T")" = "$before" ] && ok "$1: file unchanged" ||
	notok "$1: file unchanged" "it changed"; }

if command -v setpriv >/dev/null 2>&1; then
	setpriv --reuid=65534 --regid=65534 --clear-groups env CLAT_PRELOAD_FILE="$T" \
		CLAT_CONFIG="$WORK/empty.conf" "$WORK/bin/clatrun" --install-preload="$LIB" \
		>"$OUT" 2>&1 </dev/null
	RC=$?
	expect "as nobody: refused, exit 1" 1 "as root"
	unchanged "as nobody"
else
	N=$((N + 1)); PASS=$((PASS + 1)); echo "ok $N - as nobody: refused # SKIP no setpriv"
fi

install -m 644 "$CLAT_LIB" "$WORK/lib/foreign.so"
chown 65534 "$WORK/lib/foreign.so"
run --install-preload="$WORK/lib/foreign.so"
expect "a library not owned by root: refused, exit 1" 1 "not owned by root"
unchanged "foreign library"

install -m 644 "$CLAT_LIB" "$WORK/open/libclat.so"
run --install-preload="$WORK/open/libclat.so"
expect "a library in a world-writable directory: refused" 1 "written by others"
unchanged "writable directory"

install -m 666 "$CLAT_LIB" "$WORK/lib/writable.so"
run --install-preload="$WORK/lib/writable.so"
expect "a world-writable library: refused" 1 "written by others"

other=$(ldd /bin/true | awk '/libc\.so/ {print $3}')
install -m 644 "$other" "$WORK/lib/libc-copy.so"
run --install-preload="$WORK/lib/libc-copy.so"
expect "a library that is not libclat: refused" 1 "not libclat"
unchanged "not libclat"

printf 'not an ELF file\n' >"$WORK/lib/junk.so"
run --install-preload="$WORK/lib/junk.so"
expect "a file that does not load: refused" 1 "does not load"

run --install-preload=lib/libclat.so
expect "a relative path: refused" 1 "absolute"

run --install-preload="$WORK/lib/missing.so"
expect "a missing library: refused" 1 "No such file"

printf 'prefix = 2001:db8::/33\n' >"$WORK/bad.conf"
CLAT_CONFIG=$WORK/bad.conf run --install-preload="$LIB"
expect "a broken config file: refused, exit 2, names the line" 2 "line 1"
unchanged "broken config"

mv "$T" "$WORK/etc/real"
ln -s real "$T"
run --install-preload="$LIB"
expect "the target is a symbolic link: refused" 1 "regular file"
rm -f "$T"

# 5. The default library is the installed one (CLAT_INSTALLED_LIBRARY): when
# it is not installed, install says so; uninstall is fine either way.
run --uninstall-preload
expect "--uninstall-preload without a path: exit 0" 0 "does not list|removed"

host_after=$(sha256sum /etc/ld.so.preload 2>/dev/null || echo absent)
[ "$host_before" = "$host_after" ] && ok "the host's /etc/ld.so.preload is untouched" ||
	notok "the host's /etc/ld.so.preload is untouched" "before: $host_before, after: $host_after"

echo "$NAME: $PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
