// The cloud's embedded MQTT broker (used unless MQTT_URL points at an external one). Devices are
// authenticated by the injected DeviceAuthenticator and confined to their own topics; one cloud
// service account may use every topic. Devices connect over TLS; plaintext is for loopback only
// (the cloud's own gateway) unless explicitly allowed.
import { createHash, timingSafeEqual } from "node:crypto";
import { createServer, type Server, type Socket } from "node:net";
import { Duplex } from "node:stream";
import { createServer as createTlsServer } from "node:tls";
import { Aedes, type AuthenticateError, type Client } from "aedes";
import type { Logger } from "../../shared/logger.js";
import { isLoopback } from "../../shared/loopback.js";
import {
  deviceMayPublish,
  deviceMaySubscribe,
  isValidThingName,
  MAX_PAYLOAD_BYTES,
} from "../../shared/mqtt/topics.js";
import { PacketSizeLimit } from "./packet-size-limit.js";
import type { BrokerDevice, BrokerProvisioner, DeviceAuthenticator } from "./provisioning.js";

/** The largest MQTT packet accepted: a maximal payload plus room for topic and headers. */
export const MAX_PACKET_BYTES = MAX_PAYLOAD_BYTES + 4096;

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
  /**
   * Certificate and key (PEM) for the devices' listener on host:port, which then speaks TLS only; a
   * second, plaintext listener on 127.0.0.1 (`internalUrl`) serves the cloud's own gateway.
   */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** Lets the plaintext listener bind a non-loopback host (development on a trusted network). */
  allowPlaintext?: boolean;
  /** Default MAX_PACKET_BYTES: a client announcing a bigger packet is disconnected at its header. */
  maxPacketBytes?: number;
}

export class PlaintextBindError extends Error {
  constructor(host: string) {
    super(
      `refusing to serve MQTT in plaintext on ${host}: device tokens would cross the network in the clear. ` +
        "Configure a certificate (LILO_MQTT_TLS_CERT, LILO_MQTT_TLS_KEY), bind 127.0.0.1, or set " +
        "LILO_MQTT_ALLOW_PLAINTEXT=1 for development",
    );
    this.name = "PlaintextBindError";
  }
}

type Principal = { kind: "service" } | { kind: "device"; identity: BrokerDevice };

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
  private servers: Server[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly principals = new WeakMap<Client, Principal>();
  private readonly devices = new Map<string, Client>();
  private boundPort = 0;
  private internalPort = 0;
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

  /** Where devices connect: mqtts:// with a certificate, else mqtt://. */
  get url(): string {
    return `${this.opts.tls ? "mqtts" : "mqtt"}://${this.host}:${this.boundPort}`;
  }

  /** Plaintext on loopback, for the cloud's own gateway (the devices' listener when there is no TLS). */
  get internalUrl(): string {
    return this.opts.tls ? `mqtt://127.0.0.1:${this.internalPort}` : this.url;
  }

  async start(): Promise<{ host: string; port: number }> {
    if (this.broker) throw new Error("broker already started");
    if (!this.opts.tls && !this.opts.allowPlaintext && !isLoopback(this.host)) {
      throw new PlaintextBindError(this.host);
    }
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

    const maxPacket = this.opts.maxPacketBytes ?? MAX_PACKET_BYTES;
    const handle = (socket: Socket) => {
      this.sockets.add(socket);
      socket.on("close", () => this.sockets.delete(socket));
      socket.on("error", () => socket.destroy());
      const limit = new PacketSizeLimit(maxPacket);
      limit.on("error", (err) => {
        this.logger.warn({ remote: socket.remoteAddress, err: err.message }, "mqtt connection dropped");
        socket.destroy();
      });
      socket.pipe(limit);
      broker.handle(Duplex.from({ readable: limit, writable: socket }));
    };
    const { tls } = this.opts;
    const listeners: { server: Server; host: string; port: number }[] = [
      {
        server: tls
          ? createTlsServer({ cert: tls.cert, key: tls.key, minVersion: "TLSv1.2" }, handle)
          : createServer(handle),
        host: this.host,
        port: this.opts.port ?? 1883,
      },
    ];
    if (tls) listeners.push({ server: createServer(handle), host: "127.0.0.1", port: 0 });
    try {
      for (const l of listeners) {
        await new Promise<void>((resolve, reject) => {
          l.server.once("error", reject);
          l.server.listen(l.port, l.host, () => {
            l.server.off("error", reject);
            resolve();
          });
        });
        this.servers.push(l.server);
      }
    } catch (err) {
      await this.closeServers();
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      throw err;
    }
    const port = (s: Server | undefined) => {
      const address = s?.address();
      return typeof address === "object" && address ? address.port : 0;
    };
    this.boundPort = port(this.servers[0]);
    this.internalPort = port(this.servers[1]);
    this.broker = broker;
    this.logger.info(
      { url: this.url, internal: tls ? this.internalUrl : undefined, max_packet_bytes: maxPacket },
      "mqtt broker listening",
    );
    return { host: this.host, port: this.boundPort };
  }

  async stop(): Promise<void> {
    const { broker } = this;
    this.broker = undefined;
    if (!broker) return;
    // close() waits for open connections, so the sockets go first; otherwise the port stays bound.
    const closed = this.closeServers();
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
    this.devices.clear();
    this.logger.info("mqtt broker stopped");
  }

  private closeServers(): Promise<void> {
    const servers = this.servers;
    this.servers = [];
    return Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())))).then(
      () => undefined,
    );
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
    let identity: BrokerDevice | null;
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

  async addDevice(_identity: BrokerDevice, _token: string): Promise<void> {}

  async revokeDevice(thing: string): Promise<void> {
    this.broker.disconnectDevice(thing);
  }

  async rotateDevice(thing: string, _token: string): Promise<void> {
    this.broker.disconnectDevice(thing);
  }
}
