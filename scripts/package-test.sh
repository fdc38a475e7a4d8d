#!/usr/bin/env bash
# scripts/package-test.sh [PKGDIR]: check the .deb and .rpm that
# scripts/package.sh built (default PKGDIR: packages). Prints TAP: one
# `ok`/`not ok` line per check, which scripts/test.sh counts in its closing
# line. Exit 1 when a check failed.
#
#   - lintian and rpmlint find nothing but what packaging/ accepts, with its
#     reason (packaging/debian/cachewarden.lintian-overrides, shipped in the
#     .deb; packaging/rpm/cachewarden.rpmlintrc);
#   - rpm -qpl and rpm -qpR: the same files as the .deb, modes and owners,
#     %config(noreplace), and every library the binary links required by
#     soname, each one named by its EL 9 package;
#   - an install cycle of the .deb: dpkg -i, files, owners and modes, the
#     conffile, the units enabled or not, systemd-analyze verify and
#     security of every unit, check-config of the installed agent.conf as
#     the service user, dpkg -r (state kept) and dpkg -P (state gone).
#
# The install cycle needs root and dpkg. It runs in a throwaway copy of the
# root file system (an overlay mounted in a private mount namespace, entered
# with chroot), so the host and anything running beside it are untouched.
# Where no overlay can be mounted, set CW_INSTALL_ON_HOST=1 to run it on the
# host itself (a disposable CI machine); otherwise it is skipped, and the
# reason printed.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
notok() { n=$((n + 1)); failed=1; echo "not ok $n - $*"; }
skip() { n=$((n + 1)); echo "ok $n # SKIP $*"; }
diag() { sed 's/^/# /'; }
check() { # check DESCRIPTION COMMAND...: ok when the command succeeds
	local what=$1 out
	shift
	if out=$("$@" 2>&1); then ok "$what"; else
		notok "$what"
		[[ -n $out ]] && diag <<<"$out"
	fi
}

# ---- inside the throwaway root (or on the host): the .deb install cycle ----
# The service's files: path, mode, owner:group.
deb_files=(
	"/usr/bin/cachewarden -rwxr-xr-x root:root"
	"/etc/cachewarden/agent.conf -rw-r----- root:cachewarden"
	"/var/lib/cachewarden drwx------ cachewarden:cachewarden"
	"/var/lib/cachewarden/manifests drwx------ cachewarden:cachewarden"
	"/var/spool/cachewarden drwx------ cachewarden:cachewarden"
	"/lib/systemd/system/cachewarden.service -rw-r--r-- root:root"
	"/lib/systemd/system/cachewarden-warm.service -rw-r--r-- root:root"
	"/lib/systemd/system/cachewarden-verify.service -rw-r--r-- root:root"
	"/lib/systemd/system/cachewarden-verify.timer -rw-r--r-- root:root"
	"/usr/share/man/man8/cachewarden.8.gz -rw-r--r-- root:root"
	"/usr/share/man/man5/agent.conf.5.gz -rw-r--r-- root:root"
	"/usr/share/lintian/overrides/cachewarden -rw-r--r-- root:root"
)
units=(cachewarden.service cachewarden-warm.service cachewarden-verify.service
	cachewarden-verify.timer)
wants=/etc/systemd/system/multi-user.target.wants/cachewarden.service

files_as_listed() {
	local line path want got bad=""
	for line in "${deb_files[@]}"; do
		read -r path want <<<"$line"
		got=$(stat -c '%A %U:%G' "$path" 2>&1) || got="missing"
		[[ $got == "$want" ]] || bad+="$path: $got, want $want"$'\n'
	done
	[[ -z $bad ]] || { printf '%s' "$bad"; return 1; }
}

units_verify() {
	local out rc=0 man=()
	command -v man >/dev/null 2>&1 || man=(--man=no)
	# Checks every unit as systemd would load it: syntax, the binaries named
	# by ExecStart/ExecReload, Documentation= pages, the timer's service.
	out=$(systemd-analyze verify "${man[@]}" "${units[@]}" 2>&1) || rc=$?
	# Without systemd as PID 1 the default dependencies (sysinit.target) of
	# a bare chroot are not found; that says nothing about our units.
	out=$(grep -v 'Unit sysinit.target not found' <<<"$out")
	[[ -z $out ]] || { printf '%s\n' "$out"; return 1; }
	return "$rc"
}

