#!/bin/bash
# run-services.sh - clatrun --enable-service / --disable-service and the
# services part of --doctor, in a private mount (and network) namespace whose
# /etc/systemd/system and /run/systemd are empty tmpfs mounts (the host's are
# never written; no systemd has to run). Cases:
#   - refusals, exit 2 and nothing written: unknown unit, template unit, bad
#     names (path traversal, a slash, empty), not a service, a masked unit,
#     a drop-in of another origin (kept as it was); not root: exit 1;
#   - a dynamically linked service: the drop-in (marker, LD_PRELOAD of the
#     library, after the unit's own LD_PRELOAD), which systemd-analyze verify
#     loads without a complaint; a second run changes nothing;
#   - a statically linked (/sbin/ldconfig) and a Go service: ExecStart wrapped
#     in "clatrun --supervise=always --" when this clatrun has --supervise,
#     else refused with exit 1 and nothing written;
#   - with /run/systemd/system present: systemctl daemon-reload is run (a
#     stand-in systemctl that logs), and the user is told to restart;
#   - --doctor: a service whose processes (MainPID and its cgroup's
#     cgroup.procs, given by the stand-in "systemctl show") were started with
#     the drop-in's LD_PRELOAD has libclat mapped; one started before the
#     drop-in is named with its PID and fails;
#   - --disable-service removes the file (and the directory when it is
#     empty), keeps another drop-in, and a second run changes nothing.
# Root only (skips with 77 otherwise, unless CLAT_REQUIRE_ROOT_TESTS=1).
# Output: TAP-like lines, then "package-services: P passed, F failed".
set -u
: "${CLATRUN:?set by tests/Makefile.am}" "${CLAT_LIB:?set by tests/Makefile.am}"
NAME=package-services
skip_or_fail() {
	if [ "${CLAT_REQUIRE_ROOT_TESTS:-0}" = 1 ]; then
		echo "$NAME: $1 (and CLAT_REQUIRE_ROOT_TESTS=1)" >&2
		exit 1
	fi
	echo "$NAME: SKIP: $1"
	exit 77
}
[ "$(id -u)" = 0 ] || skip_or_fail "needs root"
if [ -n "${CLAT_SANITIZERS:-}" ]; then
	# Its services preload the library into programs that do not load the
	# sanitizer runtime first, which a sanitized library cannot run in.
	echo "$NAME: SKIP: sanitizer build ($CLAT_SANITIZERS)"
	exit 77
fi
if [ -z "${CLAT_SERVICES_NS:-}" ]; then
	command -v unshare >/dev/null || skip_or_fail "unshare missing (util-linux)"
	# A network namespace too: --doctor's DNS64 query must not leave it.
	CLAT_SERVICES_NS=1 exec unshare -m -n --propagation private bash "$0" "$@"
fi
mount -t tmpfs -o mode=755 clat-services /etc/systemd/system &&
	mount -t tmpfs -o mode=755 clat-services /run/systemd ||
	skip_or_fail "cannot mount tmpfs over /etc/systemd/system and /run/systemd"

