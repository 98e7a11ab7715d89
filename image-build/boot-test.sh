#!/usr/bin/env bash
# Boots a built image under qemu-system-aarch64 (`virt` machine, no network) with a provisioning file on
# its boot partition, and reads the serial console until the first-boot unit has run and the appliance
# unit is ready (Type=notify: systemd prints "Started" only after READY=1) on its simulated cabinet.
# Usage: image-build/boot-test.sh IMAGE [TIMEOUT_SECONDS]
set -euo pipefail
image=$1
limit=${2:-900}
work=$(mktemp -d "${TMPDIR:-/tmp}/lilo-boot.XXXXXX")
qemu_pid=
cleanup() { [ -z "$qemu_pid" ] || kill "$qemu_pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
started=$(date +%s)

cp --sparse=always "$(readlink -f "$image")" "$work/disk.img"
boot_offset=$(($(sfdisk --json "$work/disk.img" | node -p 'JSON.parse(require("fs").readFileSync(0)).partitiontable.partitions[0].start') * 512))
fat="$work/disk.img@@$boot_offset"
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
kernel=$(mdir -b -i "$fat" ::/ | sed -n 's|^::/\(vmlinuz-.*\)$|\1|p' | sort -V | tail -1)
mcopy -i "$fat" "::/$kernel" "$work/vmlinuz"
mcopy -i "$fat" "::/initrd.img-${kernel#vmlinuz-}" "$work/initrd.img"

echo "boot-test: booting $kernel under qemu-system-aarch64 -M virt (serial log: $work/serial.log)"
qemu-system-aarch64 -M virt -cpu cortex-a72 -smp 2 -m 2048 -nographic -nic none -no-reboot \
  -kernel "$work/vmlinuz" -initrd "$work/initrd.img" \
  -append "root=LABEL=LILO-ROOT rw console=ttyAMA0 panic=-1" \
  -device virtio-rng-pci -drive "if=virtio,format=raw,file=$work/disk.img" </dev/null >"$work/serial.log" 2>&1 &
qemu_pid=$!

want_firstboot='lilo-firstboot: changed '
want_ready='Started lilo-appliance.service'
while :; do
  if grep -q "$want_firstboot" "$work/serial.log" && grep -q "$want_ready" "$work/serial.log"; then break; fi
  if ! kill -0 "$qemu_pid" 2>/dev/null || [ $(($(date +%s) - started)) -gt "$limit" ]; then
    tail -n 60 "$work/serial.log" >&2
    echo "boot-test: FAIL: no '$want_firstboot' and '$want_ready' on the console within ${limit}s" >&2
    exit 1
  fi
  sleep 2
done
if grep -E 'Failed to start (lilo|L\.I\.L\.O)|lilo-firstboot: ERROR' "$work/serial.log" >&2; then
  echo "boot-test: FAIL: a lilo unit failed" >&2
  exit 1
fi
grep -E "lilo-firstboot:|$want_ready|Reached target.*Multi-User" "$work/serial.log" | sed 's/^/boot-test: console: /'
echo "boot-test: ok: first boot ran and the appliance was ready $(($(date +%s) - started)) s after power-on"