units_exposure() {
	local u line score bad=""
	for u in cachewarden.service cachewarden-warm.service cachewarden-verify.service; do
		line=$(systemd-analyze security --offline=yes "/lib/systemd/system/$u" 2>&1 |
			grep 'Overall exposure level')
		score=$(sed -n 's/.*: \([0-9.]*\) .*/\1/p' <<<"$line")
		echo "$u: ${score:-?}"
		awk -v s="$score" 'BEGIN { exit !(s != "" && s <= 2.0) }' || bad+=" $u"
	done
	# The timer runs no process (systemd-analyze scores it as an empty
	# service, 9.8): what it starts, and what runs, is
	# cachewarden-verify.service, scored above.
	[[ -z $bad ]]
}

# In the throwaway root only: a systemctl that records what the maintainer
# scripts ask of it, the directory by which they decide that systemd runs,
# and no Docker-style policy-rc.d (which would veto every action).
fake_systemd() {
	mkdir -p /run/systemd/system
	printf '#!/bin/sh\necho "$*" >>/tmp/systemctl.log\nexit 0\n' >/usr/bin/systemctl
	chmod 0755 /usr/bin/systemctl
	rm -f /usr/sbin/policy-rc.d
	: >/tmp/systemctl.log
}

deb_cycle() {
	local deb=$1 out
	export DEBIAN_FRONTEND=noninteractive
	if dpkg-query -W -f='${Status}' cachewarden 2>/dev/null | grep -q installed; then
		notok "dpkg -i: cachewarden is already installed here; refusing to touch it"
		return
	fi
	check "dpkg -i $(basename "$deb") (systemd is not PID 1 here)" dpkg -i "$deb"
	check "files, owners and modes as listed" files_as_listed
	check "agent.conf is a conffile" \
		bash -c "dpkg-query -W -f='\${Conffiles}\n' cachewarden | grep -q '^ /etc/cachewarden/agent.conf '"
	check "cachewarden.service is enabled (not started: agent.conf needs the site's values)" \
		test -L "$wants"
	check "the verify timer and the one-shot units are not enabled" \
		bash -c '! ls /etc/systemd/system/*.wants/cachewarden-* 2>/dev/null | grep -q .'
	check "systemd-analyze verify of every unit" units_verify
	if out=$(units_exposure 2>&1); then
		ok "systemd-analyze security --offline=yes <= 2.0: $(tr '\n' ' ' <<<"$out")"
	else
		notok "systemd-analyze security --offline=yes > 2.0"
		diag <<<"$out"
	fi
	# The service user reads the installed config through its group.
	check "check-config of the installed agent.conf as the service user" \
		setpriv --reuid=cachewarden --regid=cachewarden --init-groups \
		cachewarden -c /etc/cachewarden/agent.conf check-config
	check "the service user cannot write agent.conf" \
		bash -c '! setpriv --reuid=cachewarden --regid=cachewarden --init-groups \
			sh -c ": >>/etc/cachewarden/agent.conf" 2>/dev/null'
	# Upgrade path (the same package again): the agent is try-restarted, a
	# changed agent.conf is kept with its owner and mode.
	echo "# site value" >>/etc/cachewarden/agent.conf
	[[ $isolated != 1 ]] || fake_systemd
	check "dpkg -i again (upgrade)" dpkg -i "$deb"
	check "upgrade: agent.conf kept, 0640 root:cachewarden" bash -c \
		'tail -n 1 /etc/cachewarden/agent.conf | grep -qx "# site value" &&
		[[ $(stat -c "%a %U:%G" /etc/cachewarden/agent.conf) == "640 root:cachewarden" ]]'
	if [[ $isolated == 1 ]]; then
		check "upgrade: try-restart cachewarden.service (restarted only if running)" \
			grep -q "try-restart.*cachewarden.service" /tmp/systemctl.log
		: >/tmp/systemctl.log
	fi
	# State left by a run, to see what remove and purge do with it.
	echo 1 >/var/lib/cachewarden/warm-products.ckpt
	echo 1 >/var/spool/cachewarden/0001.rec
	check "dpkg -r" dpkg -r cachewarden
	if [[ $isolated == 1 ]]; then
		check "remove: the agent and the one-shot units stopped" \
			grep -q "stop.*cachewarden.service.*cachewarden-warm.service" /tmp/systemctl.log
	fi
	check "after dpkg -r: binary gone; config, state, spool and user kept" bash -c '
		! test -e /usr/bin/cachewarden && test -f /etc/cachewarden/agent.conf &&
		test -f /var/lib/cachewarden/warm-products.ckpt &&
		test -f /var/spool/cachewarden/0001.rec && getent passwd cachewarden >/dev/null'
	check "dpkg -P" dpkg -P cachewarden
	check "after dpkg -P: config, state, spool, statoverride and unit links gone" bash -c "
		! test -e /etc/cachewarden/agent.conf && ! test -e /var/lib/cachewarden &&
		! test -e /var/spool/cachewarden && ! test -e $wants &&
		! dpkg-statoverride --list /etc/cachewarden/agent.conf >/dev/null &&
		! dpkg-query -W cachewarden >/dev/null 2>&1"
	if [[ $isolated == 1 ]]; then
		# A fresh install where systemd runs: enabled through the preset,
		# daemon reloaded, nothing started.
		: >/tmp/systemctl.log
		check "dpkg -i where systemd runs" dpkg -i "$deb"
		check "install where systemd runs: enabled (preset), nothing started" bash -c \
			'grep -q "preset cachewarden.service" /tmp/systemctl.log &&
			! grep -E "(start|restart) .*cachewarden" /tmp/systemctl.log'
		dpkg -P cachewarden >/dev/null 2>&1
	fi
}

