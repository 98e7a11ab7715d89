// Sets up the live channel: the embedded aedes broker (default) or an external one (MQTT_URL), the
// gateway that listens to the cabinets, and how device credentials reach the broker.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import type { Logger } from "../../shared/logger.js";
import type { CloudConfig } from "../config.js";
import type { CredentialListener, ProvisioningService } from "../devices/provisioning.service.js";
import { AedesBroker, AedesProvisioner } from "../mqtt/broker.aedes.js";
import { MosquittoProvisioner } from "../mqtt/mosquitto.js";
import { MqttGateway } from "../mqtt/mqtt-gateway.service.js";
import type { BrokerProvisioner } from "../mqtt/provisioning.js";
import type { FleetService } from "./fleet.service.js";

export class LiveChannel {
  private broker?: AedesBroker;
  private mosquitto?: MosquittoProvisioner;
  private provisioner?: BrokerProvisioner;
  private gateway?: MqttGateway;
  /** What cabinets are told to connect to. */
  deviceUrl = "";

  constructor(
    private readonly config: CloudConfig["mqtt"],
    private readonly deps: { provisioning: () => ProvisioningService; fleet: FleetService; logger: Logger },
  ) {}

  /** Mirrors credentials into brokers that keep their own store (Mosquitto dynsec). */
  readonly credentialListener: CredentialListener = {
    added: async (identity, token) => {
      await this.provisioner?.addDevice(
        { thing_name: identity.thing_name, device_id: identity.device_id, org_id: identity.org_id },
        token,
      );
    },
    revoked: async (identity) => {
      await this.provisioner?.revokeDevice(identity.thing_name);
    },
    // Mosquitto closes the session itself when another process changes the device's dynsec client.
    disconnect: async (identity) => {
      this.broker?.disconnectDevice(identity.thing_name);
    },
  };

  async start(): Promise<void> {
    const { config, deps } = this;
    let url: string;
    let username: string;
    let password: string;
    // The external broker's private CA (mqtts://), for the gateway and the provisioner alike.
    const mqttOptions = config.caFile ? { ca: readFileSync(config.caFile) } : undefined;
    if (config.url) {
      url = config.url;
      // The gateway's own least-privilege account (`lilo cloud mqtt-setup`), never the dynsec admin.
      username = config.username!;
      password = config.password!;
      if (config.provisioner === "mosquitto-dynsec") {
        this.mosquitto = new MosquittoProvisioner({
          url,
          username,
          password,
          logger: deps.logger,
          mqttOptions,
        });
        await this.mosquitto.start();
        this.provisioner = this.mosquitto;
      }
    } else {
      username = config.username ?? "lilo-cloud";
      // Unset, the embedded broker's service password lives and dies with this process: nobody holds it.
      password = config.password ?? randomBytes(24).toString("base64url");
      this.broker = new AedesBroker({
        authenticator: {
          verify: async (user, token) => {
            const device = await deps.provisioning().authenticate(token);
            return device && device.thing_name === user
              ? { thing_name: device.thing_name, device_id: device.device_id, org_id: device.org_id }
              : null;
          },
        },
        service: { username, password },
        logger: deps.logger,
        host: config.host,
        port: config.port,
        tls: config.tls && { cert: readFileSync(config.tls.certFile), key: readFileSync(config.tls.keyFile) },
        allowPlaintext: config.allowPlaintext,
      });
      const { port } = await this.broker.start();
      this.provisioner = new AedesProvisioner(this.broker);
      // The gateway stays on this machine: the broker's plaintext loopback listener.
      url = this.broker.internalUrl;
      this.deviceUrl = config.publicUrl ?? `${config.tls ? "mqtts" : "mqtt"}://127.0.0.1:${port}`;
    }
    if (config.url) this.deviceUrl = config.publicUrl ?? url;
    this.gateway = new MqttGateway({
      url,
      username,
      password,
      sink: deps.fleet,
      logger: deps.logger,
      shareGroup: config.url ? "lilo-cloud" : undefined,
      mqttOptions: config.url ? mqttOptions : undefined,
    });
    await this.gateway.start();
    deps.fleet.gateway = this.gateway;
    deps.logger.info(
      { broker: config.url ? "external" : "embedded", url: this.deviceUrl },
      "live channel up",
    );
  }

  async stop(): Promise<void> {
    await this.gateway?.stop();
    await this.mosquitto?.stop();
    await this.broker?.stop();
  }
}
