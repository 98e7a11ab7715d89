// Who a connecting device is, and how the cloud tells the broker about devices. The embedded aedes
// broker asks a DeviceAuthenticator on every connect; Mosquitto keeps its own credential store
// (dynamic security), so the cloud has to push devices into it. BrokerProvisioner hides the difference.

export interface DeviceIdentity {
  thing_name: string;
  device_id: string;
  org_id: string;
}

export interface DeviceAuthenticator {
  /** Resolves null for unknown users and wrong passwords; rejects only when it cannot decide. */
  verify(username: string, password: string): Promise<DeviceIdentity | null>;
}

export interface BrokerProvisioner {
  /** Makes the device able to connect with username = thing name, password = token. Idempotent. */
  addDevice(identity: DeviceIdentity, token: string): Promise<void>;
  /** Removes the device's access and disconnects it if it is connected. Idempotent. */
  revokeDevice(thing: string): Promise<void>;
  /** Replaces the device's token; the old one stops working for new connections. */
  rotateDevice(thing: string, token: string): Promise<void>;
}