isolated=0
if [[ ${1:-} == --inside ]]; then
	isolated=1
	deb_cycle "$2"
	exit $failed
fi

# ---- outside: linters and rpm metadata, then the install cycle --------------
pkgdir=$(realpath "${1:-packages}")
top=$(cd "$here/.." && pwd)
deb="" rpm=""
for f in "$pkgdir"/cachewarden_*.deb; do [[ -f $f ]] && deb=$f; done
for f in "$pkgdir"/cachewarden-*.rpm; do [[ -f $f && $f != *.src.rpm ]] && rpm=$f; done
echo "# packages: ${deb:-no .deb} ${rpm:-no .rpm}"
[[ -n $deb && -n $rpm ]] || { notok "both packages built (run scripts/package.sh first)"; exit 1; }

# lintian's overrides come from the package itself.
rc=0
out=$(lintian --fail-on error,warning --display-info --pedantic "$deb" 2>&1) || rc=$?
out=$(grep -v '^running with root' <<<"$out")
if [[ $rc -eq 0 ]]; then ok "lintian: no errors or warnings ($(grep -c '^[IP]:' <<<"$out") info or pedantic tags)"
else notok "lintian (exit $rc)"; fi
[[ -n $out ]] && diag <<<"$out"
out=$(rpmlint -r "$top/packaging/rpm/cachewarden.rpmlintrc" "$rpm" 2>&1)
summary=$(grep 'packages and' <<<"$out" | sed 's/^ *//; s/; has taken.*//')
if grep -q ' 0 errors, 0 warnings' <<<"$summary"; then ok "rpmlint: $summary"
else notok "rpmlint"; diag <<<"$out"; fi

