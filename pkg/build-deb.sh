#!/bin/sh
# pkg/build-deb.sh OUTDIR: build mcspool_<version>_<arch>.deb from an installed
# tree (make install DESTDIR=...). Called by `make deb`.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:?usage: build-deb.sh OUTDIR}
version=$(sed -n 's/^#define MCSPOOL_VERSION "\(.*\)"/\1/p' "$top/common/version.h")
arch=$(dpkg --print-architecture)
root=$out/mcspool_${version}_$arch
rm -rf "$root"
make -C "$top" -s install PREFIX=/usr DESTDIR="$root"
# Configuration and service definitions where Debian expects them.
install -d "$root/etc/mcspool" "$root/lib/systemd/system" "$root/DEBIAN"
install -m 0640 "$top/etc/mcspool.conf" "$root/etc/mcspool/mcspool.conf"
install -m 0644 "$top"/etc/systemd/*.service "$root/lib/systemd/system/"
gzip -9n "$root"/usr/share/man/man*/*
# The programs' direct shared-library dependencies (DT_NEEDED), as Debian packages.
deps=$(for b in "$root"/usr/bin/*; do objdump -p "$b" | awk '/NEEDED/ {print $2}'; done | sort -u |
	while read -r so; do
		path=$(ldconfig -p | awk -v so="$so" '$1 == so {print $NF; exit}')
		[ -n "$path" ] && { dpkg -S "$path" 2>/dev/null || dpkg -S "$(readlink -f "$path")" 2>/dev/null ||
			dpkg -S "/usr$path" 2>/dev/null; } | head -n 1
	done | cut -d: -f1 | sort -u | tr '\n' ' ' | sed 's/ $//; s/ /, /g')
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@DEPENDS@/$deps/" \
	"$top/pkg/debian/control.in" > "$root/DEBIAN/control"
echo /etc/mcspool/mcspool.conf > "$root/DEBIAN/conffiles"
install -m 0755 "$top/pkg/debian/postinst" "$root/DEBIAN/postinst"
dpkg-deb --root-owner-group --build "$root" "$out/" >/dev/null
rm -rf "$root"
echo "$out/mcspool_${version}_$arch.deb"
