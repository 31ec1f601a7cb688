#!/bin/bash
# run-docs.sh - the manual pages agree with the program (issue #7):
#   clatrun(1) documents every option that "clatrun --help" lists (long and
#   short forms) and no option that --help does not list, and names the
#   defaults --help names; clat.conf(5) has an entry for every key of the
#   clat_config_keys table (lib/core/config.c) with a "Default:" and its
#   variable; libclat(7) lists every CLAT_* variable; every CLAT_* variable
#   the code reads is documented; the pages render without groff warnings;
#   the built pages have their paths filled in.
# No root, no network. Output: TAP-like lines, then "package-docs: P passed, F failed".
set -u
: "${CLATRUN:?set by tests/Makefile.am}" "${TESTS_SRCDIR:?set by tests/Makefile.am}"
TOP_SRC=$(cd "$TESTS_SRCDIR/.." && pwd)
TOP_BUILD=$(cd "${TESTS_BUILDDIR:-$TESTS_SRCDIR}/.." && pwd)
MAN=$TOP_SRC/man
N=0 PASS=0 FAIL=0 SKIP=0
TMP=$(mktemp -d "${TMPDIR:-/tmp}/clat-docs.XXXXXX") || exit 99
trap 'rm -rf "$TMP"' EXIT

ok() { N=$((N + 1)); PASS=$((PASS + 1)); echo "ok $N - $1"; }
notok() { N=$((N + 1)); FAIL=$((FAIL + 1)); echo "not ok $N - $1"; shift; for l in "$@"; do echo "#   $l"; done; }
skip() { N=$((N + 1)); SKIP=$((SKIP + 1)); echo "ok $N - $1 # SKIP $2"; }
check() { # desc missing-list...: ok when the list is empty
	local desc=$1
	shift
	if [ $# -eq 0 ]; then ok "$desc"; else notok "$desc" "missing: $*"; fi
}

# plain PAGE: the page's text with roff escapes for hyphens and fonts
# removed, so that "\-\-prefix" reads "--prefix" and "\fBoff\fR" "off".
plain() {
	sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\c$//' -e 's/\\(aq/'"'"'/g' "$1"
}
for p in clatrun.1 libclat.7 clat.conf.5; do
	if [ -f "$MAN/$p.in" ]; then plain "$MAN/$p.in" >"$TMP/$p"; else : >"$TMP/$p"; fi
done

"$CLATRUN" --help >"$TMP/help" 2>&1
[ $? -eq 0 ] && [ -s "$TMP/help" ] && ok "clatrun --help exits 0 with text" ||
	notok "clatrun --help exits 0 with text" "$(head -n 3 "$TMP/help")"
for p in clatrun.1 libclat.7 clat.conf.5; do
	[ -s "$TMP/$p" ] && ok "man/$p.in exists" || notok "man/$p.in exists" "not in $MAN"
done

# 1. Every option --help lists is in clatrun(1).
long=$(grep -oE '(^|[ ,[])--[a-z0-9][a-z0-9-]*' "$TMP/help" | sed 's/^[ ,[]//' | sort -u)
short=$(grep -oE '^ +-[a-zA-Z],' "$TMP/help" | tr -d ' ,' | sort -u)
missing=()
for o in $long; do
	grep -qE -- "(^|[^a-z0-9-])$o([^a-z0-9-]|\$)" "$TMP/clatrun.1" || missing+=("$o")
done
check "clatrun(1) documents each of the $(echo $long | wc -w) long options of --help" "${missing[@]}"
missing=()
for o in $short; do
	grep -qE -- "^\.BR $o \", \"" "$TMP/clatrun.1" || missing+=("$o")
done
check "clatrun(1) documents each short option of --help ($(echo $short))" "${missing[@]}"

# 2. ... and none that --help does not list (the page's option entries: .TP
# items and the synopsis).
documented=$(grep -E '^\.(B|BR|BI) --[a-z]' "$TMP/clatrun.1" | grep -oE -- '--[a-z0-9][a-z0-9-]*' | sort -u)
extra=()
for o in $documented; do
	grep -qE -- "(^|[ ,[])$o([^a-z0-9-]|\$)" "$TMP/help" || extra+=("$o")
done
check "every option clatrun(1) documents is in --help" "${extra[@]}"

# 3. The defaults --help shows are in the page.
missing=()
for d in $(grep -oE 'default [^ )]+' "$TMP/help" | awk '{print $2}' | grep -E '[0-9/]' | sort -u); do
	grep -qF -- "$d" "$TMP/clatrun.1" || missing+=("$d")
done
check "clatrun(1) names the defaults --help names" "${missing[@]}"

# 4. The exit statuses --help names, and the three ways in.
missing=()
for s in 2 126 127; do
	sed -n '/^\.SH EXIT STATUS/,/^\.SH /p' "$TMP/clatrun.1" | grep -qx "\.B $s" || missing+=("$s")
done
check "clatrun(1) EXIT STATUS has 2, 126 and 127" "${missing[@]}"
missing=()
grep -q '^clatrun --prefix' "$TMP/clatrun.1" || missing+=("clatrun example")
grep -q '^LD_PRELOAD=' "$TMP/clatrun.1" || missing+=("bare LD_PRELOAD example")
grep -q '^clatrun --install-preload' "$TMP/clatrun.1" || missing+=("fleet example")
check "clatrun(1) EXAMPLES show the three ways in" "${missing[@]}"

# 5. Every key of clat_config_keys: an entry in clat.conf(5) with a default
# and its variable; the variable in libclat(7).
CONFIG_C=$TOP_SRC/lib/core/config.c
CONFIG_H=$TOP_SRC/lib/core/config.h
keys=$(sed -n 's/^[[:space:]]*\[CLAT_KEY_[A-Z_0-9]*\] = { "\([a-z0-9-]*\)", "\(CLAT_[A-Z_0-9]*\)",.*/\1 \2/p' "$CONFIG_C")
if [ -z "$keys" ]; then
	notok "config keys read from lib/core/config.c" "no [CLAT_KEY_*] = { \"key\", \"VAR\", lines in $CONFIG_C"
else
	ok "$(echo "$keys" | wc -l) config keys read from lib/core/config.c"
fi
nokey=() nodefault=() novar=() novar7=()
while read -r key var; do
	[ -n "$key" ] || continue
	# The entry: from ".BI key " to the next .TP or .SH.
	entry=$(awk -v k="$key" '
		$0 ~ "^\\.BI " k " " { on = 1; print; next }
		on && /^\.(TP|SH)/ { exit }
		on { print }' "$TMP/clat.conf.5")
	if [ -z "$entry" ]; then nokey+=("$key"); continue; fi
	grep -q '^Default' <<<"$entry" || nodefault+=("$key")
	grep -q "$var" <<<"$entry" || novar+=("$key:$var")
	grep -q "^\.B $var\$" "$TMP/libclat.7" || novar7+=("$var")
done <<<"$keys"
check "clat.conf(5) has an entry for every key" "${nokey[@]}"
check "each clat.conf(5) entry states its default" "${nodefault[@]}"
check "each clat.conf(5) entry names its variable" "${novar[@]}"
check "libclat(7) ENVIRONMENT lists every setting's variable" "${novar7[@]}"

# 6. The compiled-in defaults are where they belong.
def() { sed -n "s/^#define $1 \"\\([^\"]*\\)\".*/\\1/p" "$CONFIG_H"; }
entry_of() {
	awk -v k="$1" '$0 ~ "^\\.BI " k " " { on = 1; next } on && /^\.(TP|SH)/ { exit } on { print }' \
		"$TMP/clat.conf.5"
}
missing=()
for pair in "local-ipv4 CLAT_DEFAULT_LOCAL_IPV4" "map-pool CLAT_DEFAULT_MAP_POOL" \
	"map-pool CLAT_ALTERNATE_MAP_POOL"; do
	set -- $pair
	value=$(def "$2")
	if [ -z "$value" ]; then missing+=("$2 (not in config.h)"); continue; fi
	entry_of "$1" | grep -qF -- "$value" || missing+=("$1: $value")
done
grep -qF "$(def CLAT_DEFAULT_CONFIG_PATH)" "$TMP/clat.conf.5" || missing+=("config path")
check "clat.conf(5) defaults match lib/core/config.h" "${missing[@]}"

# 7. Every CLAT_* variable the code reads (getenv, or the key table) is documented.
vars=$( { grep -rhoE 'getenv\("CLAT_[A-Z_0-9]+"\)' "$TOP_SRC/lib" "$TOP_SRC/tools" |
	sed 's/getenv("\(.*\)")/\1/'; echo "$keys" | awk '{print $2}'; } | sort -u)
missing=()
for v in $vars; do
	grep -q "$v" "$TMP/libclat.7" "$TMP/clatrun.1" || missing+=("$v")
done
check "every CLAT_* variable the code reads is documented ($(echo $vars | wc -w))" "${missing[@]}"

# 8. The new settings' documentation: the mapper and inbound's security note.
missing=()
grep -q 'RFC 6535' "$TMP/libclat.7" || missing+=("libclat(7): RFC 6535 mapper")
sed -n '/^\.SH INBOUND/,/^\.SH /p' "$TMP/libclat.7" | grep -q 'ip6tables' || missing+=("inbound: ip6tables")
sed -n '/^\.SH INBOUND/,/^\.SH /p' "$TMP/libclat.7" | grep -qi 'firewall' || missing+=("inbound: firewall")
grep -q '^\.SH SECURE MODE' "$TMP/libclat.7" || missing+=("libclat(7): SECURE MODE")
grep -q '^\.SH LIMITATIONS' "$TMP/libclat.7" || missing+=("libclat(7): LIMITATIONS")
check "libclat(7) covers the mapper, inbound's security note, secure mode, limitations" "${missing[@]}"

# 9. groff renders each page without a warning.
if command -v groff >/dev/null 2>&1; then
	for p in clatrun.1 libclat.7 clat.conf.5; do
		w=$(groff -man -Tutf8 -ww -z "$MAN/$p.in" 2>&1)
		[ -z "$w" ] && ok "groff -ww renders $p without warnings" ||
			notok "groff -ww renders $p without warnings" "$(head -n 5 <<<"$w")"
	done
else
	skip "groff renders the pages without warnings" "groff not installed (Debian: groff-base)"
fi

# 10. The built pages (make, top directory) have their paths filled in.
for p in man/clatrun.1 man/libclat.7 man/clat.conf.5 contrib/networkmanager/90-libclat \
	contrib/systemd/libclat-refresh.service; do
	f=$TOP_BUILD/$p
	if [ ! -f "$f" ]; then
		notok "$p is built" "no $f (the top directory builds it before tests/)"
	elif grep -qE '@(pkglibdir|bindir|VERSION)@' "$f"; then
		notok "$p has no @...@ left" "$(grep -nE '@[a-z]+@' "$f" | head -n 3)"
	else
		ok "$p is built with its paths filled in"
	fi
done

[ "$SKIP" -gt 0 ] && echo "# $SKIP skipped"
echo "package-docs: $PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