# The same files in both packages (the .deb's unit dir is /lib on Debian 12).
rpm_files=$(rpm -qpl "$rpm" 2>/dev/null)
deb_paths=$(dpkg-deb -c "$deb" | awk '{ print substr($6, 2) }')
missing=""
for f in /usr/bin/cachewarden /etc/cachewarden/agent.conf /usr/share/man/man8/cachewarden.8.gz \
	/usr/share/man/man5/agent.conf.5.gz "${units[@]/#//lib/systemd/system/}"; do
	grep -qx "$f" <<<"$deb_paths" || missing+=" deb:$f"
	grep -qx "${f/#\/lib\//\/usr\/lib\/}" <<<"$rpm_files" || missing+=" rpm:$f"
done
for f in /var/lib/cachewarden /var/lib/cachewarden/manifests /var/spool/cachewarden \
	/usr/lib/systemd/system-preset/80-cachewarden.preset; do
	grep -qx "$f" <<<"$rpm_files" || missing+=" rpm:$f"
done
if [[ -z $missing ]]; then ok "rpm -qpl and dpkg-deb -c: the same files"; else notok "files missing:$missing"; fi

attrs=$(rpm -qp --qf '[%{FILEMODES:perms} %{FILEUSERNAME}:%{FILEGROUPNAME} %{FILEFLAGS:fflags} %{FILENAMES}\n]' "$rpm" 2>/dev/null)
bad=""
for want in "-rw-r----- root:cachewarden cn /etc/cachewarden/agent.conf" \
	"drwx------ cachewarden:cachewarden  /var/lib/cachewarden" \
	"drwx------ cachewarden:cachewarden  /var/spool/cachewarden" \
	"-rwxr-xr-x root:root  /usr/bin/cachewarden"; do
	grep -qxF -- "$want" <<<"$attrs" || bad+=" [$want]"
done
if [[ -z $bad ]]; then ok "rpm: agent.conf %config(noreplace) 0640 root:cachewarden, state and spool 0700"
else notok "rpm attributes:$bad"; diag <<<"$attrs"; fi

# Every library the binary links, required by soname; each one is provided
# by a known EL 9 package (a new library must be added here and to README).
el9_package() {
	case $1 in
	libc.so.* | libm.so.* | libpthread.so.*) echo glibc ;;
	libevent*) echo libevent ;;
	libhiredis.so.*) echo "hiredis (EPEL)" ;;
	libmariadb.so.*) echo mariadb-connector-c ;;
	libcurl.so.*) echo libcurl ;;
	libssl.so.* | libcrypto.so.*) echo openssl-libs ;;
	libz.so.*) echo zlib ;;
	libsodium.so.*) echo "libsodium (EPEL)" ;;
	libzstd.so.*) echo libzstd ;;
	*) return 1 ;;
	esac
}
x=$(mktemp -d)
(cd "$x" && rpm2cpio "$rpm" | cpio -id --quiet ./usr/bin/cachewarden 2>/dev/null)
needed=$(objdump -p "$x/usr/bin/cachewarden" 2>/dev/null | awk '$1 == "NEEDED" { print $2 }')
rm -rf "$x"
requires=$(rpm -qpR "$rpm" 2>/dev/null)
bad=""
names=""
for so in $needed; do
	grep -qxF "$so()(64bit)" <<<"$requires" || bad+=" $so(not required)"
	if pkg=$(el9_package "$so"); then names+="$so=$pkg, "; else bad+=" $so(no EL 9 package known)"; fi
done
if [[ -n $needed && -z $bad ]]; then ok "rpm -qpR requires every linked library: ${names%, }"
else notok "rpm -qpR:${bad:- no NEEDED entries read}"; diag <<<"$requires"; fi

# libcurl is opened with dlopen (the agent keeps it out of its process): not
# linked, so each package must name it by hand.
if grep -q '^libcurl' <<<"$needed"; then notok "libcurl is linked (DT_NEEDED): it should be opened with dlopen"
elif grep -qxF 'libcurl.so.4()(64bit)' <<<"$requires"; then ok "rpm requires the dlopen'd libcurl.so.4()(64bit)"
else notok "rpm -qpR lacks libcurl.so.4()(64bit)"; diag <<<"$requires"; fi

