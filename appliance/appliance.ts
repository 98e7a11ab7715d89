// The composition root of the cabinet controller: reads config, opens the database, builds drivers and
// services, wires them, and owns start and stop order. Nothing else constructs a driver.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { serve } from "@hono/node-server";
import { eq } from "drizzle-orm";
import { Hono } from "hono";
import sharp from "sharp";
import { bodyLimit, MAX_FORM_BODY_BYTES } from "../shared/http/body-limit.js";
import { errorHandler } from "../shared/http/errors.js";
import type { Logger } from "../shared/logger.js";
import { apiRoutes } from "./api.routes.js";
import { AuthService, type CabinetScope, type Credential } from "./auth/auth.service.js";
import type { ApplianceConfig } from "./config.js";
import { type LocalDatabase, openLocalDatabase } from "./db/local-database.js";
import { cabinets } from "./db/schema.js";
import { EventBus } from "./event-bus.js";
import type { ShelfRenderFn } from "./hardware/camera.sim.js";
import { createHardware, type Hardware } from "./hardware/hardware-factory.js";
import { installLockSafetyHandlers } from "./hardware/lock-safety.js";
import { SimCabinet } from "./hardware/sim-cabinet.js";
import { issueKioskKey, type KioskKey } from "./kiosk-guard.middleware.js";
import { CloudClock } from "./mqtt/cloud-clock.js";
import { CommandGuard } from "./mqtt/command-guard.js";
import { CommandNonceRepository } from "./mqtt/command-nonce.repository.js";
import { DeviceLink } from "./mqtt/device-link.service.js";
import { processMemory } from "./process-memory.js";
import { ScanService } from "./scan/scan.service.js";
import { type AccessOutcome, SessionService } from "./session/session.service.js";
import { simRoutes } from "./sim/sim.routes.js";
import { CloudClient } from "./sync/cloud-client.js";
import type { DeviceIdentityFile } from "./sync/device-identity.js";
import { boardSerial, ensureProvisioned } from "./sync/provisioning.js";
import { SyncService, storedCommandKey, storedSecret } from "./sync/sync.service.js";
import { assertSecureUrl } from "./sync/url-policy.js";

export const FIRMWARE_VERSION = "0.1.0";

/** Loaded with the first frame it draws, so a cabinet whose cameras are real or recorded never holds it. */
const renderShelf: ShelfRenderFn = async (shelf) =>
  (await import("./sim/shelf-renderer.js")).renderShelf(shelf);

export interface ApplianceOptions {
  logger: Logger;
  /** Install process-wide crash handlers that drive the lock to its safe state (production: yes). */
  installCrashHandlers?: boolean;
}

export class Appliance {
  private local?: LocalDatabase;
  private hardware?: Hardware;
  private session?: SessionService;
  private scans?: ScanService;
  private server?: ReturnType<typeof serve>;
  private scanTimer?: NodeJS.Timeout;
  private uninstallCrashHandlers?: () => void;
  private lastAccess: Promise<unknown> = Promise.resolve();
  /** The scan that closes the last session; the next session waits for it, so shelves are not
   * photographed while someone else has the door open and takes are never pinned on the wrong person. */
  private sessionScan: Promise<unknown> = Promise.resolve();
  private stopped = false;
  private sync?: SyncService;
  private link?: DeviceLink;
  /** This start's key for the kiosk API (`<dataDir>/kiosk-key`). */
  private kioskKey?: KioskKey;
  /** The cloud's time, from the claim and every downlink: remote commands are checked against it. */
  private readonly cloudClock = new CloudClock();
  private readonly abort = new AbortController();
  /** Set once started: this cabinet's place in its organization. */
  scope?: CabinetScope;
  device?: DeviceIdentityFile;
  private readonly bus: EventBus;
  readonly sim?: SimCabinet;
  url = "";

  constructor(
    readonly config: ApplianceConfig,
    private readonly opts: ApplianceOptions,
  ) {
    this.bus = new EventBus(opts.logger.child({ component: "bus" }));
    if (config.hardware.mode === "sim") {
      const shelves =
        config.hardware.sim.shelves ?? config.hardware.cameras.flatMap((c) => c.shelves.map((s) => s.shelf));
      this.sim = SimCabinet.load(config.hardware.sim.statePath ?? join(config.dataDir, "sim-cabinet.json"), {
        shelves,
        logger: opts.logger.child({ component: "sim" }),
      });
    }
  }

