// MQTT test helpers: a private Mosquitto with dynamic security, a fixed-table device authenticator,
// and a sink that records what the cloud's gateway delivers.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { MosquittoProvisioner, type ServiceAccountOptions } from "../../cloud/mqtt/mosquitto.js";
import type { FleetSink } from "../../cloud/mqtt/mqtt-gateway.service.js";
import type { BrokerDevice, DeviceAuthenticator } from "../../cloud/mqtt/provisioning.js";
import type { CertificatePair } from "../../cloud/mqtt/self-signed-cert.js";
import { silentLogger } from "../../shared/logger.js";
import type { AckMessage, EventMessage, PresenceStatus, TelemetryMessage } from "../../shared/mqtt/topics.js";
import { freePort } from "./free-port.js";
import { waitFor } from "./wait-for.js";

const run = promisify(execFile);

export const MOSQUITTO_BIN = process.env.MOSQUITTO_BIN ?? "/usr/sbin/mosquitto";
const PLUGIN_CANDIDATES = [
  "/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so",
  "/usr/lib/aarch64-linux-gnu/mosquitto_dynamic_security.so",
  "/usr/lib/mosquitto_dynamic_security.so",
  "/usr/local/lib/mosquitto_dynamic_security.so",
];
export const DYNSEC_PLUGIN =
  process.env.MOSQUITTO_DYNSEC_PLUGIN ??
  PLUGIN_CANDIDATES.find((p) => existsSync(p)) ??
  PLUGIN_CANDIDATES[0]!;

/**
 * Whether the Mosquitto tests can run. LILO_REQUIRE_MOSQUITTO=1 (CI) turns a missing broker into a
 * failure instead of a skip.
 */
export function mosquittoAvailable(): boolean {
  return (
    process.env.LILO_REQUIRE_MOSQUITTO === "1" || (existsSync(MOSQUITTO_BIN) && existsSync(DYNSEC_PLUGIN))
  );
}