N=0 PASS=0 FAIL=0
ok() { N=$((N + 1)); PASS=$((PASS + 1)); echo "ok $N - $1"; }
notok() {
	N=$((N + 1)); FAIL=$((FAIL + 1)); echo "not ok $N - $1"; echo "#   $2"
	[ -s "$OUT" ] && sed 's/^/#     /' "$OUT" | head -n 20
}
skip() { N=$((N + 1)); echo "ok $N - $1 # SKIP $2"; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/clat-services.XXXXXX") || exit 99
CG=
PIDS=()
cleanup() {
	# Ours, and every process in our cgroups (the stand-in's child too).
	for p in "${PIDS[@]}" $(cat "${CG:-/nonexistent}/cgroup.procs" "${CG2:-/nonexistent}/cgroup.procs" 2>/dev/null); do
		kill "$p" 2>/dev/null
	done
	wait 2>/dev/null
	[ -n "$CG" ] && rmdir "$CG" 2>/dev/null
	[ -n "${CG2:-}" ] && rmdir "$CG2" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM
chmod 755 "$WORK"
OUT=$WORK/out
ETC=/etc/systemd/system
: >"$WORK/empty.conf"
export CLAT_CONFIG=$WORK/empty.conf CLAT_CACHE_DIR=$WORK/cache CLAT_DISCOVERY=no
unset LD_PRELOAD CLAT_PREFIX CLAT_MODE CLAT_DEBUG

run() { "$CLATRUN" "$@" >"$OUT" 2>&1 </dev/null; RC=$?; }
expect() { # DESC RC REGEX: the last run's status and output
	if [ "$RC" != "$2" ]; then notok "$1" "exit status $RC, wanted $2"
	elif ! grep -Eq -- "$3" "$OUT"; then notok "$1" "output lacks /$3/"
	else ok "$1"; fi
}
tree() { find "$ETC" /run/systemd -printf '%p %y %s\n' | sort | sha256sum; }

unit() { # NAME TEXT: a unit file in /etc/systemd/system
	printf '%b' "$2" >"$ETC/$1"
}
unit plain.service '[Unit]\nDescription=plain\n\n[Service]\nExecStart=/bin/sleep 600\n'
unit legacy.service '[Service]\nEnvironment=A=1 "LD_PRELOAD=/opt/other/libother.so"\nExecStart=-/bin/sleep \\\n  600\n'
unit pool@.service '[Service]\nExecStart=/bin/sleep %i\n'
unit static.service '[Service]\nExecStart=/sbin/ldconfig -p\n'
unit foreign.service '[Service]\nExecStart=/bin/sleep 600\n'
mkdir "$ETC/foreign.service.d"
printf '[Service]\nEnvironment=LD_PRELOAD=/opt/theirs.so\n' >"$ETC/foreign.service.d/zz-libclat.conf"
ln -s /dev/null "$ETC/masked.service"

# 1. Refusals: exit 2, nothing written.
before=$(tree)
for bad in "nosuch|no unit nosuch.service" "pool@.service|is a template" \
	"../../etc/passwd|not a unit name" "a/b.service|not a unit name" "|not a unit name" \
	"plain.socket|not a service" "masked|is masked" "foreign|is not clatrun's"; do
	arg=${bad%%|*} re=${bad#*|}
	run --enable-service "$arg"
	expect "--enable-service '$arg' is refused (exit 2: $re)" 2 "$re"
done
run --disable-service foreign
expect "--disable-service of another origin's drop-in is refused (exit 2)" 2 "is not clatrun's"
run --enable-service plain --doctor
expect "--enable-service with --doctor is a usage error" 2 "go alone"
if command -v setpriv >/dev/null; then
	setpriv --reuid=65534 --regid=65534 --clear-groups "$CLATRUN" --enable-service plain \
		>"$OUT" 2>&1 </dev/null
	RC=$?
	expect "--enable-service as a user is refused (exit 1)" 1 "run it as root"
fi
[ "$(tree)" = "$before" ] && ok "the refusals wrote nothing" ||
	{ find "$ETC" >"$OUT"; notok "the refusals wrote nothing" "the tree changed"; }

# 2. A dynamically linked service.
run --enable-service plain
expect "--enable-service plain: drop-in written" 0 "wrote $ETC/plain.service.d/zz-libclat.conf"
D=$ETC/plain.service.d/zz-libclat.conf
if [ "$(head -n 1 "$D")" = "# libclat: written by clatrun --enable-service" ] &&
   grep -qxF "Environment=\"LD_PRELOAD=$CLAT_LIB\"" "$D" && grep -qx '\[Service\]' "$D"; then
	ok "the drop-in has the marker and Environment=LD_PRELOAD=$CLAT_LIB"
else
	cp "$D" "$OUT"; notok "the drop-in has the marker and LD_PRELOAD" "content differs"
fi
grep -q 'systemd is not running' "$OUT" && ok "no systemd: no daemon-reload, says so" ||
	notok "no systemd: no daemon-reload, says so" "no such line"
if command -v systemd-analyze >/dev/null; then
	SYSTEMD_LOG_LEVEL=debug systemd-analyze verify "$ETC/plain.service" >"$OUT" 2>&1
	if grep -q "DropIn Path: $D" "$OUT" && ! grep -q 'zz-libclat.conf:[0-9]' "$OUT"; then
		ok "systemd-analyze verify loads the drop-in without a complaint"
	else
		notok "systemd-analyze verify loads the drop-in without a complaint" "see output"
	fi
else
	skip "systemd-analyze verify loads the drop-in" "no systemd-analyze"
fi
ino=$(stat -c %i:%Y "$D")
run --enable-service plain.service
expect "a second --enable-service: nothing to do" 0 "nothing to do"
[ "$(stat -c %i:%Y "$D")" = "$ino" ] && ok "... and the file was not rewritten" ||
	notok "... and the file was not rewritten" "inode or mtime changed"
run --enable-service legacy
expect "--enable-service legacy (its own LD_PRELOAD)" 0 "wrote"
grep -qxF "Environment=\"LD_PRELOAD=/opt/other/libother.so:$CLAT_LIB\"" "$ETC/legacy.service.d/zz-libclat.conf" &&
	ok "the unit's own LD_PRELOAD is kept, libclat after it" ||
	{ cp "$ETC/legacy.service.d/zz-libclat.conf" "$OUT"; notok "the unit's own LD_PRELOAD is kept" "content"; }
run --enable-service pool@7
expect "an instance of a template unit (pool@7) is accepted" 0 "wrote $ETC/pool@7.service.d/"

# 3. Go and static services.
supervise=no
"$CLATRUN" --help 2>/dev/null | grep -q -- '--supervise' && supervise=yes
wrapped() { # UNIT PROGRAM ARGS: the drop-in wraps ExecStart
	local f=$ETC/$1.d/zz-libclat.conf
	[ -f "$f" ] && grep -qx 'ExecStart=' "$f" &&
		grep -qxF "ExecStart=$(readlink -f "$CLATRUN") --supervise=always -- $2" "$f"
}
check_wrap() { # UNIT DESC EXECSTART
	run --enable-service "$1"
	if [ $supervise = yes ]; then
		if [ $RC = 0 ] && wrapped "$1.service" "$3"; then ok "$2: ExecStart wrapped in clatrun --supervise=always"
		else notok "$2: ExecStart wrapped" "exit status $RC or content"; fi
	else
		expect "$2: refused, this clatrun has no --supervise" 1 "no --supervise"
		[ ! -e "$ETC/$1.service.d" ] && ok "$2: nothing written" || notok "$2: nothing written" "$ETC/$1.service.d exists"
	fi
}
check_wrap static "a statically linked service (/sbin/ldconfig)" "/sbin/ldconfig -p"
GO=$(command -v go 2>/dev/null)
if [ -n "$GO" ] && [ "$(readlink -f "$GO")" != "" ]; then
	unit gosvc.service "[Service]\nExecStart=$GO version\n"
	check_wrap gosvc "a Go service ($GO)" "$GO version"
else
	skip "a Go service is wrapped or refused" "no Go program (go) on this machine"
fi

# 4. With systemd "running": daemon-reload through a stand-in systemctl.
mkdir -p "$WORK/bin" /run/systemd/system
cat >"$WORK/bin/systemctl" <<EOF
#!/bin/sh
echo "\$*" >>$WORK/systemctl.log
case "\$1" in
show) unit=\$(echo "\$*" | sed 's/.* -- //')
      echo "MainPID=\$(cat $WORK/mainpid.\$unit 2>/dev/null || echo 0)"
      echo "ControlGroup=\$(cat $WORK/cgroup.\$unit 2>/dev/null)" ;;
esac
EOF
chmod 755 "$WORK/bin/systemctl"
export PATH=$WORK/bin:$PATH
run --disable-service pool@7
expect "--disable-service pool@7 with systemd: removed" 0 "removed $ETC/pool@7.service.d/zz-libclat.conf"
grep -qx 'daemon-reload' "$WORK/systemctl.log" 2>/dev/null && grep -q 'systemctl restart pool@7.service' "$OUT" &&
	ok "... ran systemctl daemon-reload and says to restart the unit" ||
	notok "... ran systemctl daemon-reload and says to restart" "log: $(cat "$WORK/systemctl.log" 2>&1)"
[ ! -e "$ETC/pool@7.service.d" ] && ok "... and removed the directory it left empty" ||
	notok "... removed the empty directory" "still there"

# 5. --doctor: processes with and without libclat.
CGROOT=
for r in /sys/fs/cgroup /sys/fs/cgroup/unified; do
	[ "$(stat -f -c %T "$r" 2>/dev/null)" = cgroup2fs ] && { CGROOT=$r; break; }
done
preload=$(sed -n 's/^Environment="LD_PRELOAD=\(.*\)"$/\1/p' "$D")
env LD_PRELOAD="$preload" CLAT_MODE=off sleep 600 &
PIDS+=($!); echo $! >"$WORK/mainpid.plain.service"
sleep 600 &   # legacy.service started before its drop-in
PIDS+=($!); echo $! >"$WORK/mainpid.legacy.service"
if [ -n "$CGROOT" ] && mkdir "$CGROOT/clat-services-$$" 2>/dev/null; then
	CG=$CGROOT/clat-services-$$
	echo "/clat-services-$$" >"$WORK/cgroup.plain.service"
	env LD_PRELOAD="$preload" CLAT_MODE=off sh -c "echo \$\$ >$CG/cgroup.procs && exec sleep 600" &
	PIDS+=($!)
fi
# A stand-in for clatrun's supervisor (its name and --supervise option,
# as the doctor looks for them) with a program below it, in a cgroup of
# their own: wrapped.service, whose drop-in says so.
CG2=
if [ -n "$CG" ] && mkdir "$CGROOT/clat-services-sv-$$" 2>/dev/null; then
	CG2=$CGROOT/clat-services-sv-$$
	mkdir "$ETC/wrapped.service.d"
	printf '# libclat: written by clatrun --enable-service\n[Service]\nExecStart=\n' \
		>"$ETC/wrapped.service.d/zz-libclat.conf"
	echo "/clat-services-sv-$$" >"$WORK/cgroup.wrapped.service"
	bash -c "echo \$\$ >$CG2/cgroup.procs && exec -a clatrun sh -c 'sleep 600 & wait' --supervise=always" >/dev/null 2>&1 &
	PIDS+=($!)
fi
for ((i = 0; i < 50; i++)); do # the processes have mapped the library
	grep -q libclat.so "/proc/${PIDS[0]}/maps" 2>/dev/null &&
		{ [ -z "$CG" ] || [ -s "$CG/cgroup.procs" ] && grep -q libclat.so "/proc/${PIDS[2]}/maps" 2>/dev/null; } &&
		{ [ -z "$CG2" ] || [ "$(wc -l <"$CG2/cgroup.procs")" = 2 ]; } && break
	sleep 0.1
done
"$CLATRUN" --prefix 2001:db8:64::/96 --doctor >"$OUT" 2>&1 </dev/null
want=1; [ -n "$CG" ] && want=2
grep -Eq "^\[ ok \] service +plain.service: $want process(es)?: $want with libclat mapped" "$OUT" &&
	ok "--doctor: plain.service's $want processes (MainPID${CG:+, cgroup.procs}) have libclat mapped" ||
	notok "--doctor: plain.service's processes have libclat mapped" "no such line"
grep -Eq "^\[FAIL\] service +legacy.service: process ${PIDS[1]} runs without libclat.*systemctl restart legacy.service" "$OUT" &&
	ok "--doctor: legacy.service's process started before the drop-in fails, with its PID" ||
	notok "--doctor: legacy.service's old process fails" "no such line"
if [ -n "$CG2" ]; then
	grep -Eq "^\[ ok \] service +wrapped.service: 2 processes: 0 with libclat mapped, 2 under the supervisor" "$OUT" &&
		ok "--doctor: a supervisor (stand-in) and the program below it count as supervised" ||
		notok "--doctor: a supervisor and its program count as supervised" "no such line"
else
	skip "--doctor: supervised processes" "no cgroup v2 to put them in"
fi
grep -q 'foreign.service' "$OUT" && notok "--doctor lists only clatrun's drop-ins" "foreign.service listed" ||
	ok "--doctor lists only clatrun's drop-ins"

# 6. Disable.
run --disable-service plain
expect "--disable-service plain" 0 "removed $D"
[ ! -e "$ETC/plain.service.d" ] && ok "... the empty directory is gone" || notok "... the directory is gone" "still there"
printf '[Service]\nNice=5\n' >"$ETC/legacy.service.d/10-local.conf"
run --disable-service legacy
expect "--disable-service legacy" 0 "removed"
[ -f "$ETC/legacy.service.d/10-local.conf" ] && [ ! -e "$ETC/legacy.service.d/zz-libclat.conf" ] &&
	ok "... another drop-in in the directory stays" || notok "... another drop-in stays" "$(ls "$ETC/legacy.service.d")"
run --disable-service legacy
expect "a second --disable-service: nothing to do" 0 "nothing to do"
[ "$(head -n 1 "$ETC/foreign.service.d/zz-libclat.conf")" = "[Service]" ] &&
	ok "the foreign drop-in is as it was" || notok "the foreign drop-in is as it was" "changed"
run --disable-service wrapped
left=$(grep -rl '^# libclat: written by clatrun' "$ETC" 2>/dev/null | grep -v gosvc | grep -v static)
[ -z "$left" ] && ok "no clatrun drop-in left but the wrapped ones" || notok "no drop-in left" "$left"
for u in static gosvc; do [ -e "$ETC/$u.service.d" ] && "$CLATRUN" --disable-service "$u" >/dev/null 2>&1; done

echo "$NAME: $PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ] && [ "$PASS" -gt 0 ]
