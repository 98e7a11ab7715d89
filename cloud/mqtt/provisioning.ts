// Who a connecting device is, and how the cloud tells the broker about devices. The embedded aedes
// broker asks a DeviceAuthenticator on every connect; Mosquitto keeps its own credential store
// (dynamic security), so the cloud has to push devices into it. BrokerProvisioner hides the difference.

import type { DeviceIdentity } from "../../shared/device-identity.js";

/** What the broker knows of a connected device: enough to confine it to its own topics. */
export type BrokerDevice = Pick<DeviceIdentity, "thing_name" | "device_id" | "org_id">;

export interface DeviceAuthenticator {
  /** Resolves null for unknown users and wrong passwords; rejects only when it cannot decide. */
  verify(username: string, password: string): Promise<BrokerDevice | null>;
}

export interface BrokerProvisioner {
  /** Makes the device able to connect with username = thing name, password = token. Idempotent. */
  addDevice(identity: BrokerDevice, token: string): Promise<void>;
  /** Removes the device's access and disconnects it if it is connected. Idempotent. */
  revokeDevice(thing: string): Promise<void>;
  /** Replaces the device's token; the old one stops working for new connections. */
  rotateDevice(thing: string, token: string): Promise<void>;
}