# The .deb: ${shlibs:Depends} names the package of every linked library.
x=$(mktemp -d)
dpkg-deb -x "$deb" "$x"
depends=$(dpkg-deb -f "$deb" Depends)
bad=""
names=""
for so in $(objdump -p "$x/usr/bin/cachewarden" | awk '$1 == "NEEDED" { print $2 }'); do
	path=$(ldconfig -p | awk -v so="$so" '$1 == so && /x86-64|x32|64/ { print $NF; exit }')
	pkg=$(dpkg -S "$(readlink -f "${path:-/nonexistent}")" 2>/dev/null | head -n 1 | cut -d: -f1)
	[[ -z $pkg ]] && pkg=$(dpkg -S "${path:-/nonexistent}" 2>/dev/null | head -n 1 | cut -d: -f1)
	if [[ -n $pkg ]] && grep -qE "(^|, )$pkg( |,|$)" <<<"$depends"; then names+="$so=$pkg, "
	else bad+=" $so(${pkg:-no package})"; fi
done
rm -rf "$x"
if [[ -z $bad ]]; then ok "deb Depends names the package of every linked library: ${names%, }"
else notok "deb Depends lacks:$bad"; diag <<<"$depends"; fi
if grep -qE "(^|, )libcurl4 \(>= [0-9.]+\)" <<<"$depends"; then ok "deb Depends names the dlopen'd libcurl4 with a version"
else notok "deb Depends lacks libcurl4 (>= version)"; diag <<<"$depends"; fi

# The install cycle.
if [[ $(id -u) -ne 0 ]]; then
	skip "install cycle: needs root (dpkg -i)"
elif ! command -v dpkg >/dev/null 2>&1; then
	skip "install cycle: dpkg is not installed"
else
	root=$(mktemp -d)
	trap 'rm -rf "$root"' EXIT
	mkdir "$root/rw" "$root/merged"
	cp "$deb" "$root/"
	cp "$0" "$root/package-test.sh"
	# A private mount namespace: the overlay and everything mounted on it
	# vanish with this process. (Single quotes: the inner shell expands.)
	# shellcheck disable=SC2016
	inner=$(
		unshare --mount --propagation private bash -c '
			set -e
			r=$1
			# The writable layer on a tmpfs: an overlay cannot be the upper
			# layer of another (a container whose / is an overlay).
			mount -t tmpfs -o mode=0700 tmpfs "$r/rw"
			mkdir "$r/rw/upper" "$r/rw/work"
			mount -t overlay overlay -o "lowerdir=/,upperdir=$r/rw/upper,workdir=$r/rw/work" "$r/merged"
			mount -t proc proc "$r/merged/proc"
			mount --rbind /dev "$r/merged/dev"
			mount -t tmpfs tmpfs "$r/merged/run"
			mount -t tmpfs tmpfs "$r/merged/tmp"
			cp "$r"/*.deb "$r/package-test.sh" "$r/merged/tmp/"
			echo "# isolated: an overlay of / in a private mount namespace"
			exec chroot "$r/merged" bash /tmp/package-test.sh --inside "/tmp/$(basename "$2")"
		' _ "$root" "$deb" 2>&1
	)
	rc=$?
	if grep -q '^# isolated' <<<"$inner"; then
		# Renumber the inner TAP lines after ours.
		while IFS= read -r line; do
			case $line in
			"ok "* | "not ok "*)
				n=$((n + 1))
				[[ $line == not* ]] && failed=1
				sed -E "s/^(not )?ok [0-9]+/\1ok $n/" <<<"$line"
				;;
			*) echo "$line" ;;
			esac
		done <<<"$inner"
		[[ $rc -eq 0 ]] || failed=1
	elif [[ ${CW_INSTALL_ON_HOST:-} == 1 ]]; then
		echo "# no overlay ($(head -n 1 <<<"$inner")): CW_INSTALL_ON_HOST=1, installing on the host"
		deb_cycle "$deb"
	else
		skip "install cycle: cannot mount an overlay of / ($(head -n 1 <<<"$inner")); set CW_INSTALL_ON_HOST=1 on a disposable machine"
	fi
fi
echo "1..$n"
exit $failed
