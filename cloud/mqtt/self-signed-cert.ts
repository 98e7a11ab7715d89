// A self-signed certificate for an MQTT broker on one machine (the demo, tests): the cabinet trusts
// exactly this certificate (cloud.mqttCaFile), so TLS protects the device token without a public CA.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { isIP } from "node:net";
import { join } from "node:path";
import { generate } from "selfsigned";

export interface CertificatePair {
  cert: string;
  key: string;
}

/** EC P-256, SHA-256, valid one year, for the given host names and addresses. */
export async function selfSignedCertificate(hosts = ["localhost", "127.0.0.1"]): Promise<CertificatePair> {
  const pems = await generate([{ name: "commonName", value: hosts[0] ?? "localhost" }], {
    keyType: "ec",
    curve: "P-256",
    algorithm: "sha256",
    extensions: [
      { name: "basicConstraints", cA: false },
      { name: "keyUsage", digitalSignature: true, keyEncipherment: true },
      { name: "extKeyUsage", serverAuth: true },
      {
        name: "subjectAltName",
        altNames: hosts.map((h) => (isIP(h) ? { type: 7 as const, ip: h } : { type: 2 as const, value: h })),
      },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

/** Reuses `<dir>/mqtt-cert.pem` and `mqtt-key.pem` (key 0600), making them on first use. */
export async function ensureSelfSignedFiles(dir: string): Promise<{ certFile: string; keyFile: string }> {
  const certFile = join(dir, "mqtt-cert.pem");
  const keyFile = join(dir, "mqtt-key.pem");
  if (!(existsSync(certFile) && existsSync(keyFile) && readFileSync(keyFile).length > 0)) {
    mkdirSync(dir, { recursive: true });
    const { cert, key } = await selfSignedCertificate();
    writeFileSync(keyFile, key, { mode: 0o600 });
    writeFileSync(certFile, cert);
  }
  return { certFile, keyFile };
}
