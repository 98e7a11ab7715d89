// `lilo demo` (= `npm start`) as a person at a terminal sees it, with the pretty format forced since the
// test has no terminal: one banner with the URLs, the demo people and three things to try, then readable
// log lines from the cloud and the cabinet in which no badge, PIN or password appears.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DemoPerson } from "../cloud/demo/demo-seed.js";
import { fromRoot } from "../shared/paths.js";
import { freePort } from "./support/free-port.js";

const PRETTY_LINE = /^\d\d:\d\d:\d\d (TRACE|DEBUG|INFO |WARN |ERROR|FATAL) \S/;

describe("lilo demo on a terminal", () => {
  let dir: string;
  let ports: { cloud: number; appliance: number };
  let demo: ChildProcess;
  let stdout = "";
  let stderr = "";
  let people: DemoPerson[];
  let kioskUrl: string;
  let kioskPage: string;
  let dashboardUrl: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "lilo-demo-tty-"));
    ports = { cloud: await freePort(), appliance: await freePort() };
    demo = spawn(
      process.execPath,
      [
        fromRoot("bin/lilo.js"),
        "demo",
        "--data-dir",
        dir,
        "--cloud-port",
        String(ports.cloud),
        "--appliance-port",
        String(ports.appliance),
      ],
      {
        env: {
          ...process.env,
          DATABASE_URL: undefined,
          DATABASE_OWNER_URL: undefined,
          LILO_CLOUD_DATA_DIR: undefined,
          LOG_LEVEL: "info",
          LILO_LOG_FORMAT: "pretty",
          LILO_MQTT_HOST: "127.0.0.1",
          LILO_MQTT_PORT: "0",
        },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    // The banner is the demo's last word at start-up: it waits for the cabinet to answer.
    await new Promise<void>((resolve, reject) => {
      demo.stdout!.on("data", (chunk: Buffer) => {
        stdout += chunk.toString("utf8");
        if (/auth\/login[^\n]*\n/.test(stdout)) resolve();
      });
      demo.stderr!.on("data", (chunk: Buffer) => {
        stderr += chunk.toString("utf8");
      });
      demo.once("exit", (code) =>
        reject(new Error(`demo exited (${code}) before its banner\n${stdout}${stderr}`)),
      );
    });
    const demoFile = JSON.parse(readFileSync(join(dir, "demo.json"), "utf8")) as {
      users: DemoPerson[];
      kiosk_url: string;
      dashboard_url: string;
    };
    people = demoFile.users;
    kioskUrl = demoFile.kiosk_url;
    kioskPage = await fetch(kioskUrl).then((r) => r.text());
    dashboardUrl = demoFile.dashboard_url;
    const exited = new Promise((resolve) => demo.once("exit", resolve));
    demo.kill("SIGTERM");
    await exited;
  }, 180_000);

  afterAll(() => {
    if (demo && demo.exitCode === null && demo.signalCode === null) demo.kill("SIGKILL");
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** The banner: from its title to the blank line after the third thing to try. */
  function split(): { banner: string; logLines: string[] } {
    const start = stdout.indexOf("\n  L.I.L.O. demo ");
    const end = stdout.indexOf("\n\n", stdout.indexOf("    3. ", start)) + 2;
    expect(start).toBeGreaterThanOrEqual(0);
    const rest = stdout.slice(0, start) + stdout.slice(end) + stderr;
    return { banner: stdout.slice(start, end), logLines: rest.split("\n").filter((l) => l.trim()) };
  }

  it("prints a banner with the URLs, the demo people and three things to try", () => {
    const { banner } = split();
    expect(banner).toContain("L.I.L.O. demo created; Ctrl-C stops it");
    expect(banner).toContain(`Cloud        http://127.0.0.1:${ports.cloud}`);
    expect(banner).toContain(`Dashboard    http://127.0.0.1:${ports.cloud}/dashboard/`);
    expect(dashboardUrl).toBe(`http://127.0.0.1:${ports.cloud}/dashboard/`);
    expect(banner).toContain(`Cabinet API  http://127.0.0.1:${ports.appliance}/api`);
    expect(banner).toContain(`Simulator    http://127.0.0.1:${ports.appliance}/sim`);
    expect(banner).toContain(`Touchscreen  http://127.0.0.1:${ports.appliance}/kiosk/`);
    expect(banner).toContain(join(dir, "demo.json"));
    expect(people.length).toBeGreaterThanOrEqual(2);
    for (const p of people) {
      const line = banner.split("\n").find((l) => l.includes(p.name));
      expect(line, p.name).toContain(`badge ${p.badge}`);
      expect(line, p.name).toContain(`user ${p.user_number}`);
      expect(line, p.name).toContain(`PIN ${p.pin}`);
      if (p.password) expect(line, p.name).toContain(`password ${p.password}`);
    }
    const tries = banner.split("\n").filter((l) => /^ {4}\d\. /.test(l));
    expect(tries).toHaveLength(3);
    expect(banner).toContain(`curl -XPOST http://127.0.0.1:${ports.appliance}/api/access`);
    expect(banner).toContain("x-lilo-kiosk-key");
    expect(banner).toContain("appliance decode shelf-1.jpg");
    expect(banner).toContain(`curl -XPOST http://127.0.0.1:${ports.cloud}/api/v1/auth/login`);
  });

  it("serves the touchscreen at demo.json's kiosk_url", () => {
    expect(kioskUrl).toBe(`http://127.0.0.1:${ports.appliance}/kiosk/`);
    expect(kioskPage).toContain('<div id="app"></div>');
  });

  it("logs readable lines from the cloud and the cabinet, with no badge, PIN or password in them", () => {
    const { logLines } = split();
    // An error's stack sits indented below its line; every other line is a pretty log line.
    for (const line of logLines.filter((l) => !l.startsWith("    "))) expect(line).toMatch(PRETTY_LINE);
    expect(logLines.some((l) => l.includes("cloud listening"))).toBe(true);
    expect(logLines.some((l) => l.includes("appliance listening"))).toBe(true);
    const secrets = people.flatMap((p) => [p.badge, p.pin, ...(p.password ? [p.password] : [])]);
    for (const line of logLines) for (const secret of secrets) expect(line).not.toContain(secret);
  });
});
