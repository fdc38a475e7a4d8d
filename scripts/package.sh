#!/usr/bin/env bash
# scripts/package.sh TARBALL [OUTDIR]: build the .deb and the .rpm from a
# `make dist` tarball and check what they install. Needs dpkg-buildpackage,
# debhelper and rpmbuild (scripts/install-deps.sh installs them). rpmbuild
# runs with --nodeps: on Debian the RPM build dependencies are not in an RPM
# database, but the same libraries are installed.
set -euo pipefail
tarball=$(realpath "${1:?usage: scripts/package.sh TARBALL [OUTDIR]}")
out=$(realpath -m "${2:-packages}")
name=$(basename "$tarball" .tar.gz)
version=${name#cachewarden-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"

echo "== deb"
tar -C "$work" -xzf "$tarball"
cp -r "$work/$name/packaging/debian" "$work/$name/debian"
(cd "$work/$name" && dpkg-buildpackage -b -us -uc >"$work/deb.log" 2>&1) ||
	{ tail -n 40 "$work/deb.log"; exit 1; }
deb=$(ls "$work"/cachewarden_"$version"-*_*.deb)
cp "$deb" "$out/"
contents=$(dpkg-deb -c "$deb")
for f in ./usr/bin/cachewarden ./etc/cachewarden/agent.conf \
	./lib/systemd/system/cachewarden.service ./lib/systemd/system/cachewarden-verify.timer \
	./lib/systemd/system/cachewarden-warm.service ./usr/share/man/man5/agent.conf.5.gz; do
	grep -q " $f\$" <<<"$contents" || { echo "deb lacks $f"; exit 1; }
done
info=$(dpkg-deb -I "$deb")
grep -q "Depends:.*libhiredis" <<<"$info" || { echo "deb lacks shlib depends"; exit 1; }
echo "deb ok: $(basename "$deb")"

echo "== rpm"
mkdir -p "$work/rpm/SOURCES"
cp "$tarball" "$work/rpm/SOURCES/"
# Debian's brp-compress is a bash script run by /bin/sh (dash), which fails
# on `read -d` and leaves man pages uncompressed; EL's /bin/sh is bash.
rpmbuild --define "_topdir $work/rpm" --nodeps \
	--define '__brp_compress /bin/bash %{_rpmconfigdir}/brp-compress %{?_prefix}' -bb "$work/$name/packaging/rpm/cachewarden.spec" \
	>"$work/rpm.log" 2>&1 || { tail -n 40 "$work/rpm.log"; exit 1; }
rpm=$(find "$work/rpm/RPMS" -name "cachewarden-$version-*.rpm" | head -n 1)
cp "$rpm" "$out/"
files=$(rpm -qlp "$rpm" 2>/dev/null)
for f in /usr/bin/cachewarden /etc/cachewarden/agent.conf /var/spool/cachewarden; do
	grep -qx "$f" <<<"$files" || { echo "rpm lacks $f"; exit 1; }
done
echo "rpm ok: $(basename "$rpm")"
