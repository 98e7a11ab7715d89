// The composition root of the cabinet controller: reads config, opens the database, builds drivers,
// services and listeners, wires them, and owns start and stop order. Nothing else constructs a driver,
// and nothing here reacts to anything: each behaviour is a listener (`*.listener.ts`).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createLabelDecoder, type LabelDecoder } from "@lilo/vision";
import { eq } from "drizzle-orm";
import sharp from "sharp";
import type { Logger } from "../shared/logger.js";
import { fromRoot } from "../shared/paths.js";
import type { ServiceNotifier } from "../shared/systemd/sd-notify.js";
import { AuthService, type CabinetScope, type Credential } from "./auth/auth.service.js";
import type { ApplianceConfig } from "./config.js";
import { ControlledRepository } from "./controlled/controlled.repository.js";
import { ControlledSubstanceService } from "./controlled/controlled-substance.service.js";
import { type LocalDatabase, openLocalDatabase } from "./db/local-database.js";
import { cabinets } from "./db/schema.js";
import { EventBus, ListenerGroup } from "./event-bus.js";
import type { ShelfRenderFn } from "./hardware/camera.sim.js";
import { createHardware, type Hardware } from "./hardware/hardware-factory.js";
import { installLockSafetyHandlers } from "./hardware/lock-safety.js";
import { SimCabinet } from "./hardware/sim-cabinet.js";
import { HttpServer } from "./http.server.js";
import { KioskService } from "./kiosk-api/kiosk.service.js";
import { KioskLiveListener } from "./kiosk-api/kiosk-live.listener.js";
import { KioskViewRepository } from "./kiosk-api/kiosk-view.repository.js";
import { CloudClock } from "./mqtt/cloud-clock.js";
import { CommandListener } from "./mqtt/command.listener.js";
import { CommandGuard } from "./mqtt/command-guard.js";
import { CommandNonceRepository } from "./mqtt/command-nonce.repository.js";
import { DeviceLink } from "./mqtt/device-link.service.js";
import { LiveEventsListener } from "./mqtt/live-events.listener.js";
import { processMemory } from "./process-memory.js";
import { firmwareVersion } from "./release.js";
import { AlertRepository } from "./safety/alert.repository.js";
import { SafetyAfterScanListener } from "./safety/safety-after-scan.listener.js";
import { SafetyCheckService } from "./safety/safety-check.service.js";
import type { SpillDetector } from "./safety/spill-detector.js";
import { OnnxSpillDetector } from "./safety/spill-detector.onnx.js";
import { decoderWorkers } from "./scan/decoder-workers.js";
import { EvidenceStore } from "./scan/evidence.store.js";
import { EvidenceRetentionListener } from "./scan/evidence-retention.listener.js";
import { InventoryRepository } from "./scan/inventory.repository.js";
import { ScanService } from "./scan/scan.service.js";
import { ScanAfterSessionListener } from "./scan/scan-after-session.listener.js";
import { ScanResultRepository } from "./scan/scan-result.repository.js";
import { ScheduledScanListener } from "./scan/scheduled-scan.listener.js";
import { BadgeListener } from "./session/badge.listener.js";
import { type AccessOutcome, SessionService } from "./session/session.service.js";
import { CloudClient } from "./sync/cloud-client.js";
import type { DeviceIdentityFile } from "./sync/device-identity.js";
import { DeviceProvisioning } from "./sync/provisioning.js";
import { SyncService, storedCommandKey, storedSecret } from "./sync/sync.service.js";
import { UploadAfterScanListener } from "./sync/upload-after-scan.listener.js";
import { assertSecureUrl } from "./sync/url-policy.js";

/** Loaded with the first frame it draws, so a cabinet whose cameras are real or recorded never holds it. */
const renderShelf: ShelfRenderFn = async (shelf) =>
  (await import("./sim/shelf-renderer.js")).renderShelf(shelf);

export interface ApplianceOptions {
  logger: Logger;
  /** Install process-wide crash handlers that drive the lock to its safe state (production: yes). */
  installCrashHandlers?: boolean;
  /** systemd's Type=notify protocol: ready once the database, the GPIO lines and HTTP are up. */
  notifier?: ServiceNotifier;
}

export class Appliance {
  private local?: LocalDatabase;
  private hardware?: Hardware;
  private session?: SessionService;
  private decoder?: LabelDecoder;
  private sync?: SyncService;
  private link?: DeviceLink;
  private http?: HttpServer;
  private uninstallCrashHandlers?: () => void;
  private badges?: BadgeListener;
  private sessionScans?: ScanAfterSessionListener;
  private hazards?: SpillDetector;
  /** Badge, post-session scan and upload: in place before the session starts. */
  private readonly sessionListeners = new ListenerGroup();
  private readonly scheduleListeners = new ListenerGroup();
  private readonly liveListeners = new ListenerGroup();
  /** The touchscreen's: in place before the HTTP server serves it. */
  private readonly kioskListeners = new ListenerGroup();
  private stopped = false;
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
    const { config, opts, bus } = this;
    const log = (component: string) => opts.logger.child({ component });
    // libvips keeps its last 100 operations, their images with them; a scan never repeats one, and
    // the cache kept the resident memory growing from scan 5 to scan 20 (bench/NOTEBOOK.md).
    sharp.cache(false);
    opts.notifier?.starting();

