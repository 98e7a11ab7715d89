// The first-boot step against a temporary boot partition and root: a good lilo.conf, a bad one, a second
// run, and a claim whose cloud is away. The CLI case runs the built `lilo` as lilo-firstboot.service does.
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AppError } from "../../shared/errors.js";
import { silentLogger } from "../../shared/logger.js";
import { lilo } from "../../test/support/cli.js";
import { freePort } from "../../test/support/free-port.js";
import { loadApplianceConfig } from "../config.js";
import { DEVICE_PATHS, runFirstBoot } from "./firstboot.service.js";

const STANDALONE = `# a demo cabinet without a cloud
hostname=lilo-lab2-cab1
timezone=Europe/Berlin
ntp=ntp1.example.org ntp2.example.org
org_id=00000000-0000-4000-8000-000000000001
lab_id=00000000-0000-4000-8000-000000000002
cabinet_id=00000000-0000-4000-8000-000000000003
hardware=real
door_pin=17
lock_pin=27
lock_active_low=yes
shelves=1 2
`;

let dir: string;
let boot: string;
let root: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "lilo-firstboot-"));
  boot = join(dir, "boot");
  root = join(dir, "root");
  mkdirSync(boot);
  mkdirSync(join(root, "etc"), { recursive: true });
  mkdirSync(join(root, "var/lib/lilo"), { recursive: true });
  writeFileSync(join(root, "etc/hosts"), "127.0.0.1\tlocalhost\n127.0.1.1\tlilo\n");
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const run = (claimTimeoutMs = 5_000) =>
  runFirstBoot({ bootDir: boot, root, firmwareVersion: "test", claimTimeoutMs, logger: silentLogger });

/** Every file under `top` with its content (or link target), mode and modification time. */
function snapshot(top: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = lstatSync(p);
      if (st.isDirectory()) walk(p);
      else
        out[relative(top, p)] =
          `${st.mode.toString(8)} ${st.mtimeMs} ${st.isSymbolicLink() ? `-> ${readlinkSync(p)}` : readFileSync(p, "utf8")}`;
    }
  };
  walk(top);
  return out;
}

