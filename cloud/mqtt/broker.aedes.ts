// The cloud's embedded MQTT broker (used unless MQTT_URL points at an external one). Devices are
// authenticated by the injected DeviceAuthenticator and confined to their own topics; one cloud
// service account may use every topic.
import { createHash, timingSafeEqual } from "node:crypto";
import { createServer, type Server, type Socket } from "node:net";
import { Aedes, type AuthenticateError, type Client } from "aedes";
import type { Logger } from "../../shared/logger.js";
import { deviceMayPublish, deviceMaySubscribe, isValidThingName } from "../../shared/mqtt/topics.js";
import type { BrokerProvisioner, DeviceAuthenticator, DeviceIdentity } from "./provisioning.js";

export interface ServiceAccount {
  username: string;
  password: string;
}

export interface AedesBrokerOptions {
  authenticator: DeviceAuthenticator;
  /** The cloud's own account (the gateway); it may publish and subscribe to every topic. */
  service: ServiceAccount;
  logger: Logger;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 1883; 0 picks a free port, read it back from `port` after start(). */
  port?: number;
}

type Principal = { kind: "service" } | { kind: "device"; identity: DeviceIdentity };

// aedes declares these as a const enum, which cannot be imported under per-file transpilation.
const IDENTIFIER_REJECTED = 2;
const SERVER_UNAVAILABLE = 3;
const BAD_USERNAME_OR_PASSWORD = 4;

function authError(message: string, returnCode: number): AuthenticateError {
  return Object.assign(new Error(message), { returnCode }) as AuthenticateError;
}

function sameSecret(a: string, b: string): boolean {
  // Hashing first gives equal lengths, which timingSafeEqual needs, without leaking the length.
  const ha = createHash("sha256").update(a).digest();
  const hb = createHash("sha256").update(b).digest();
  return timingSafeEqual(ha, hb);
}

export class AedesBroker {
  private broker: Aedes | undefined;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly principals = new WeakMap<Client, Principal>();
  private readonly devices = new Map<string, Client>();
  private boundPort = 0;
  private readonly logger: Logger;

  constructor(private readonly opts: AedesBrokerOptions) {
    this.logger = opts.logger.child({ component: "mqtt-broker" });
  }

  get host(): string {
    return this.opts.host ?? "127.0.0.1";
  }

  /** The bound port; meaningful after start(). */
  get port(): number {
    return this.boundPort;
  }

  get url(): string {
    return `mqtt://${this.host}:${this.boundPort}`;
  }