  async start(): Promise<void> {
    const { config, opts } = this;
    const log = (component: string) => opts.logger.child({ component });
    // libvips keeps its last 100 operations, their images with them; a scan never repeats one, and
    // the cache kept the resident memory growing from scan 5 to scan 20 (bench/NOTEBOOK.md).
    sharp.cache(false);

    this.local = openLocalDatabase(join(config.dataDir, "appliance.db"));
    // Hardware before any network I/O: claiming and the first downlink can take minutes offline, and
    // until the lock has started a fail-safe cabinet's unpowered relay leaves the door open.
    this.hardware = createHardware(config.hardware, {
      logger: opts.logger,
      cabinet: this.sim,
      renderShelf,
    });
    const { door, lock, badge, cameras } = this.hardware;
    await this.hardware.start();
    if (opts.installCrashHandlers)
      this.uninstallCrashHandlers = installLockSafetyHandlers(lock, { logger: log("lock") });

    const { scope, secret } = await this.identity();
    this.scope = scope;
    const cabinetRow = this.local.db
      .select()
      .from(cabinets)
      .where(eq(cabinets.cabinet_id, scope.cabinet_id))
      .get();
    const auth = new AuthService(this.local.db, scope, secret, config.access);
    this.session = new SessionService({
      local: this.local,
      auth,
      scope,
      door,
      lock,
      bus: this.bus,
      config: {
        requiresDualApproval: cabinetRow?.requires_dual_approval ?? false,
        dualApprovalWindowMs: config.session.dualApprovalWindowMs,
      },
      logger: log("session"),
    });
    this.scans = new ScanService({
      local: this.local,
      cameras,
      scope,
      imagesDir: join(config.dataDir, "scans"),
      logger: log("scan"),
      frames: { framesPerScan: config.scan.framesPerScan, exposureEv: config.scan.exposureEv },
    });

    // The behaviours on top of the started hardware.
    const session = this.session;
    const scans = this.scans;
    badge.onBadge((b) => {
      this.lastAccess = this.access({ badge: b }).catch((err: unknown) =>
        log("session").error({ err }, "access failed"),
      );
    });
    if (config.scan.afterSession) {
      this.bus.on(this, "session.ended", (s) => {
        if (!s.opened) return;
        this.sessionScan = scans
          .scan({ trigger: "motion", session_id: s.session_id, user: s.user })
          .then((outcome) => {
            this.bus.emit("scan.completed", { scan_ids: outcome.scan_ids, session_id: s.session_id });
            this.sync?.kick();
          })
          .catch((err: unknown) =>
            log("scan").error({ err, session_id: s.session_id }, "post-session scan failed"),
          );
      });
    }
    // After the listeners: starting may resume an interrupted session, whose scan must not be missed.
    await session.start();
    if (config.scan.intervalMinutes > 0) {
      this.scanTimer = setInterval(() => {
        // A scheduled scan never runs while someone has the cabinet open.
        if (session.status().state === "idle")
          void scans.scan({ trigger: "scheduled" }).catch(() => undefined);
      }, config.scan.intervalMinutes * 60_000);
      this.scanTimer.unref();
    }
    await this.startHttp();
    await this.sync?.start();
    await this.startLiveChannel();
  }

  /**
   * MQTT to the cloud: presence, telemetry, live events out; scan/sync/unlock commands in. A command runs
   * only when signed by the organization's key for this cabinet, issued within ±5 min of the cloud's
   * time, and never seen before (the ids survive restarts).
   */
  private async startLiveChannel(): Promise<void> {
    const device = this.device;
    const cloud = this.config.cloud;
    if (!device?.mqtt_url || !cloud) return;
    const log = this.opts.logger.child({ component: "device-link" });
    try {
      // The MQTT password is this cabinet's cloud credential: never send it in the clear.
      assertSecureUrl(device.mqtt_url, "the cloud's MQTT broker", cloud.allowInsecure);
    } catch (err) {
      log.error({ err: (err as Error).message }, "live channel not started");
      return;
    }
    const local = this.local!;
    const link = new DeviceLink({
      url: device.mqtt_url,
      thingName: device.thing_name,
      token: device.credential,
      dataDir: this.config.dataDir,
      logger: this.opts.logger,
      guard: new CommandGuard({
        thing: device.thing_name,
        publicKey: () => storedCommandKey(local.db) ?? device.command_key,
        clock: this.cloudClock,
        nonces: new CommandNonceRepository(local.sqlite),
      }),
      mqttOptions: cloud.mqttCaFile ? { ca: readFileSync(cloud.mqttCaFile) } : undefined,
    });
    this.link = link;
    const session = this.session!;
    const scans = this.scans!;
    link.onCommand(async (cmd) => {
      switch (cmd.command) {
        case "scan_now": {
          const outcome = await scans.scan({ trigger: "api", triggered_by: cmd.issued_by });
          this.sync?.kick();
          return { status: "done", detail: `${outcome.scan_ids.length} shelves scanned` };
        }
        case "sync_now":
          this.sync?.kick();
          return { status: "done" };
        case "unlock": {
          const userId = typeof cmd.params?.user_id === "string" ? cmd.params.user_id : "";
          const r = await session.remoteUnlock(userId, cmd.issued_by, cmd.id, cmd.approved_by ?? []);
          return r.granted
            ? { status: "done", detail: `unlocked for ${r.user.display_name}` }
            : { status: "rejected", detail: r.reason };
        }
      }
    });
    this.bus.on(this, "cabinet.event", (e) => {
      link.publishEvent(e.action, { ...e });
    });
    await link.start();
  }