describe("first boot", () => {
  it("writes the appliance config, host name, time zone and time servers from a good lilo.conf", async () => {
    writeFileSync(join(boot, "lilo.conf"), STANDALONE);
    const result = await run();

    expect(result.claim).toBe("standalone");
    const config = loadApplianceConfig(join(root, DEVICE_PATHS.config), {});
    expect(config.dataDir).toBe("/var/lib/lilo");
    expect(config.cabinet?.cabinet_id).toBe("00000000-0000-4000-8000-000000000003");
    expect(config.credentialSecret).toMatch(/^[\w-]{43}$/);
    expect(config.hardware.gpio).toMatchObject({
      driver: "gpiod",
      doorPin: 17,
      lockPin: 27,
      activeLow: true,
    });
    expect(config.hardware.cameras.map((c) => c.shelves[0]!.shelf)).toEqual([1, 2]);
    // It holds the badge key: not for every user of the machine.
    expect(statSync(join(root, DEVICE_PATHS.config)).mode & 0o777).toBe(0o640);
    // The touchscreen's key: root's alone (systemd hands it to the appliance and kiosk units), and not
    // in the config the service's group reads.
    const kioskKey = readFileSync(join(root, DEVICE_PATHS.kioskKey), "utf8");
    expect(kioskKey).toMatch(/^[\w-]{43}\n$/);
    expect(statSync(join(root, DEVICE_PATHS.kioskKey)).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(root, DEVICE_PATHS.config), "utf8")).not.toContain(kioskKey.trim());

    expect(readFileSync(join(root, "etc/hostname"), "utf8")).toBe("lilo-lab2-cab1\n");
    expect(readFileSync(join(root, "etc/hosts"), "utf8")).toBe(
      "127.0.0.1\tlocalhost\n127.0.1.1\tlilo-lab2-cab1\n",
    );
    expect(readlinkSync(join(root, "etc/localtime"))).toBe("/usr/share/zoneinfo/Europe/Berlin");
    expect(readFileSync(join(root, "etc/systemd/timesyncd.conf.d/lilo.conf"), "utf8")).toContain(
      "NTP=ntp1.example.org ntp2.example.org",
    );
  });

  it("changes nothing on a second run, and keeps the secret it generated", async () => {
    writeFileSync(join(boot, "lilo.conf"), STANDALONE);
    await run();
    const before = snapshot(dir);
    const again = await run();
    expect(again.changed).toEqual([]);
    expect(snapshot(dir)).toEqual(before);
  });

  it("applies an edited lilo.conf on the next boot without a new secret", async () => {
    writeFileSync(join(boot, "lilo.conf"), STANDALONE);
    await run();
    const secret = loadApplianceConfig(join(root, DEVICE_PATHS.config), {}).credentialSecret;
    const kioskKey = readFileSync(join(root, DEVICE_PATHS.kioskKey), "utf8");
    writeFileSync(join(boot, "lilo.conf"), STANDALONE.replace("hostname=lilo-lab2-cab1", "hostname=cab-7"));
    const result = await run();
    expect(result.changed).toEqual(["/etc/hostname", "/etc/hosts"]);
    expect(loadApplianceConfig(join(root, DEVICE_PATHS.config), {}).credentialSecret).toBe(secret);
    expect(readFileSync(join(root, DEVICE_PATHS.kioskKey), "utf8")).toBe(kioskKey);
  });

  it("refuses a bad lilo.conf naming every mistake, and writes nothing", async () => {
    writeFileSync(
      join(boot, "lilo.conf"),
      [
        "hostname=Lab_2!",
        "timezone=Mars/Olympus",
        "door_pin=64",
        "lock_pin=door",
        "colour=blue",
        "org_id=not-a-uuid",
        "lab_id=00000000-0000-4000-8000-000000000002",
      ].join("\n"),
    );
    const before = snapshot(root);
    const err = await run().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(Object.keys((err as AppError).fields ?? {}).sort()).toEqual([
      "cabinet_id",
      "colour",
      "door_pin",
      "hostname",
      "lock_pin",
      "org_id",
      "timezone",
    ]);
    expect(snapshot(root)).toEqual(before);
  });

  it("moves the claim token off the boot partition and leaves the claim to the appliance when the cloud is away", async () => {
    // A port that refuses connections: the cloud is down.
    const port = await freePort();
    writeFileSync(
      join(boot, "lilo.conf"),
      `cloud_url=http://127.0.0.1:${port}\nclaim_token=clm_0123456789abcdef\nhardware=sim\n`,
    );
    const result = await run(1_500);

    expect(result.claim).toBe("deferred to the appliance");
    const conf = readFileSync(join(boot, "lilo.conf"), "utf8");
    expect(conf).not.toContain("clm_0123456789abcdef");
    expect(conf).toMatch(/^# claim_token moved to the cabinet /m);
    expect(conf).toContain("hardware=sim");
    const token = join(root, DEVICE_PATHS.claimToken);
    expect(readFileSync(token, "utf8")).toBe("clm_0123456789abcdef\n");
    expect(statSync(token).mode & 0o777).toBe(0o600);
    const config = loadApplianceConfig(join(root, DEVICE_PATHS.config), {});
    expect(config.cloud).toMatchObject({
      url: `http://127.0.0.1:${port}`,
      claimTokenFile: DEVICE_PATHS.claimToken,
    });
    expect(config.credentialSecret).toBeUndefined();

    // Next boot, same card: the token stays where it is, nothing else moves.
    const before = snapshot(dir);
    expect((await run(1_500)).changed).toEqual([]);
    expect(snapshot(dir)).toEqual(before);
  });

  it("gives every file its own mode under the unit's UMask=0077", async () => {
    writeFileSync(join(boot, "lilo.conf"), STANDALONE);
    const before = process.umask(0o077);
    try {
      await run();
    } finally {
      process.umask(before);
    }
    const mode = (p: string) => statSync(join(root, p)).mode & 0o777;
    // The appliance runs as `lilo`, not root: it must still read its settings and the host names.
    expect(mode(DEVICE_PATHS.config)).toBe(0o640);
    expect(mode("etc/hosts")).toBe(0o644);
    expect(mode("etc/hostname")).toBe(0o644);
    expect(mode(DEVICE_PATHS.kioskKey)).toBe(0o600);
  });

  it("prints one line per bad setting for the display and exits 1 (lilo appliance firstboot)", async () => {
    writeFileSync(join(boot, "lilo.conf"), "hardware=real\ndoor_pin=5\nlock_pin=5\norg_id=x\n");
    const { code, stderr, stdout } = await lilo(["appliance", "firstboot", "--boot", boot, "--root", root]);
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr).toContain(`lilo-firstboot: ERROR: ${join(boot, "lilo.conf")} is not valid:`);
    expect(stderr).toContain("lilo-firstboot:   lock_pin: must differ from door_pin");
    expect(stderr).toContain("lilo-firstboot:   org_id: must be a UUID");
    expect(stderr).toContain("lilo-firstboot:   lab_id: required without cloud_url");
  });
});
