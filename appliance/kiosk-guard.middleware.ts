// Only the cabinet's own kiosk may call the kiosk API. A web page in any browser on the device (or one
// that rebinds its DNS name to 127.0.0.1) must not reach it, and no other process should either:
// - the TCP peer is loopback;
// - Host names this server by a loopback name and port (DNS rebinding sends the attacker's name);
// - an Origin, when a browser sends one, is this server's own (a page elsewhere sends its own);
// - a POST is `application/json` (a form post from a page cannot be, without a CORS preflight that
//   this server never answers);
// - a POST carries the per-boot kiosk key, written at start to a file only the kiosk's user reads.
import { randomBytes, timingSafeEqual } from "node:crypto";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { getConnInfo } from "@hono/node-server/conninfo";
import type { MiddlewareHandler } from "hono";
import { AppError } from "../shared/errors.js";
import { isLoopback } from "../shared/loopback.js";
import { ApplianceConfigError } from "./config.js";

/** The header the kiosk sends its key in. */
export const KIOSK_KEY_HEADER = "x-lilo-kiosk-key";
/** The file under the data directory that holds the key of the running process. */
export const KIOSK_KEY_FILE = "kiosk-key";

export interface KioskKey {
  readonly value: string;
  readonly path: string;
  /** Removes the file: the key dies with the process that issued it. */
  discard(): void;
}

/** The systemd credential (`LoadCredential=kiosk-key:…`) that carries the device's kiosk key. */
export const KIOSK_KEY_CREDENTIAL = "kiosk-key";

/**
 * The key for this start, written (mode 0640: the service's user and its group) to
 * `<dataDir>/kiosk-key`. On the device it is the `kiosk-key` credential that the appliance and kiosk
 * units both load from `/etc/lilo/kiosk-key` (made by the first boot); elsewhere a new one per start.
 */
export function issueKioskKey(
  dataDir: string,
  credentialsDir: string | undefined = process.env.CREDENTIALS_DIRECTORY,
): KioskKey {
  const value = credentialKey(credentialsDir) ?? randomBytes(32).toString("base64url");
  const path = join(dataDir, KIOSK_KEY_FILE);
  rmSync(path, { force: true });
  writeFileSync(path, `${value}\n`, { mode: 0o640 });
  return { value, path, discard: () => rmSync(path, { force: true }) };
}

function credentialKey(credentialsDir: string | undefined): string | undefined {
  if (!credentialsDir) return undefined;
  const path = join(credentialsDir, KIOSK_KEY_CREDENTIAL);
  if (!existsSync(path)) return undefined;
  const value = readFileSync(path, "utf8").trim();
  // As the first boot makes it: 32 random bytes, base64url.
  if (!/^[\w-]{43,}$/.test(value))
    throw new ApplianceConfigError(`the kiosk key credential ${path} is not a 32-byte base64url key`);
  return value;
}

function loopbackHosts(port: number): Set<string> {
  return new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]);
}

function sameKey(given: string | undefined, expected: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * @param port the port this server listens on (known once it listens)
 * @param key the current kiosk key; omitted for read-only routes that need only the origin checks
 */
export function kioskGuard(opts: { port: () => number; key?: () => string }): MiddlewareHandler {
  const refuse = (why: string) =>
    new AppError("forbidden", `only the cabinet's kiosk may call this (${why})`);
  return async (c, next) => {
    if (!isLoopback(getConnInfo(c).remote.address ?? "")) throw refuse("not from this device");
    const hosts = loopbackHosts(opts.port());
    if (!hosts.has((c.req.header("host") ?? "").toLowerCase())) throw refuse("host");
    const origin = c.req.header("origin");
    if (origin !== undefined && !hosts.has(origin.toLowerCase().replace(/^http:\/\//, "")))
      throw refuse("origin");
    if (c.req.header("sec-fetch-site") === "cross-site") throw refuse("origin");
    if (c.req.method !== "GET" && c.req.method !== "HEAD") {
      const type = (c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
      if (type !== "application/json")
        throw new AppError("validation_failed", "the kiosk API takes application/json only", {
          "content-type": "must be application/json",
        });
      if (!opts.key || !sameKey(c.req.header(KIOSK_KEY_HEADER), opts.key())) throw refuse("kiosk key");
    }
    await next();
  };
}
