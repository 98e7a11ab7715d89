// The composition root of the cloud service: config, database, migrations, the HTTP app and the
// retention job; owns start and stop order. Stateless: any number of instances can share one database.
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { bodyLimit } from "../shared/http/body-limit.js";
import { errorHandler } from "../shared/http/errors.js";
import type { Logger } from "../shared/logger.js";
import { AccountService } from "./accounts/account.service.js";
import { PasswordHasher } from "./accounts/password.js";
import { alertRoutes } from "./alerts/alert.routes.js";
import { AlertService } from "./alerts/alert.service.js";
import { AlertNotifier } from "./alerts/alert-notifier.service.js";
import { AlertScheduler } from "./alerts/alert-scheduler.js";
import { EmailChannel } from "./alerts/notification-channels.js";
import { authRoutes } from "./api/auth.routes.js";
import { dashboardRoutes } from "./api/dashboard.routes.js";
import { deviceRoutes } from "./api/devices.routes.js";
import { labelRoutes } from "./api/labels.routes.js";
import { MAX_BODY_BYTES } from "./api/request-body.js";
import { reportRoutes } from "./api/v1/reports/reports.routes.js";
import { retentionRoutes } from "./api/v1/retention/retention.routes.js";
import { v1Routers } from "./api/v1/routers.js";
import { signatureRoutes } from "./api/v1/signatures/signatures.routes.js";
import { createV1App } from "./api/v1/v1.app.js";
import { ApiKeyService } from "./apikeys/api-key.service.js";
import { AccessService } from "./authz/access.service.js";
import { authenticateCaller, callerAuth } from "./authz/caller.middleware.js";
import { createBlobStore } from "./blobs/blob-store.factory.js";
import type { CloudConfig } from "./config.js";
import { connectDatabase, type Database, serviceLoginWarning } from "./db/database.js";
import { migrateAll } from "./db/migrator.js";
import { ProvisioningService } from "./devices/provisioning.service.js";
import { evidenceDeviceRoutes, evidenceRoutes } from "./evidence/evidence.routes.js";
import { EvidenceService } from "./evidence/evidence.service.js";
import { CommandKeyService } from "./fleet/command-key.service.js";
import { FleetService } from "./fleet/fleet.service.js";
import { LiveChannel } from "./fleet/live-channel.js";
import { LabelService } from "./labels/label.service.js";
import { liveRoutes } from "./live/live.routes.js";
import { LiveHub } from "./live/live-hub.js";
import { CabinetService } from "./orgs/cabinet.service.js";
import { ReportService } from "./reports/report.service.js";
import { ReportMailer } from "./reports/report-mailer.js";
import { ReportScheduler } from "./reports/report-scheduler.js";
import { RetentionService } from "./retention/retention.service.js";
import { RetentionScheduler } from "./retention/retention-scheduler.js";
import { RateLimitRepository } from "./security/rate-limit.repository.js";
import { RateLimitService, rateRules } from "./security/rate-limit.service.js";
import { SignatureService } from "./signatures/signature.service.js";
import { DownlinkService } from "./sync/downlink.service.js";
import { IngestService } from "./sync/ingest.service.js";

const RETENTION_EVERY_MS = 60 * 60_000;
/** How soon a credential revoked by the CLI or another instance loses its live session on this one. */
const REVOCATION_SWEEP_MS = 2_000;

export class Cloud {
  private database?: Database;
  private server?: ReturnType<typeof serve>;
  private retentionJobs?: RetentionScheduler;
  private sweepTimer?: NodeJS.Timeout;
  private provisioning?: ProvisioningService;
  private live?: LiveChannel;
  private alertJobs?: AlertScheduler;
  private email?: EmailChannel;
  private reportMailer?: ReportMailer;
  private reportJobs?: ReportScheduler;
  private hub?: LiveHub;
  fleet?: FleetService;
  url = "";

  constructor(
    readonly config: CloudConfig,
    private readonly logger: Logger,
  ) {}

  get db(): Database {
    if (!this.database) throw new Error("cloud not started");
    return this.database;
  }

