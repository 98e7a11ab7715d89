#!/usr/bin/env bash
# Builds the flashable L.I.L.O. SD-card image for the Raspberry Pi 3/4/400/CM4 (arm64) from Debian 12
# packages, on an x86_64 Debian machine, as root, without mounting anything:
#
#   image-build/build-image.sh [--out DIR] [--extra-debs DIR] [--no-kiosk] [--cached-packages-only]
#
# Writes DIR/lilo-<version>.img (default DIR: image-build/out). --extra-debs installs every .deb of a
# folder into the root (the Raspberry Pi OS kernel and camera stack for the Pi 5 variant). --no-kiosk
# leaves out cage and Chromium (a cabinet without a display; the qemu boot test, which has none).
# --cached-packages-only exits 3 at once, building nothing, unless the package tree is in the cache (CI).
# Needs: mmdebstrap qemu-user-static binfmt-support dosfstools mtools e2fsprogs fdisk g++-aarch64-linux-gnu
# and npm. See image-build/README.md.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
out="$here/out"
extra_debs=
kiosk=1
cached_only=0
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out=$2; shift 2 ;;
    --extra-debs) extra_debs=$(cd "$2" && pwd); shift 2 ;;
    --no-kiosk) kiosk=0; shift ;;
    --cached-packages-only) cached_only=1; shift ;;
    *) echo "usage: $0 [--out DIR] [--extra-debs DIR] [--no-kiosk] [--cached-packages-only]" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" = 0 ] || { echo "build-image.sh: run as root (mmdebstrap, device nodes, file owners)" >&2; exit 2; }