  /** Where this cabinet sits and its badge key: from the cloud (claiming it on first start) or the config. */
  private async identity(): Promise<{ scope: CabinetScope; secret: () => string }> {
    const { config, opts } = this;
    const local = this.local!;
    if (!config.cloud) return { scope: config.cabinet!, secret: () => config.credentialSecret! };
    // Before the first request: the claim token and the device credential travel on this URL.
    assertSecureUrl(config.cloud.url, "cloud.url", config.cloud.allowInsecure);
    const client = new CloudClient(config.cloud.url);
    const onCloudTime = (iso: string) => this.cloudClock.observe(iso);
    const identity = await ensureProvisioned(
      client,
      {
        cloudUrl: config.cloud.url,
        claimToken: config.cloud.claimToken,
        claimTokenFile: config.cloud.claimTokenFile,
        serialNumber: config.cloud.serialNumber ?? boardSerial(),
        firmwareVersion: FIRMWARE_VERSION,
        identityPath: join(config.dataDir, "device.json"),
        maxBackoffMs: config.cloud.maxBackoffMs,
        signal: this.abort.signal,
        onCloudTime,
      },
      opts.logger.child({ component: "provisioning" }),
    );
    this.device = identity;
    client.setToken(identity.credential);
    this.sync = new SyncService({
      local,
      client,
      options: {
        batchSize: config.cloud.uploadBatchSize,
        uploadIntervalMs: config.cloud.uploadIntervalMs,
        downlinkIntervalMs: config.cloud.downlinkIntervalMs,
        maxBackoffMs: config.cloud.maxBackoffMs,
      },
      logger: opts.logger.child({ component: "sync" }),
      onCloudTime,
    });
    // Offline at boot is normal: the cabinet works from what the last downlink left.
    await this.sync
      .pullDownlink()
      .catch((err: unknown) =>
        opts.logger.warn({ err: (err as Error).message }, "downlink at start failed; using the local copy"),
      );
    return {
      scope: {
        org_id: identity.org_id,
        dept_id: identity.dept_id,
        lab_id: identity.lab_id,
        cabinet_id: identity.cabinet_id,
      },
      secret: () => storedSecret(local.db) ?? identity.credential_secret,
    };
  }

  private async startHttp(): Promise<void> {
    const { config, opts } = this;
    const app = new Hono();
    app.onError(errorHandler(opts.logger.child({ component: "http" })));
    // Every body the kiosk and simulator APIs take is form-sized; nothing larger is read.
    app.use("*", bodyLimit(MAX_FORM_BODY_BYTES));
    const kioskKey = issueKioskKey(config.dataDir);
    this.kioskKey = kioskKey;
    app.route(
      "/api",
      apiRoutes({
        access: (c) => this.access(c),
        scans: this.scans!,
        status: () => this.status(),
        kiosk: { port: () => Number(new URL(this.url).port), key: () => kioskKey.value },
      }),
    );
    if (this.sim) {
      const sim = this.sim;
      app.route(
        "/sim",
        simRoutes({
          cabinet: sim,
          render: renderShelf,
          swipe: async (badge) => {
            sim.swipeBadge(badge);
            return this.lastAccess;
          },
        }),
      );
    }
    await new Promise<void>((resolve) => {
      this.server = serve(
        { fetch: app.fetch, hostname: config.http.host, port: config.http.port },
        (info) => {
          this.url = `http://${config.http.host}:${info.port}`;
          opts.logger.info({ url: this.url, sim: Boolean(this.sim) }, "appliance listening");
          resolve();
        },
      );
    });
  }

  /** A badge or PIN at the cabinet, decided once the previous session's scan is done. */
  private access(credential: Credential): Promise<AccessOutcome> {
    return this.sessionScan.catch(() => undefined).then(() => this.session!.requestAccess(credential));
  }

  status(): Record<string, unknown> {
    return {
      cabinet_id: this.scope?.cabinet_id,
      device: this.device && { device_id: this.device.device_id, thing_name: this.device.thing_name },
      sync: this.sync?.status(),
      door: this.hardware?.door.state(),
      lock: this.hardware?.lock.state(),
      session: this.session?.status(),
      memory: processMemory(),
    };
  }

  /** Waits for the last badge decision (tests and the simulator API). */
  accessSettled(): Promise<unknown> {
    return this.lastAccess;
  }

  get database(): LocalDatabase {
    if (!this.local) throw new Error("appliance not started");
    return this.local;
  }

  get events(): EventBus {
    return this.bus;
  }

  /** Reverse order of start; the lock ends in its safe state. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.abort.abort();
    clearInterval(this.scanTimer);
    await this.link?.stop();
    await this.sync?.stop();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.kioskKey?.discard();
    this.bus.removeOwner(this);
    await this.session?.stop();
    await this.hardware?.stop();
    this.uninstallCrashHandlers?.();
    this.local?.close();
  }
}
