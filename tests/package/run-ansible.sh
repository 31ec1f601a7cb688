#!/bin/bash
# run-ansible.sh - the Ansible role (contrib/ansible/roles/libclat) with
# ansible-playbook -c local, in the lab's IPv6-only client namespace
# (tests/lab/lab.sh) and a private mount namespace whose /etc, /usr and /var
# are overlays (the host's files and package database are never written):
#   1 services mode (libclat_services: the demo unit), package from the .deb
#     (deb.sh builds it, or reuses run-deb.sh's): the package is installed,
#     /etc/clat.conf holds the role's settings, the unit has the drop-in and
#     its command, started with the drop-in's environment, reaches the
#     lab's IPv4-only server while a plain curl does not; clatrun --doctor
#     passed inside the play;
#   2 the same play again: changed=0;
#   3 fleet mode (libclat_fleet, no services): the drop-in goes, the
#     /etc/ld.so.preload entry comes, and a stock curl is translated; again:
#     changed=0;
#   4 a host that cannot translate (a prefix the NAT64 does not serve): the
#     play fails, naming clatrun --doctor's failed step;
#   5 the package's prerm removes a drop-in clatrun wrote;
#   6 libclat_state=absent: package, /etc/clat.conf, the preload entry and
#     every drop-in are gone and curl fails again; again: changed=0.
# Needs root, the lab's tools, ansible-playbook (Debian: ansible-core) and
# debhelper; skips (77) otherwise unless CLAT_REQUIRE_ROOT_TESTS=1. About 3
# minutes with the package build, 1 without.
# Output: TAP-like lines, then "package-ansible: P passed, F failed".

if [ -n "${CLAT_SANITIZERS:-}" ]; then
	echo "package-ansible: SKIP: sanitizer build ($CLAT_SANITIZERS)"
	exit 77
fi
here=$(cd "$(dirname "$0")" && pwd)
lab=$here/../lab
export LAB_NAME=${LAB_NAME:-clat-ans-$$}
# shellcheck source=../lab/lab.sh
. "$lab/lab.sh"
# shellcheck source=../lab/testlib.sh
. "$lab/testlib.sh"
# shellcheck source=deb.sh
. "$here/deb.sh"
tl_init package-ansible

SRC=$(cd "${TESTS_SRCDIR:?set by tests/Makefile.am}/.." && pwd)
PA=2001:db8:64::/96
URL=http://$LAB_SV4:8080/
M=$LAB_MARKER

for tool in ansible-playbook dpkg-buildpackage unshare; do
	have "$tool" || skip_or_fail "$tool missing (Debian: apt-get install ansible-core debhelper)"
done
(cd "$SRC" && dpkg-checkbuilddeps) >"$OUT" 2>&1 ||
	skip_or_fail "build dependencies missing: $(tail -n 1 "$OUT")"
bail() { tl_summary; exit 1; }

if ! pkg_deb "$SRC"; then
	TL_SHOW_LINES=60
	notok "the libclat .deb" "$PKG_ERR" show
	bail
fi
ok "the libclat .deb: $(basename "$DEB"), $PKG_BUILT"
OVL=$(mktemp -d /dev/shm/clat-ansible.XXXXXX) || bail
tl_on_exit() { rm -rf "$OVL"; }
if ! lab_up "$PA" >"$OUT" 2>&1; then
	notok "lab up ($PA)" "lab_up failed" show
	bail
fi
ok "lab up, DNS64 prefix $PA"

mkdir -p "$WORK/home" "$WORK/tmp"
cp "$DEB" "$WORK/"
DEB=$WORK/$(basename "$DEB")
cat >"$WORK/play.yml" <<EOF
- hosts: localhost
  gather_facts: false
  roles:
    - role: libclat
      vars:
        libclat_deb: $DEB
        libclat_doctor_target: "$LAB_SV4:8080"
        libclat_map_pool: 10.170.160.0/20
EOF
# A service whose program is a stock curl.
DEMO_EXEC="/usr/bin/curl -sS -m 5 $URL"

# The whole scenario runs in one mount namespace (the overlays live as long
# as it does); each step's output goes between "== NAME" lines.
cat >"$WORK/inside.sh" <<EOF
set -u
for d in etc usr var; do
	mkdir -p $OVL/\$d/up $OVL/\$d/work
	mount -t overlay overlay -o lowerdir=/\$d,upperdir=$OVL/\$d/up,workdir=$OVL/\$d/work /\$d || exit 90