export LILO_IMAGE_CACHE=${LILO_IMAGE_CACHE:-/var/cache/lilo-image}
mirror=${LILO_DEBIAN_MIRROR:-http://deb.debian.org/debian}
security=${LILO_DEBIAN_SECURITY:-http://deb.debian.org/debian-security}
boot_mib=256
data_mib=256
started=$(date +%s)
log() { printf '\n== build-image [%ss]: %s\n' "$(($(date +%s) - started))" "$*"; }

app_version=$(node -p 'require(process.argv[1]).version' "$repo/package.json")
commit=$(git -C "$repo" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
version=${LILO_IMAGE_VERSION:-$app_version+$(date -u +%Y%m%d%H%M).$commit}

work=$(mktemp -d "${TMPDIR:-/tmp}/lilo-image.XXXXXX")
packages_pid=
# A failure while mmdebstrap runs in the background waits for it: it unmounts what it mounted itself.
cleanup() {
  [ -z "$packages_pid" ] || wait "$packages_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$out"

# qemu-user runs the arm64 maintainer scripts; a container may start without binfmt_misc mounted.
if [ ! -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]; then
  mountpoint -q /proc/sys/fs/binfmt_misc || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
  update-binfmts --enable qemu-aarch64
fi

# No ca-certificates: Node verifies TLS against its own CA list, nothing else in the image speaks TLS,
# and its update-ca-certificates under qemu-user was the slowest step of the package tree.
packages=(
  systemd-sysv udev dbus libpam-systemd systemd-timesyncd kmod iproute2 netbase tzdata
  systemd-resolved hostname e2fsprogs fdisk dosfstools
  linux-image-arm64 raspi-firmware firmware-brcm80211 initramfs-tools busybox zstd
  gpiod libjemalloc2
)
[ "$kiosk" = 0 ] || packages+=(cage chromium fonts-dejavu-core)
# The packages alone, cached by everything that shapes them: installing them under qemu-user is most of
# the build, and the app, the units and the settings on top take a minute.
base_key=$( (printf '%s\n' "${packages[@]}" "$mirror" "$security"; cat "$here"/rootfs/etc/initramfs-tools/*/*) |
  sha256sum | cut -c1-16)
base="$LILO_IMAGE_CACHE/rootfs-$base_key.tar"
if [ "$cached_only" = 1 ] && [ ! -s "$base" ]; then
  echo "build-image.sh: the package tree is not cached ($base): not building" >&2
  exit 3
fi
# The package tree (qemu-bound: dpkg's maintainer scripts and the initramfs run emulated) and the
# appliance's staging (npm, tsc, the cross-compiler) do not depend on each other: both at once.
build_packages() {
  mmdebstrap --mode=root --arch=arm64 --variant=apt --components="main non-free-firmware" \
    --aptopt='APT::Install-Recommends "false"' --dpkgopt=force-unsafe-io \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
    --dpkgopt='path-include=/usr/share/locale/locale.alias' \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --include="$(IFS=,; echo "${packages[*]}")" \
    --setup-hook='mkdir -p "$1/boot/firmware"' \
    --setup-hook="cp -a '$here/rootfs/etc/initramfs-tools' \"\$1/etc/\"" \
    bookworm "$work/base.tar" \
    "deb $mirror bookworm main non-free-firmware" \
    "deb $mirror bookworm-updates main non-free-firmware" \
    "deb $security bookworm-security main non-free-firmware" &&
    [ -s "$work/base.tar" ] && mv "$work/base.tar" "$base"
}
if [ ! -s "$base" ]; then
  log "root filesystem packages (mmdebstrap, arm64, ${#packages[@]} packages and their dependencies), in the background"
  { build_packages && touch "$work/packages.ok"; } > >(sed -u 's/^/   packages: /') 2>&1 &
  packages_pid=$!
else
  log "root filesystem packages: cached $base"
fi

log "stage the appliance and Node 20 for arm64"
"$here/stage-app.sh" "$work/stage"

if [ -n "$packages_pid" ]; then
  log "waiting for the package tree"
  wait "$packages_pid" || true
  packages_pid=
  [ -f "$work/packages.ok" ] || { echo "build-image.sh: mmdebstrap failed (lines marked 'packages:' above)" >&2; exit 1; }
  log "package tree done: $(du -h "$base" | cut -f1)"
fi

log "root filesystem: the appliance, units and settings"
root="$work/root"
mkdir -p "$root"
tar -xf "$base" -C "$root" --numeric-owner
cat >"$work/release" <<REL
LILO_IMAGE_VERSION=$version
LILO_APP_VERSION=$app_version
LILO_COMMIT=$commit
LILO_BUILT=$(date -u +%Y-%m-%dT%H:%M:%SZ)
REL
LILO_KIOSK=$kiosk LILO_STAGE="$work/stage" LILO_EXTRA_DEBS="$extra_debs" LILO_RELEASE="$work/release" LILO_REPO="$repo" \
  "$here/customize.sh" "$root"

log "partitions: FAT firmware, ext4 root, ext4 data"
mkdir -p "$work/bootfs" "$work/datafs"
mv "$root/boot/firmware/"* "$work/bootfs/"
# The data partition is mounted over /var/lib/lilo: its root directory belongs to the service user.
owner=$(awk -F: '$1 == "lilo" { print $3 ":" $4 }' "$root/etc/passwd")
chown "$owner" "$work/datafs" && chmod 0700 "$work/datafs"
root_kib=$(du -sk "$root" | cut -f1)
root_mib=$((root_kib * 125 / 100 / 1024 + 256))

truncate -s "${boot_mib}M" "$work/boot.img"
mkfs.vfat -F 32 -n LILO-BOOT "$work/boot.img" >/dev/null
mcopy -s -i "$work/boot.img" "$work/bootfs/"* ::
truncate -s "${root_mib}M" "$work/root.img"
mkfs.ext4 -q -F -L LILO-ROOT -d "$root" "$work/root.img"
truncate -s "${data_mib}M" "$work/data.img"
mkfs.ext4 -q -F -L LILO-DATA -d "$work/datafs" "$work/data.img"

image="$out/lilo-$version.img"
truncate -s 0 "$image"
truncate -s "$((1 + boot_mib + root_mib + data_mib))M" "$image"
sfdisk --quiet "$image" <<PT
label: dos
label-id: 0x4c494c4f
start=1MiB, size=${boot_mib}MiB, type=c, bootable
size=${root_mib}MiB, type=83
size=${data_mib}MiB, type=83
PT
dd if="$work/boot.img" of="$image" bs=1M seek=1 conv=notrunc,sparse status=none
dd if="$work/root.img" of="$image" bs=1M seek=$((1 + boot_mib)) conv=notrunc,sparse status=none
dd if="$work/data.img" of="$image" bs=1M seek=$((1 + boot_mib + root_mib)) conv=notrunc,sparse status=none
ln -sfn "$(basename "$image")" "$out/lilo.img"
echo "$version" >"$out/VERSION"

log "check"
"$here/check-image.sh" "$image"
log "done: $image ($(du -h --apparent-size "$image" | cut -f1), $(du -h "$image" | cut -f1) allocated) in $(($(date +%s) - started)) s"
