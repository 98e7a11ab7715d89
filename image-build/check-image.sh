#!/usr/bin/env bash
# Checks a built image without mounting it: the partition table (sfdisk), each file system (fsck), and
# what the image must contain. Usage: image-build/check-image.sh IMAGE
set -euo pipefail
image=$1
work=$(mktemp -d "${TMPDIR:-/tmp}/lilo-check.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "check-image: FAIL: $*" >&2; exit 1; }
ok() { echo "check-image: ok: $*"; }

# Partition table: FAT (bootable, first, as the Pi firmware wants), root, data.
table=$(sfdisk --json "$image")
types=$(node -e 'const t = JSON.parse(require("fs").readFileSync(0, "utf8")).partitiontable;
  console.log(t.label, t.partitions.map((p) => `${p.type}${p.bootable ? "*" : ""}`).join(","))' <<<"$table")
[ "$types" = "dos c*,83,83" ] || fail "partition table is '$types', expected 'dos c*,83,83'"
ok "partition table: $types"
i=0
for part in boot root data; do
  i=$((i + 1))
  read -r start size < <(node -e 'const p = JSON.parse(require("fs").readFileSync(0, "utf8")).partitiontable.partitions[process.argv[1]];
    console.log(p.start, p.size)' "$((i - 1))" <<<"$table")
  dd if="$image" of="$work/$part.img" bs=512 skip="$start" count="$size" conv=sparse status=none
done

fsck.vfat -n "$work/boot.img" >/dev/null || fail "boot file system"
e2fsck -fn "$work/root.img" >/dev/null || fail "root file system"
e2fsck -fn "$work/data.img" >/dev/null || fail "data file system"
ok "fsck: boot, root and data are clean"
[ "$(e2label "$work/root.img")" = LILO-ROOT ] && [ "$(e2label "$work/data.img")" = LILO-DATA ] || fail "ext4 labels"

# The firmware partition: Pi firmware, kernel, initramfs, and a command line that finds the root.
boot_files=$(mdir -b -i "$work/boot.img" ::/)
for f in config.txt cmdline.txt start4.elf fixup4.dat bcm2711-rpi-4-b.dtb bcm2837-rpi-3-b-plus.dtb; do
  grep -q "::/$f\$" <<<"$boot_files" || fail "boot partition lacks $f"
done
grep -q '::/vmlinuz-' <<<"$boot_files" && grep -q '::/initrd.img-' <<<"$boot_files" || fail "no kernel/initramfs"
mtype -i "$work/boot.img" ::/cmdline.txt | grep -q 'root=LABEL=LILO-ROOT' || fail "cmdline.txt root"
ok "boot partition: firmware, kernel, initramfs, cmdline root=LABEL=LILO-ROOT"

# The root: Node 20 for arm64, the appliance, the units enabled, the sandbox's user, no SSH.
cat_root() { debugfs -R "cat $1" "$work/root.img" 2>/dev/null; }
exists_root() { debugfs -R "stat $1" "$work/root.img" 2>&1 | grep -q '^Inode:'; }
debugfs -R "dump -p /usr/bin/node $work/node" "$work/root.img" 2>/dev/null
file -b "$work/node" | grep -q 'ARM aarch64' || fail "/usr/bin/node is not an arm64 program"
# Run through qemu-user: Node 20, not Debian's 18. Its C and C++ libraries come from the aarch64 cross
# toolchain (the host has no /lib/ld-linux-aarch64.so.1; qemu-user exits 1 without a word on a file
# that is not executable, hence `dump -p`).
node_version=$(qemu-aarch64-static -L /usr/aarch64-linux-gnu "$work/node" --version) ||
  fail "/usr/bin/node does not run"
[[ $node_version == v20.* ]] || fail "/usr/bin/node is $node_version, expected Node 20"
debugfs -R "dump /opt/lilo/node_modules/better-sqlite3/build/Release/better_sqlite3.node $work/sqlite.node" "$work/root.img" 2>/dev/null
file -b "$work/sqlite.node" | grep -q 'ARM aarch64' || fail "better-sqlite3 is not built for arm64"
exists_root /opt/lilo/node_modules/@img/sharp-linux-arm64/package.json || fail "sharp's arm64 build missing"
exists_root /opt/lilo/bin/lilo.js && exists_root /opt/lilo/dist/cli/main.js || fail "the appliance is missing"
exists_root /opt/lilo/node_modules/@zxing/library/package.json || fail "packages/vision's dependencies are missing"
# What the compiled code reads from the package root at run time (stage-app.sh).
exists_root /opt/lilo/appliance/db/migrations/0000_init.sql || fail "the appliance's SQLite migrations are missing"
exists_root /opt/lilo/appliance/kiosk/dist/index.html || fail "the kiosk's pages are missing"
debugfs -R "ls /opt/lilo/appliance/safety/model" "$work/root.img" 2>/dev/null | grep -q '\.onnx' ||
  fail "the spill model is missing"
cat_root /etc/lilo-release | grep -q '^LILO_IMAGE_VERSION=' || fail "/etc/lilo-release has no version"
links="multi-user.target.wants/lilo-appliance.service multi-user.target.wants/lilo-firstboot.service"
# The kiosk where the image has its compositor (not with --no-kiosk).
if exists_root /usr/bin/cage; then
  exists_root /usr/bin/chromium || fail "cage without chromium"
  links="$links multi-user.target.wants/lilo-kiosk.service"
fi
for link in $links; do
  exists_root "/etc/systemd/system/$link" || fail "$link not enabled"
done
# The allocator the appliance's unit preloads (ld.so would only warn and run glibc's malloc).
preload=$(cat_root /etc/systemd/system/lilo-appliance.service | sed -n 's/^Environment=LD_PRELOAD=//p')
[ -n "$preload" ] && exists_root "$preload" || fail "the appliance's allocator ($preload) is missing"
cat_root /etc/systemd/system.conf.d/10-lilo-watchdog.conf | grep -q '^RuntimeWatchdogSec=14s' || fail "watchdog"
cat_root /etc/fstab | grep -E '^LABEL=LILO-BOOT\s+/boot/firmware\s+vfat\s+\S*fmask=0077' >/dev/null || fail "fstab boot fmask"
cat_root /etc/fstab | grep -E '^LABEL=LILO-DATA\s+/var/lib/lilo\s' >/dev/null || fail "fstab data partition"
cat_root /etc/passwd | grep -q '^lilo:' && cat_root /etc/group | grep -E '^gpio:.*lilo' >/dev/null || fail "lilo user in gpio"
exists_root /usr/sbin/sshd && fail "sshd is installed"
# Every cabinet makes its own secrets at first boot: none may ship in the image.
for secret in /etc/lilo/kiosk-key /etc/lilo/appliance.json /var/lib/lilo/device.json; do
  exists_root "$secret" && fail "$secret is in the image"
done
[ -z "$(cat_root /etc/machine-id)" ] || fail "the image has a machine id"
ok "root: node $node_version, app $(cat_root /opt/lilo/package.json | node -p 'JSON.parse(require("fs").readFileSync(0)).version'), arm64 addons, migrations, kiosk pages, spill model, units enabled, jemalloc, watchdog, fstab, users, no sshd, no secrets"
echo "check-image: $(cat_root /etc/lilo-release | tr '\n' ' ')"