done
mount -t tmpfs tmpfs /run/systemd || exit 90
# ip netns exec bind-mounted the lab client's resolv.conf over /etc's; the
# overlay shows the host's again: the lab's resolver goes back on top.
mount --bind /etc/netns/$LAB_NS_CL/resolv.conf /etc/resolv.conf || exit 90
export HOME=$WORK/home ANSIBLE_LOCAL_TEMP=$WORK/tmp ANSIBLE_REMOTE_TEMP=$WORK/tmp \\
	ANSIBLE_ROLES_PATH=$SRC/contrib/ansible/roles ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0 \\
	ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3 ANSIBLE_LOCALHOST_WARNING=0 \\
	ANSIBLE_INVENTORY_UNPARSED_WARNING=0 PATH=/usr/sbin:/usr/bin:/sbin:/bin
unset CLAT_CONFIG CLAT_CACHE_DIR
printf '[Service]\nExecStart=$DEMO_EXEC\n' >/etc/systemd/system/clat-demo.service
say() { echo "== \$*"; }
play() { ansible-playbook -i localhost, -c local $WORK/play.yml "\$@"; echo "rc=\$?"; }
curl_plain() { curl -sS -m 5 "$URL"; echo "rc=\$?"; }
say play1; play -e '{"libclat_services": ["clat-demo"]}'
say status; dpkg-query -W -f='\${Status}\n' libclat
say conf; cat /etc/clat.conf
say dropin; cat /etc/systemd/system/clat-demo.service.d/zz-libclat.conf
say service-run
env \$(sed -n 's/^Environment="\(.*\)"\$/\1/p' /etc/systemd/system/clat-demo.service.d/zz-libclat.conf) $DEMO_EXEC
echo "rc=\$?"
say plain1; curl_plain
say play2; play -e '{"libclat_services": ["clat-demo"]}'
say play3; play -e '{"libclat_fleet": true}'
say dropin3; ls /etc/systemd/system/clat-demo.service.d 2>&1
say preload3; cat /etc/ld.so.preload 2>&1
say plain3; curl_plain
say play4; play -e '{"libclat_fleet": true}'
say play-bad; play -e '{"libclat_fleet": true, "libclat_prefix": "2001:db8:dead::/96"}'
say prerm; clatrun --enable-service clat-demo >/dev/null; sh /var/lib/dpkg/info/libclat.prerm remove
echo "rc=\$?"; ls /etc/systemd/system/clat-demo.service.d 2>&1
say absent1; play -e libclat_state=absent
say gone
dpkg-query -W -f='\${Status}\n' libclat 2>&1
for f in /usr/bin/clatrun /etc/clat.conf /etc/ld.so.preload /etc/systemd/system/clat-demo.service.d; do
	[ -e "\$f" ] && echo "left: \$f"
done
say plain-gone; curl_plain
say absent2; play -e libclat_state=absent
say end
EOF
LAST_CMD=(ip netns exec "$LAB_NS_CL" unshare -m --propagation private bash "$WORK/inside.sh")
timeout -k 5 900 "${LAST_CMD[@]}" >"$WORK/all" 2>&1 </dev/null
rc=$?
if [ $rc -eq 90 ]; then
	cp "$WORK/all" "$OUT"
	skip_or_fail "cannot mount overlays on /etc, /usr, /var in a private mount namespace"
fi
section() { sed -n "/^== $1\$/,/^== /p" "$WORK/all" | sed '1d;/^== /d'; }
recap() { section "$1" | sed -n 's/^localhost *: \(.*\)$/\1/p' | tr -s ' '; }
played() { # SECTION DESC WANT(ok|fail) [CHANGED(0|some)]
	local r
	r=$(recap "$1")
	section "$1" >"$OUT"
	LAST_CMD=(ansible-playbook "($1)")
	if [ "$3" = ok ]; then
		if ! section "$1" | grep -qx 'rc=0' || ! grep -q 'failed=0' <<<"$r"; then
			notok "$2" "the play failed: $r" show; return
		fi
		case ${4:-} in
		0) grep -q 'changed=0 ' <<<"$r" && ok "$2: $r" || notok "$2" "changes: $r" show ;;
		some) grep -q 'changed=[1-9]' <<<"$r" && ok "$2: $r" || notok "$2" "no change: $r" show ;;
		*) ok "$2: $r" ;;
		esac
	else
		section "$1" | grep -qx 'rc=0' && notok "$2" "the play passed: $r" show || ok "$2: $r"
	fi
}
TL_SHOW_LINES=60