/** Resolves once something accepts TCP connections on 127.0.0.1:`port`. */
function listening(port: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const socket = createConnection({ host: "127.0.0.1", port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

export interface PrivateMosquitto {
  port: number;
  url: string;
  /** mqtts://127.0.0.1:<port> when started with a certificate. */
  tlsUrl?: string;
  adminUser: string;
  adminPassword: string;
  /** SIGKILL and start again on the same port (dynsec.json survives; sessions and retained do not). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** A provisioner logged in as the broker's dynsec admin (not yet started). */
export function dynsecAdmin(mosquitto: PrivateMosquitto): MosquittoProvisioner {
  return new MosquittoProvisioner({
    url: mosquitto.url,
    username: mosquitto.adminUser,
    password: mosquitto.adminPassword,
    logger: silentLogger,
  });
}

/** Creates the cloud's account with the dynsec admin, as `lilo cloud mqtt-setup` does. */
export async function setUpServiceAccount(
  mosquitto: PrivateMosquitto,
  account: ServiceAccountOptions,
): Promise<void> {
  const admin = dynsecAdmin(mosquitto);
  await admin.start();
  await admin.ensureServiceAccount(account);
  await admin.stop();
}

/** A private Mosquitto with dynsec; with `tls`, also a TLS listener presenting that certificate. */
export async function startMosquitto(opts: { tls?: CertificatePair } = {}): Promise<PrivateMosquitto> {
  const dir = await mkdtemp(join(tmpdir(), "lilo-mosquitto-"));
  const adminPassword = `admin-${Math.random().toString(36).slice(2)}`;
  await run("mosquitto_ctrl", ["dynsec", "init", join(dir, "dynsec.json"), "admin", adminPassword]);
  const port = await freePort();
  const tlsPort = opts.tls ? await freePort() : undefined;
  if (opts.tls) {
    await writeFile(join(dir, "cert.pem"), opts.tls.cert);
    await writeFile(join(dir, "key.pem"), opts.tls.key, { mode: 0o600 });
  }
  const config = [
    `listener ${port} 127.0.0.1`,
    ...(tlsPort
      ? [
          `listener ${tlsPort} 127.0.0.1`,
          `certfile ${join(dir, "cert.pem")}`,
          `keyfile ${join(dir, "key.pem")}`,
        ]
      : []),
    "allow_anonymous false",
    `plugin ${DYNSEC_PLUGIN}`,
    `plugin_opt_config_file ${join(dir, "dynsec.json")}`,
    "persistence false",
    // As root, Mosquitto would drop to the mosquitto user and lose write access to the temp dir.
    ...(process.getuid?.() === 0 ? ["user root"] : []),
    "log_dest stderr",
    "log_type error",
    "log_type warning",
  ].join("\n");
  const configPath = join(dir, "mosquitto.conf");
  await writeFile(configPath, `${config}\n`);

  let child: ChildProcess | undefined;
  let stderr = "";
  const launch = async () => {
    const proc = spawn(MOSQUITTO_BIN, ["-c", configPath], { stdio: ["ignore", "ignore", "pipe"] });
    proc.stderr?.on("data", (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    child = proc;
    try {
      for (const p of tlsPort ? [port, tlsPort] : [port]) {
        await waitFor(() => listening(p), { what: `mosquitto on 127.0.0.1:${p}`, timeoutMs: 5000 });
      }
    } catch (err) {
      proc.kill("SIGKILL");
      throw new Error(`mosquitto did not start: ${(err as Error).message}\n${stderr}`);
    }
  };
  const kill = async () => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise((r) => proc.once("exit", r));
    proc.kill("SIGKILL");
    await exited;
  };
  await launch();
  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    tlsUrl: tlsPort ? `mqtts://127.0.0.1:${tlsPort}` : undefined,
    adminUser: "admin",
    adminPassword,
    restart: async () => {
      await kill();
      await launch();
    },
    stop: async () => {
      await kill();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export class StaticAuthenticator implements DeviceAuthenticator {
  constructor(private readonly devices: Map<string, { identity: BrokerDevice; token: string }>) {}

  async verify(username: string, password: string): Promise<BrokerDevice | null> {
    const d = this.devices.get(username);
    return d && d.token === password ? d.identity : null;
  }
}

export type Recorded =
  | { kind: "presence"; thing: string; status: PresenceStatus; at: string }
  | { kind: "telemetry"; thing: string; metrics: TelemetryMessage }
  | { kind: "event"; thing: string; event: EventMessage }
  | { kind: "ack"; thing: string; ack: AckMessage };

export class RecordingSink implements FleetSink {
  readonly records: Recorded[] = [];

  presence(thing: string, status: PresenceStatus, at: string): void {
    this.push({ kind: "presence", thing, status, at });
  }
  /** The cloud's receive time of each telemetry report, in order. */
  readonly receivedAt: Date[] = [];

  telemetry(thing: string, metrics: TelemetryMessage, receivedAt: Date): void {
    this.receivedAt.push(receivedAt);
    this.push({ kind: "telemetry", thing, metrics });
  }
  event(thing: string, event: EventMessage): void {
    this.push({ kind: "event", thing, event });
  }
  ack(thing: string, ack: AckMessage): void {
    this.push({ kind: "ack", thing, ack });
  }

  /** Resolves with the first record (already received or future) that matches. */
  waitForRecord<R extends Recorded>(match: (r: Recorded) => r is R, timeoutMs?: number): Promise<R>;
  waitForRecord(match: (r: Recorded) => boolean, timeoutMs?: number): Promise<Recorded>;
  waitForRecord(match: (r: Recorded) => boolean, timeoutMs = 5000): Promise<Recorded> {
    return waitFor(() => this.records.find(match), {
      what: "a matching record",
      timeoutMs,
      intervalMs: 10,
      context: () => `got ${JSON.stringify(this.records)}`,
    });
  }

  clear(): void {
    this.records.length = 0;
  }

  private push(r: Recorded): void {
    this.records.push(r);
  }
}
