#!/usr/bin/env bash
# The image's own part of the root filesystem (build-image.sh): runs on the build machine as root on the
# unpacked arm64 package tree in $1; `chroot` runs its programs under qemu-user.
set -euo pipefail
root=$1
here=$(cd "$(dirname "$0")" && pwd)
in_root() { chroot "$root" "$@"; }
# Programs in the chroot (Node, maintainer scripts) expect /proc; nothing else is mounted.
mount -t proc proc "$root/proc"
trap 'umount -l "$root/proc"' EXIT

# Extra packages first (a Raspberry Pi OS kernel brings its own initramfs and firmware hooks).
if [ -n "${LILO_EXTRA_DEBS:-}" ]; then
  mkdir -p "$root/tmp/extra-debs"
  cp "$LILO_EXTRA_DEBS"/*.deb "$root/tmp/extra-debs/"
  cp /etc/resolv.conf "$root/etc/resolv.conf"
  in_root apt-get update -qq
  in_root sh -c 'DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends /tmp/extra-debs/*.deb'
  in_root apt-get clean
  rm -rf "$root/var/lib/apt/lists/"* "$root/etc/resolv.conf"
  rm -rf "$root/tmp/extra-debs"
fi

cp -a "$here/rootfs/." "$root/"
install -m 0644 "$LILO_RELEASE" "$root/etc/lilo-release"

# Node 20 and the appliance.
cp -a "$LILO_STAGE/opt/lilo" "$root/opt/"
install -m 0755 "$LILO_STAGE/usr/bin/node" "$root/usr/bin/node"
in_root /usr/bin/node -e 'require("/opt/lilo/node_modules/better-sqlite3")(":memory:").prepare("select 1").get(); require("/opt/lilo/node_modules/sharp")'

# Users: the service (GPIO, cameras, badge reader) and the kiosk session (display and touch only).
in_root groupadd --system --force gpio
in_root useradd --system --user-group --home-dir /var/lib/lilo --no-create-home \
  --shell /usr/sbin/nologin --groups gpio,video,input lilo
in_root useradd --system --user-group --home-dir /run/lilo-kiosk --no-create-home \
  --shell /usr/sbin/nologin --groups video,render,input lilo-kiosk
mkdir -p "$root/etc/lilo" "$root/var/lib/lilo"
chmod 0755 "$root/etc/lilo"

# Units and the hardware watchdog.
install -m 0644 "$LILO_REPO"/systemd/*.service "$root/etc/systemd/system/"
mkdir -p "$root/etc/systemd/system.conf.d"
install -m 0644 "$LILO_REPO"/systemd/system.conf.d/*.conf "$root/etc/systemd/system.conf.d/"
rm -f "$root/etc/systemd/system/lilo-cloud.service"
[ "$LILO_KIOSK" = 1 ] || rm -f "$root/etc/systemd/system/lilo-kiosk.service" "$root/etc/pam.d/lilo-kiosk"
in_root systemctl enable lilo-firstboot.service lilo-appliance.service \
  systemd-networkd.service systemd-resolved.service systemd-timesyncd.service
[ "$LILO_KIOSK" = 0 ] || in_root systemctl enable lilo-kiosk.service
# No login prompt on the display or the serial port; no remote login (openssh is not installed).
in_root systemctl mask getty@.service serial-getty@.service

echo lilo >"$root/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\tlilo\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$root/etc/hosts"

# The firmware partition's cmdline.txt and config.txt, from /etc/default/raspi-firmware.
kver=$(basename "$(ls -d "$root"/lib/modules/* | sort -V | tail -1)")
# The hook acts only when run as a package configures (DEB_MAINT_PARAMS); without it, it exits at once.
in_root env DEB_MAINT_PARAMS=configure /etc/kernel/postinst.d/z50-raspi-firmware "$kver"
# The image is generic: the first boot makes the machine id (and the SSH-less host has no host keys).
rm -f "$root/var/lib/dbus/machine-id"
: >"$root/etc/machine-id"
