#!/usr/bin/env bash
# Boots a built image under qemu-system-aarch64 (`virt` machine, no network) with a provisioning file on
# its boot partition, and reads the serial console until the first-boot unit has run and the appliance
# unit is ready (Type=notify: systemd prints "Started" only after READY=1) on its simulated cabinet.
# Then powers it off (as a power cut would), switches the root to read-only in its fstab and boots it
# again: the first boot changes nothing, the appliance is ready again, and the root file system is
# byte for byte what it was before that boot.
# Usage: image-build/boot-test.sh IMAGE [TIMEOUT_SECONDS_PER_BOOT]
set -euo pipefail
image=$1
limit=${2:-900}
work=$(mktemp -d "${TMPDIR:-/tmp}/lilo-boot.XXXXXX")
qemu_pid=
stop_qemu() {
  [ -z "$qemu_pid" ] || { kill "$qemu_pid" 2>/dev/null || true; wait "$qemu_pid" 2>/dev/null || true; }
  qemu_pid=
}
cleanup() { stop_qemu; rm -rf "$work"; }
trap cleanup EXIT
fail() { echo "boot-test: FAIL: $*" >&2; exit 1; }

cp --sparse=always "$(readlink -f "$image")" "$work/disk.img"
disk="$work/disk.img"
part_offset() { echo $(($(sfdisk --json "$disk" | node -p "JSON.parse(require('fs').readFileSync(0)).partitiontable.partitions[$1].start") * 512)); }
fat="$disk@@$(part_offset 0)"
# e2fsprogs reads a file system inside the disk image at an offset, without a loop device.
rootfs="$disk?offset=$(part_offset 1)"
cat >"$work/lilo.conf" <<'CONF'
# boot-test: a standalone simulated cabinet
hostname=lilo-boot-test
timezone=Europe/Berlin
org_id=00000000-0000-4000-8000-0000000000b1
lab_id=00000000-0000-4000-8000-0000000000b2
cabinet_id=00000000-0000-4000-8000-0000000000b3
hardware=sim
CONF
mcopy -o -i "$fat" "$work/lilo.conf" ::/lilo.conf
# qemu's TCG runs arm64 code 10-20x slower than a Pi 4: the appliance's start and its watchdog pings get
# emulation-sized limits in a drop-in (the shipped unit's own values stay as they are on the card).
printf '[Service]\nTimeoutStartSec=20min\nTimeoutStopSec=5min\nWatchdogSec=10min\n' >"$work/emulation.conf"
debugfs -w -R "mkdir /etc/systemd/system/lilo-appliance.service.d" "$rootfs" >/dev/null 2>&1
debugfs -w -R "write $work/emulation.conf /etc/systemd/system/lilo-appliance.service.d/emulation.conf" \
  "$rootfs" >/dev/null 2>&1
debugfs -R "cat /etc/systemd/system/lilo-appliance.service.d/emulation.conf" "$rootfs" 2>/dev/null |
  grep -q WatchdogSec=10min || fail "could not add the emulation drop-in to the root file system"
kernel=$(mdir -b -i "$fat" ::/ | sed -n 's|^::/\(vmlinuz-.*\)$|\1|p' | sort -V | tail -1)
mcopy -i "$fat" "::/$kernel" "$work/vmlinuz"
mcopy -i "$fat" "::/initrd.img-${kernel#vmlinuz-}" "$work/initrd.img"

# boot NAME ROOT_MODE FIRSTBOOT_LINE: boots until FIRSTBOOT_LINE and the appliance's readiness are on the
# console; prints the console's lilo lines and the seconds from power-on to ready.
boot() {
  local name=$1 mode=$2 want_firstboot=$3 want_ready='Started lilo-appliance.service' started log
  log="$work/serial-$name.log"
  started=$(date +%s)
  echo "boot-test: $name boot: $kernel under qemu-system-aarch64 -M virt, root $mode"
  # The journal goes to the serial console too: a unit that fails shows why in the test's log.
  qemu-system-aarch64 -M virt -cpu cortex-a72 -smp 2 -m 2048 -nographic -nic none -no-reboot \
    -kernel "$work/vmlinuz" -initrd "$work/initrd.img" \
    -append "root=LABEL=LILO-ROOT $mode console=ttyAMA0 panic=-1 systemd.journald.forward_to_console=1" \
    -device virtio-rng-pci -drive "if=virtio,format=raw,file=$disk" </dev/null >"$log" 2>&1 &
  qemu_pid=$!
  while :; do
    if grep -q "$want_firstboot" "$log" && grep -q "$want_ready" "$log"; then break; fi
    if ! kill -0 "$qemu_pid" 2>/dev/null || [ $(($(date +%s) - started)) -gt "$limit" ]; then
      tail -n 80 "$log" >&2
      fail "$name boot: no '$want_firstboot' and '$want_ready' on the console within ${limit}s"
    fi
    sleep 2
  done
  ready_s=$(($(date +%s) - started))
  stop_qemu
  if grep -E 'Failed to start (lilo|L\.I\.L\.O)|lilo-firstboot: ERROR|lilo-appliance.service: (Main process exited|Failed|Watchdog)' "$log" >&2; then
    tail -n 80 "$log" >&2
    fail "$name boot: a lilo unit failed"
  fi
  grep -E "lilo-firstboot:|$want_ready|Reached target.*Multi-User" "$log" | sed "s/^/boot-test: $name console: /"
  echo "boot-test: ok: $name boot: the appliance was ready ${ready_s} s after power-on"
}

boot first "rw" 'lilo-firstboot: changed '

# The second boot, on a read-only root: qemu was killed (a power cut); fsck it as the board would, then
# flip the root's fstab entry to `ro` and remember the root file system's checksum. The root is copied
# out for this: e2fsck replays the journal of a killed system and then re-opens the file system by its
# name, which loses a `?offset=` ("Bad magic number ... while trying to re-open").
root_offset=$(part_offset 1)
root_bytes=$(($(sfdisk --json "$disk" | node -p "JSON.parse(require('fs').readFileSync(0)).partitiontable.partitions[1].size") * 512))
dd if="$disk" of="$work/root.img" bs=1M iflag=skip_bytes,count_bytes skip="$root_offset" count="$root_bytes" \
  conv=sparse status=none
e2fsck -fy "$work/root.img" >/dev/null || [ $? -le 1 ] || fail "fsck of the root after the first boot"
debugfs -R "cat /etc/fstab" "$work/root.img" 2>/dev/null |
  sed -E 's|^(LABEL=LILO-ROOT\s+/\s+ext4\s+)defaults|\1ro|' >"$work/fstab"
grep -Eq '^LABEL=LILO-ROOT\s+/\s+ext4\s+ro,' "$work/fstab" || fail "could not make the root read-only in fstab"
debugfs -w -R "rm /etc/fstab" "$work/root.img" >/dev/null 2>&1
debugfs -w -R "write $work/fstab /etc/fstab" "$work/root.img" >/dev/null 2>&1
dd if="$work/root.img" of="$disk" bs=1M oflag=seek_bytes seek="$root_offset" conv=notrunc status=none
rm -f "$work/root.img"
root_sum() {
  dd if="$disk" bs=1M iflag=skip_bytes,count_bytes skip="$root_offset" count="$root_bytes" status=none |
    sha256sum | cut -d' ' -f1
}
before=$(root_sum)
boot second "ro" 'lilo-firstboot: nothing to change'
[ "$(root_sum)" = "$before" ] || fail "second boot: the read-only root was written to"
echo "boot-test: ok: second boot: root read-only (its checksum unchanged), first boot changed nothing, appliance ready"