    const local = openLocalDatabase(join(config.dataDir, "appliance.db"));
    this.local = local;
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

    const MIB = 1024 * 1024;
    const evidence = new EvidenceStore(join(config.dataDir, "scans"), {
      quotaBytes: config.scan.evidenceQuotaMB * MIB,
      hardCapBytes: config.scan.evidenceHardCapMB * MIB,
    });
    const cloud = this.cloud(local, evidence);
    if (cloud) {
      this.sync = cloud.sync;
      await cloud.provisioning.start();
      this.device = cloud.provisioning.identity;
      await cloud.sync.refresh();
    }
    const { scope, secret } = this.identity(local);
    this.scope = scope;

    const cabinetRow = local.db
      .select()
      .from(cabinets)
      .where(eq(cabinets.cabinet_id, scope.cabinet_id))
      .get();
    const alerts = new AlertRepository(scope.cabinet_id);
    const controlled = new ControlledSubstanceService({
      scope,
      repo: new ControlledRepository(scope.cabinet_id),
      alerts,
    });
    const session = new SessionService({
      local,
      auth: new AuthService(local.db, scope, secret, config.access),
      scope,
      door,
      lock,
      bus,
      config: {
        requiresDualApproval: cabinetRow?.requires_dual_approval ?? false,
        dualApprovalWindowMs: config.session.dualApprovalWindowMs,
      },
      holdsControlled: () => controlled.holdsControlled(local.db),
      logger: log("session"),
    });
    this.session = session;
    this.decoder = createLabelDecoder({ workers: decoderWorkers(config.scan.decoderWorkers) });
    const results = new ScanResultRepository(scope.cabinet_id);
    const evidenceDir = join(config.dataDir, "scans");
    // A model that cannot load must not keep the cabinet from opening and counting: log it loudly.
    this.hazards = config.safety.detect
      ? await OnnxSpillDetector.load({
          thresholds: { spill: config.safety.spillThreshold, breakage: config.safety.breakageThreshold },
          threads: config.safety.threads,
        }).catch((err: unknown) => {
          log("safety").error({ err }, "spill detection off: the model cannot be loaded");
          return undefined;
        })
      : undefined;
    const scans = new ScanService({
      local,
      cameras,
      scope,
      decoder: this.decoder,
      inventory: new InventoryRepository(scope),
      results,
      evidence,
      logger: log("scan"),
      frames: { framesPerScan: config.scan.framesPerScan, exposureEv: config.scan.exposureEv },
      hazards: this.hazards,
      bus,
      controlled,
    });
    this.sessionScans = config.scan.afterSession
      ? new ScanAfterSessionListener({ bus, scans, logger: log("scan") })
      : undefined;
    this.badges = new BadgeListener({ badge, access: (c) => this.access(c), logger: log("session") });
    const checks = new SafetyCheckService({
      local,
      scope,
      alerts,
      thresholds: { spill: config.safety.spillThreshold, breakage: config.safety.breakageThreshold },
    });
    this.sessionListeners.start(
      this.badges,
      new SafetyAfterScanListener({ bus, checks, logger: log("safety") }),
      this.sessionScans,
      new EvidenceRetentionListener({ bus, local, evidence, logger: log("scan") }),
      this.sync && new UploadAfterScanListener({ bus, sync: this.sync }),
    );
    // After the listeners: starting may resume an interrupted session, whose scan must not be missed.
    await session.start();
    this.scheduleListeners.start(
      config.scan.intervalMinutes > 0
        ? new ScheduledScanListener({
            scans,
            session,
            intervalMinutes: config.scan.intervalMinutes,
            logger: log("scan"),
          })
        : undefined,
    );
    const views = new KioskViewRepository(local, scope, results);
    const kiosk = new KioskService({
      local,
      scope,
      session,
      door,
      lock,
      scans,
      bus,
      views,
      shelves: cameras.flatMap((c) => c.shelves.map((s) => s.shelf)).sort((a, b) => a - b),
      autoRelockMs: config.hardware.lock.autoRelockMs,
      sync: this.sync,
      logger: log("kiosk"),
    });
    const live = new KioskLiveListener({ bus, door, lock, syncState: () => kiosk.syncState() });
    this.kioskListeners.start(kiosk, live);
    const sim = this.sim;
    this.http = new HttpServer({
      host: config.http.host,
      port: config.http.port,
      dataDir: config.dataDir,
      logger: opts.logger,
      api: { access: (c) => this.access(c), scans, status: () => this.status() },
      kiosk: { kiosk, views, live, evidenceDir, pageDir: fromRoot("appliance/kiosk/dist") },
      sim: sim && {
        cabinet: sim,
        render: renderShelf,
        swipe: async (b) => {
          sim.swipeBadge(b);
          return this.accessSettled();
        },
      },
    });
    await this.http.start();
    this.url = this.http.url;
    opts.notifier?.ready(`serving ${this.url}`);
    await this.sync?.start();