played play1 "services mode: the first run changes the host" ok some
[ "$(section status)" = "install ok installed" ] && ok "the package is installed from the .deb" ||
	notok "the package is installed" "status: $(section status)"
section conf >"$OUT"
grep -qx 'discovery = yes' "$OUT" && grep -qx 'mode = auto' "$OUT" &&
	grep -qx 'map-pool = 10.170.160.0/20' "$OUT" && grep -qx 'inbound = no' "$OUT" && ! grep -q '^prefix' "$OUT" &&
	ok "/etc/clat.conf holds the role's settings (discovery, mode, map-pool, inbound)" ||
	notok "/etc/clat.conf holds the role's settings" "content" show
section dropin | head -n 1 | grep -qx '# libclat: written by clatrun --enable-service' &&
	section dropin | grep -q '^Environment="LD_PRELOAD=/usr/lib/.*/libclat/libclat.so"$' &&
	ok "the demo unit has a drop-in preloading the installed library" ||
	{ section dropin >"$OUT"; notok "the demo unit has the drop-in" "content" show; }
section service-run | grep -q "$M" && section service-run | grep -qx 'rc=0' &&
	ok "the unit's curl with the drop-in's environment reaches the IPv4-only server" ||
	{ section service-run >"$OUT"; notok "the unit's curl with the drop-in's environment works" "no marker" show; }
section plain1 | grep -q "$M" && notok "a plain curl is not translated (services mode)" "it was" ||
	ok "a plain curl is not translated (services mode only)"
section play1 | grep -A1 'TASK \[libclat : Check that this host can translate' | grep -qx 'ok: \[localhost\]' &&
	section play1 | grep -q 'TASK \[libclat : Fail when it cannot\]' &&
	ok "the play ran clatrun --doctor and did not fail on it" ||
	{ section play1 >"$OUT"; notok "the play ran clatrun --doctor" "no such task, or not ok" show; }
played play2 "services mode again: nothing changes" ok 0
played play3 "fleet mode: the run changes the host" ok some
section dropin3 | grep -q 'No such file' && ok "the demo unit's drop-in is gone (not listed any more)" ||
	{ section dropin3 >"$OUT"; notok "the demo unit's drop-in is gone" "still there" show; }
section preload3 | grep -qx '/usr/lib/.*/libclat/libclat.so' && ok "/etc/ld.so.preload lists the library" ||
	{ section preload3 >"$OUT"; notok "/etc/ld.so.preload lists the library" "content" show; }
section plain3 | grep -q "$M" && ok "fleet mode: a stock curl reaches the IPv4-only server" ||
	{ section plain3 >"$OUT"; notok "fleet mode: a stock curl is translated" "no marker" show; }
played play4 "fleet mode again: nothing changes" ok 0
played play-bad "a prefix the NAT64 does not serve: the play fails" fail
section play-bad | grep -q 'libclat cannot translate on this host: \[FAIL\] ' &&
	ok "... naming clatrun --doctor's failed step" ||
	{ section play-bad | tail -n 30 >"$OUT"; notok "... naming the failed step" "no such message" show; }
section prerm | grep -qx 'rc=0' && section prerm | grep -q 'No such file' &&
	ok "the package's prerm (remove) takes out the drop-in clatrun wrote" ||
	{ section prerm >"$OUT"; notok "the prerm takes out the drop-in" "still there" show; }
played absent1 "libclat_state=absent: the run changes the host" ok some
section gone >"$OUT"
! grep -q 'install ok installed' "$OUT" && ! grep -q '^left:' "$OUT" &&
	ok "package, clatrun, /etc/clat.conf, /etc/ld.so.preload and the drop-in are gone" ||
	notok "everything is gone" "left" show
section plain-gone | grep -q "$M" && notok "curl fails again" "it still works" ||
	ok "curl fails again without libclat"
played absent2 "absent again: nothing changes" ok 0
[ $rc -eq 0 ] && section end >/dev/null && grep -qx '== end' "$WORK/all" &&
	ok "the scenario ran to its end" || { tail -n 20 "$WORK/all" >"$OUT"; notok "the scenario ran to its end" "exit status $rc" show; }
dpkg-query -W -f='${Status}' libclat 2>/dev/null | grep -q 'ok installed' &&
	notok "the host's package database is untouched" "libclat is installed on the host" ||
	ok "the host's package database is untouched"

tl_summary