  async start(): Promise<void> {
    const { config, logger } = this;
    this.database = await connectDatabase({
      databaseUrl: config.databaseUrl,
      ownerUrl: config.databaseOwnerUrl,
      dataDir: config.dataDir,
    });
    const unsafe = serviceLoginWarning(this.database);
    if (unsafe) logger.warn({ login: this.database.serviceLogin.name }, unsafe);
    for (const r of await migrateAll(this.database)) {
      if (r.applied.length) logger.info({ schema: r.schema, applied: r.applied }, "migrated");
    }
    const blobs = createBlobStore(config);
    const retention = new RetentionService(this.database, blobs, config.retentionDays);

    const app = new Hono();
    app.onError(errorHandler(logger.child({ component: "http" })));
    // A backstop for every route: no handler reads more than the largest upload; routes set smaller limits.
    app.use("*", bodyLimit(MAX_BODY_BYTES));
    app.get("/health", (c) => c.json({ ok: true, database: this.database?.kind }));
    const limits = new RateLimitService(new RateLimitRepository(this.database));
    this.retentionJobs = new RetentionScheduler({
      database: this.database,
      retention,
      logger: logger.child({ component: "retention" }),
      everyMs: RETENTION_EVERY_MS,
      alsoPrune: () => limits.prune(),
    });
    await this.retentionJobs.start();
    const rules = rateRules(config.rateLimits);
    const accounts = new AccountService(this.database, {
      hasher: new PasswordHasher(config.passwordHashing),
      limits,
      lockout: rules.loginFailures,
    });
    const commandKeys = new CommandKeyService(this.database, config.commandKeySecret);
    const ingest = new IngestService(this.database);
    const alertLog = logger.child({ component: "alerts" });
    if (config.alerts.smtpUrl) this.email = new EmailChannel(config.alerts.smtpUrl, config.alerts.smtpFrom);
    else alertLog.warn("LILO_SMTP_URL is not set: alerts are not sent by e-mail");
    const notifier = new AlertNotifier({ database: this.database, logger: alertLog, email: this.email });
    const alerts = new AlertService({ database: this.database, ingest, notifier });
    this.fleet = new FleetService(
      this.database,
      logger.child({ component: "fleet" }),
      commandKeys,
      (device, alert) => alerts.raiseFromCabinet(device, alert),
    );
    this.live = new LiveChannel(config.mqtt, {
      provisioning: () => this.provisioning!,
      fleet: this.fleet,
      logger: logger.child({ component: "mqtt" }),
    });
    this.provisioning = new ProvisioningService(
      this.database,
      this.live.credentialListener,
      () => this.live!.deviceUrl,
      commandKeys,
    );
    await this.live.start();
    this.hub = new LiveHub(this.database, logger.child({ component: "live" }));
    await this.hub.start();
    this.sweepTimer = setInterval(() => void this.sweepRevocations(), REVOCATION_SWEEP_MS);
    this.sweepTimer.unref();
    const labels = new LabelService(this.database);
    const evidence = new EvidenceService(this.database, blobs);
    const api = new Hono()
      .route(
        "/",
        deviceRoutes({
          limits,
          rules,
          provisioning: this.provisioning,
          ingest,
          downlink: new DownlinkService(this.database, commandKeys),
        }),
      )
      .route("/", authRoutes({ accounts, limits, rules }))
      .route("/", labelRoutes({ accounts, labels }))
      .route(
        "/",
        evidenceDeviceRoutes({
          provisioning: this.provisioning,
          evidence,
          maxBytes: config.evidenceMaxBytes,
        }),
      );
    app.route("/api/v1", api);
    const apiKeys = new ApiKeyService(this.database, limits);
    const access = new AccessService(this.database);
    if (config.alerts.smtpUrl) {
      this.reportMailer = new ReportMailer(config.alerts.smtpUrl, config.alerts.smtpFrom);
    }
    const reportLog = logger.child({ component: "reports" });
    const reports = new ReportService({
      database: this.database,
      access,
      mailer: this.reportMailer,
      logger: reportLog,
    });
    app.route(
      "/",
      createV1App({
        caller: callerAuth({ accounts, apiKeys }),
        routers: [
          ...v1Routers({
            database: this.database,
            access,
            apiKeys,
            labels,
            accounts,
            provisioning: this.provisioning,
            fleet: this.fleet,
          }),
          signatureRoutes({ access, signatures: new SignatureService(this.database, accounts) }),
          retentionRoutes({ access, retention }),
          alertRoutes({ access, alerts }),
          evidenceRoutes({ access, evidence }),
          reportRoutes({ access, reports }),
          liveRoutes({
            access,
            hub: this.hub,
            heartbeatMs: config.liveHeartbeatMs,
            authenticate: (token) => authenticateCaller({ accounts, apiKeys }, token),
          }),
        ],
      }),
    );
    this.alertJobs = new AlertScheduler({
      database: this.database,
      alerts,
      notifier,
      logger: alertLog,
      sweepSeconds: config.alerts.sweepSeconds,
      rulesEveryHours: config.alerts.rulesEveryHours,
    });
    this.alertJobs.start();
    this.reportJobs = new ReportScheduler({
      database: this.database,
      reports,
      logger: reportLog,
      sweepSeconds: config.reports.sweepSeconds,
    });
    this.reportJobs.start();
    app.route("/", dashboardRoutes());
    await new Promise<void>((resolve) => {
      this.server = serve({ fetch: app.fetch, hostname: "0.0.0.0", port: config.port }, (info) => {
        this.url = `http://127.0.0.1:${info.port}`;
        logger.info({ url: this.url, database: this.database?.kind }, "cloud listening");
        resolve();
      });
    });
  }

  private async sweepRevocations(): Promise<void> {
    try {
      const closed = await this.provisioning?.sweepRevocations();
      if (closed) this.logger.info({ devices: closed }, "closed live sessions of revoked credentials");
    } catch (err) {
      this.logger.error({ err }, "revocation sweep failed");
    }
  }

  async stop(): Promise<void> {
    await this.retentionJobs?.stop();
    clearInterval(this.sweepTimer);
    this.alertJobs?.stop();
    await this.reportJobs?.stop();
    // Live streams end first: the HTTP server waits for open connections before it closes.
    await this.hub?.stop();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    await this.live?.stop();
    this.email?.close();
    this.reportMailer?.close();
    await this.database?.close();
  }
}