    this.link = this.liveChannel(local);
    if (this.link) {
      this.liveListeners.start(
        new CommandListener({ link: this.link, bus, scans, session, sync: this.sync! }),
        new LiveEventsListener({ bus, link: this.link }),
      );
      await this.link.start();
    }
  }

  /** With a cloud configured: this cabinet's claim and its sync, over one cloud client. */
  private cloud(
    local: LocalDatabase,
    evidence: EvidenceStore,
  ): { provisioning: DeviceProvisioning; sync: SyncService } | undefined {
    const { config, opts } = this;
    if (!config.cloud) return undefined;
    // Before the first request: the claim token and the device credential travel on this URL.
    assertSecureUrl(config.cloud.url, "cloud.url", config.cloud.allowInsecure);
    const client = new CloudClient(config.cloud.url);
    const onCloudTime = (iso: string) => this.cloudClock.observe(iso);
    const sync = new SyncService({
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
      evidence,
    });
    const provisioning = new DeviceProvisioning({
      client,
      options: {
        cloudUrl: config.cloud.url,
        claimToken: config.cloud.claimToken,
        claimTokenFile: config.cloud.claimTokenFile,
        serialNumber: config.cloud.serialNumber,
        firmwareVersion: firmwareVersion(),
        identityPath: join(config.dataDir, "device.json"),
        maxBackoffMs: config.cloud.maxBackoffMs,
        signal: this.abort.signal,
        onCloudTime,
      },
      logger: opts.logger.child({ component: "provisioning" }),
    });
    return { provisioning, sync };
  }

  /** Where this cabinet sits and its badge key: from its cloud identity, or the config without a cloud. */
  private identity(local: LocalDatabase): { scope: CabinetScope; secret: () => string } {
    const { config, device } = this;
    if (!device) return { scope: config.cabinet!, secret: () => config.credentialSecret! };
    return {
      scope: {
        org_id: device.org_id,
        dept_id: device.dept_id,
        lab_id: device.lab_id,
        cabinet_id: device.cabinet_id,
      },
      // The downlink may have rotated the key since the claim.
      secret: () => storedSecret(local.db) ?? device.credential_secret,
    };
  }

  /**
   * MQTT to the cloud: presence, telemetry, live events out; scan/sync/unlock commands in. A command runs
   * only when signed by the organization's key for this cabinet, issued within ±5 min of the cloud's
   * time, and never seen before (the ids survive restarts).
   */
  private liveChannel(local: LocalDatabase): DeviceLink | undefined {
    const { device, config, opts } = this;
    const cloud = config.cloud;
    if (!device?.mqtt_url || !cloud) return undefined;
    try {
      // The MQTT password is this cabinet's cloud credential: never send it in the clear.
      assertSecureUrl(device.mqtt_url, "the cloud's MQTT broker", cloud.allowInsecure);
    } catch (err) {
      opts.logger
        .child({ component: "device-link" })
        .error({ err: (err as Error).message }, "live channel not started");
      return undefined;
    }
    return new DeviceLink({
      url: device.mqtt_url,
      thingName: device.thing_name,
      token: device.credential,
      dataDir: config.dataDir,
      logger: opts.logger,
      guard: new CommandGuard({
        thing: device.thing_name,
        publicKey: () => storedCommandKey(local.db) ?? device.command_key,
        clock: this.cloudClock,
        nonces: new CommandNonceRepository(local.sqlite),
      }),
      mqttOptions: cloud.mqttCaFile ? { ca: readFileSync(cloud.mqttCaFile) } : undefined,
    });
  }

  /** A badge or PIN at the cabinet, decided once the previous session's scan is done. */
  private async access(credential: Credential): Promise<AccessOutcome> {
    await this.sessionScans?.settled();
    return this.session!.requestAccess(credential);
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
    return this.badges?.settled() ?? Promise.resolve();
  }

  get database(): LocalDatabase {
    if (!this.local) throw new Error("appliance not started");
    return this.local;
  }

  get events(): EventBus {
    return this.bus;
  }

  /**
   * Reverse order of start; the lock ends in its safe state, and the crash handlers that guarantee it
   * stay installed until the hardware has stopped.
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.opts.notifier?.stopping();
    this.abort.abort();
    await this.link?.stop();
    this.liveListeners.stop();
    await this.sync?.stop();
    await this.http?.stop();
    this.kioskListeners.stop();
    this.scheduleListeners.stop();
    await this.session?.stop();
    this.sessionListeners.stop();
    await this.hardware?.stop();
    // After the session: a closing scan finishes its decodes before the workers go.
    await this.decoder?.close();
    await this.hazards?.close();
    this.uninstallCrashHandlers?.();
    this.local?.close();
  }
}
