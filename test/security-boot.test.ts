// The cabinet at boot and its command line, as an attacker at the cabinet or on its network sees them:
// the lock is driven before the first byte goes to the cloud, a real cabinet's config cannot be run on the
// simulator, and the HTTP API listens on loopback unless a config explicitly says otherwise.
import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { ApplianceConfigInput } from "../appliance/config.js";
import { fromRoot } from "../shared/paths.js";
import { lilo } from "./support/cli.js";
import { freePort } from "./support/free-port.js";
import { FakeSysfs } from "./support/hardware.js";
import { waitFor } from "./support/wait-for.js";

const DOOR_BCM = 17;
const LOCK_BCM = 27;
/** PI4_CHIPS: the header's chip has base 512. */
const sysfsPin = (bcm: number) => 512 + bcm;

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "lilo-boot-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function fakeSysfs(): FakeSysfs {
  const fake = new FakeSysfs();
  fake.startKernel({ [sysfsPin(DOOR_BCM)]: "0" });
  cleanups.push(() => fake.dispose());
  return fake;
}

function realCabinetConfig(dir: string, sysfsRoot: string, extra: Partial<ApplianceConfigInput> = {}) {
  const config: ApplianceConfigInput = {
    dataDir: join(dir, "data"),
    http: { host: "127.0.0.1", port: 0 },
    hardware: {
      mode: "real",
      gpio: { driver: "sysfs", sysfsRoot, doorPin: DOOR_BCM, lockPin: LOCK_BCM, pollMs: 20 },
      lock: { mode: "fail-safe", autoRelockMs: 10_000, ajarAlarmMs: 60_000 },
      cameras: [],
    },
    ...extra,
  };
  const path = join(dir, "appliance.json");
  writeFileSync(path, JSON.stringify(config));
  return path;
}

/** The lock relay's level as the kernel has it, or undefined while the pin is not driven as an output. */
function relay(fake: FakeSysfs): string | undefined {
  const pin = sysfsPin(LOCK_BCM);
  if (!existsSync(join(fake.root, `gpio${pin}`))) return undefined;
  if (fake.read(pin, "direction") === "in") return undefined;
  // `direction` "low"/"high" sets the first level; later writes go to `value`.
  return fake.read(pin, "value");
}

function spawnLilo(args: string[]): { child: ChildProcess; output: () => string } {
  const lines: string[] = [];
  const child = spawn(process.execPath, [fromRoot("bin/lilo.js"), ...args], {
    env: { ...process.env, LOG_LEVEL: "info" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.on("data", (b: Buffer) => lines.push(b.toString("utf8")));
  child.stderr!.on("data", (b: Buffer) => lines.push(b.toString("utf8")));
  const exited = new Promise((resolve) => child.once("exit", resolve));
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await exited;
  });
  return { child, output: () => lines.join("").slice(-4000) };
}

describe("a cabinet at boot", () => {
  it("drives a fail-safe lock locked before its first connection to an unreachable cloud", async () => {
    const dir = tempDir();
    const fake = fakeSysfs();
    // The "cloud": accepts a connection, notes the relay at that moment, and hangs up without answering.
    const relayAtConnect: (string | undefined)[] = [];
    const cloud: Server = createServer((socket) => {
      relayAtConnect.push(relay(fake));
      socket.destroy();
    });
    await new Promise<void>((resolve) => cloud.listen(0, "127.0.0.1", resolve));
    cleanups.push(() => new Promise<void>((resolve) => cloud.close(() => resolve())));
    const port = (cloud.address() as { port: number }).port;
    const config = realCabinetConfig(dir, fake.root, {
      cloud: {
        url: `http://127.0.0.1:${port}`,
        claimToken: "lilo_claim_boot_test_token",
        serialNumber: `BOOT-${randomUUID()}`,
        maxBackoffMs: 1000,
      },
    });

    const app = spawnLilo(["appliance", "run", "--config", config]);
    await waitFor(() => relayAtConnect.length >= 2, {
      what: "two claim attempts",
      timeoutMs: 30_000,
      context: app.output,
    });
    // fail-safe: energised (1) is locked. Locked from the first connection on, while the claim still fails.
    expect(relayAtConnect).toEqual(relayAtConnect.map(() => "1"));
    expect(relay(fake)).toBe("1");
    expect(app.output()).toContain("claim failed");
    expect(app.child.exitCode).toBeNull();
  });

  it("refuses --sim with a real cabinet's config and drives nothing", async () => {
    const dir = tempDir();
    const fake = fakeSysfs();
    const config = realCabinetConfig(dir, fake.root, {
      cabinet: { org_id: randomUUID(), lab_id: randomUUID(), cabinet_id: randomUUID() },
      credentialSecret: "a-secret-of-sixteen-chars",
    });
    const r = await lilo(["appliance", "run", "--config", config, "--sim"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--sim refused");
    expect(r.stderr).toContain('hardware.mode "real"');
    expect(existsSync(join(dir, "data", "sim-cabinet.json"))).toBe(false);
    expect(existsSync(join(dir, "data", "appliance.db"))).toBe(false);
  });

  it("refuses to listen on a non-loopback address unless http.allowRemote is set", async () => {
    const dir = tempDir();
    const standalone = {
      cabinet: { org_id: randomUUID(), lab_id: randomUUID(), cabinet_id: randomUUID() },
      credentialSecret: "a-secret-of-sixteen-chars",
    };
    const path = join(dir, "appliance.json");
    const port = await freePort();
    writeFileSync(
      path,
      JSON.stringify({
        ...standalone,
        dataDir: join(dir, "data"),
        http: { host: "0.0.0.0", port },
        hardware: { mode: "sim" },
      }),
    );
    const r = await lilo(["appliance", "run", "--config", path]);
    expect(r.code).toBe(78);
    expect(r.stderr).toContain("http.host: must be a loopback address");
    expect(existsSync(join(dir, "data", "appliance.db"))).toBe(false);
  });
});