  async start(): Promise<{ host: string; port: number }> {
    if (this.broker) throw new Error("broker already started");
    const broker = await Aedes.createBroker({
      authenticate: (client, username, password, done) => {
        this.authenticate(client, username, password?.toString("utf8")).then(
          (principal) => {
            this.principals.set(client, principal);
            if (principal.kind === "device") this.devices.set(principal.identity.thing_name, client);
            done(null, true);
          },
          (err: AuthenticateError) => done(err, false),
        );
      },
      authorizePublish: (client, packet, done) => {
        // A null client is the broker itself (e.g. $SYS heartbeats).
        if (!client || this.mayPublish(client, packet.topic)) return done(null);
        this.logger.warn({ client_id: client.id, topic: packet.topic }, "mqtt publish denied");
        done(new Error("publish not authorized"));
      },
      authorizeSubscribe: (client, sub, done) => {
        if (this.maySubscribe(client, sub.topic)) return done(null, sub);
        this.logger.warn({ client_id: client.id, topic: sub.topic }, "mqtt subscribe denied");
        // A null subscription makes aedes answer SUBACK 0x80 instead of dropping the connection.
        done(null, null);
      },
    });
    broker.on("clientDisconnect", (client) => this.forget(client));
    broker.on("clientError", (client, err) =>
      this.logger.debug({ client_id: client.id, err: err.message }, "mqtt client error"),
    );

    const server = createServer((socket) => {
      this.sockets.add(socket);
      socket.on("close", () => this.sockets.delete(socket));
      broker.handle(socket);
    });
    try {
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(this.opts.port ?? 1883, this.host, () => {
          server.off("error", reject);
          resolve();
        });
      });
    } catch (err) {
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      throw err;
    }
    const address = server.address();
    this.boundPort = typeof address === "object" && address ? address.port : 0;
    this.broker = broker;
    this.server = server;
    this.logger.info({ host: this.host, port: this.boundPort }, "mqtt broker listening");
    return { host: this.host, port: this.boundPort };
  }

  async stop(): Promise<void> {
    const { broker, server } = this;
    this.broker = undefined;
    this.server = undefined;
    if (!broker || !server) return;
    // close() waits for open connections, so the sockets go first; otherwise the port stays bound.
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
    this.devices.clear();
    this.logger.info("mqtt broker stopped");
  }

  /** Drops a device's live connection (revocation, rotation); its last will is published. */
  disconnectDevice(thing: string): boolean {
    const client = this.devices.get(thing);
    if (!client) return false;
    client.close();
    return true;
  }

  private forget(client: Client): void {
    const principal = this.principals.get(client);
    if (principal?.kind === "device" && this.devices.get(principal.identity.thing_name) === client) {
      this.devices.delete(principal.identity.thing_name);
    }
  }

  private async authenticate(
    client: Client,
    username: string | undefined,
    password: string | undefined,
  ): Promise<Principal> {
    if (!username || password === undefined) {
      throw authError("credentials required", BAD_USERNAME_OR_PASSWORD);
    }
    const service = this.opts.service;
    if (username === service.username) {
      if (sameSecret(password, service.password)) return { kind: "service" };
      this.logger.warn({ client_id: client.id }, "mqtt service login refused");
      throw authError("bad credentials", BAD_USERNAME_OR_PASSWORD);
    }
    let identity: DeviceIdentity | null;
    try {
      identity = await this.opts.authenticator.verify(username, password);
    } catch (err) {
      this.logger.error({ err, username }, "device authenticator failed");
      throw authError("authenticator unavailable", SERVER_UNAVAILABLE);
    }
    if (!identity) {
      this.logger.warn({ username, client_id: client.id }, "mqtt device login refused");
      throw authError("bad credentials", BAD_USERNAME_OR_PASSWORD);
    }
    // Topic ACLs are keyed by thing name, so the connection must be unambiguously that thing.
    if (
      !isValidThingName(identity.thing_name) ||
      client.id !== identity.thing_name ||
      username !== identity.thing_name
    ) {
      this.logger.warn(
        { username, client_id: client.id, thing: identity.thing_name },
        "mqtt device client id must equal its thing name",
      );
      throw authError("client id must equal thing name", IDENTIFIER_REJECTED);
    }
    return { kind: "device", identity };
  }

  private mayPublish(client: Client, topic: string): boolean {
    const principal = this.principals.get(client);
    if (!principal) return false;
    if (principal.kind === "service") return true;
    return deviceMayPublish(principal.identity.thing_name, topic);
  }

  private maySubscribe(client: Client, filter: string): boolean {
    const principal = this.principals.get(client);
    if (!principal) return false;
    if (principal.kind === "service") return true;
    return deviceMaySubscribe(principal.identity.thing_name, filter);
  }
}

/**
 * Provisioning for the embedded broker: credentials live in the DeviceAuthenticator, so adding is a
 * no-op; revoking and rotating drop a live connection so that it must authenticate again.
 */
export class AedesProvisioner implements BrokerProvisioner {
  constructor(private readonly broker: AedesBroker) {}

  async addDevice(_identity: DeviceIdentity, _token: string): Promise<void> {}

  async revokeDevice(thing: string): Promise<void> {
    this.broker.disconnectDevice(thing);
  }

  async rotateDevice(thing: string, _token: string): Promise<void> {
    this.broker.disconnectDevice(thing);
  }
}
