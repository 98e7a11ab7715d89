// The scan service on the simulated camera, the real renderer and the real decoder: a label washed
// out by the cabinet light in the normal frame is read in the darker second frame, and the scan ends
// with the container where it was instead of a prompt to turn it or a checkout.
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLabelDecoder } from "@lilo/vision";
import sharp from "sharp";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { layoutLabel } from "../../shared/labels/layout.js";
import { renderSvg } from "../../shared/labels/svg.js";
import { silentLogger } from "../../shared/logger.js";
import type { AuthorizedUser } from "../auth/auth.service.js";
import { type LocalDatabase, openLocalDatabase } from "../db/local-database.js";
import { chemicalInventory, scanResults, unifiedEventLog } from "../db/schema.js";
import type { Camera, CaptureOptions } from "../hardware/camera.js";
import { type ShelfRenderFn, SimCamera } from "../hardware/camera.sim.js";
import { SimCabinet } from "../hardware/sim-cabinet.js";
import { renderShelf, type SpecularStripe } from "../sim/shelf-renderer.js";
import { labelFor, seedLocalCabinet } from "../sim/sim-seed.js";
import { EvidenceStore } from "./evidence.store.js";
import { InventoryRepository } from "./inventory.repository.js";
import { type ScanFrames, ScanService } from "./scan.service.js";
import { ScanResultRepository } from "./scan-result.repository.js";

const TECH = {
  user_id: randomUUID(),
  display_name: "Tina Technician",
  email: "tina@example.org",
  badge: "BADGE-0001",
  pin: "4711",
  role: "technician" as const,
};
const USER: AuthorizedUser = { ...TECH };

/** The cabinet light reflected across the first container's label. */
const glareOver = (width: number, intensity: number): SpecularStripe[] => [
  // seedLocalCabinet puts container 1 at (0.14, 0.55) of a one-shelf cabinet.
  { x: 0.14, y: 0.55, width, height: 0.14, intensity },
];
/** A narrow stripe: the label's finder patterns stay visible, its middle is washed out. */
const NARROW = glareOver(0.02, 1);
/** A wide, bright stripe: at EV 0 nothing of the label is left to see. */
const WIDE = glareOver(0.07, 1.2);

let cleanup: (() => void)[] = [];
const decoder = createLabelDecoder();
afterAll(() => decoder.close());

afterEach(() => {
  for (const c of cleanup) c();
  cleanup = [];
});

function cabinetWith(specular: SpecularStripe[], frames: ScanFrames, wrap = (camera: Camera) => camera) {
  const dir = mkdtempSync(join(tmpdir(), "lilo-scan-"));
  const local: LocalDatabase = openLocalDatabase(join(dir, "appliance.db"));
  cleanup.push(() => {
    local.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const scope = {
    org_id: randomUUID(),
    dept_id: randomUUID(),
    lab_id: randomUUID(),
    cabinet_id: randomUUID(),
  };
  const sim = new SimCabinet({ shelves: [1] });
  seedLocalCabinet(local, sim, {
    scope,
    secret: "a-secret-of-sixteen-chars",
    shelves: [1],
    people: [TECH],
    containers: 2,
  });
  const renders: { exposureEv?: number; noiseSeed?: number }[] = [];
  const render: ShelfRenderFn = (shelf) => {
    renders.push({ exposureEv: shelf.exposureEv, noiseSeed: shelf.noiseSeed });
    return renderShelf({ ...shelf, specular });
  };
  const camera = new SimCamera(sim, render, {
    id: "shelf1",
    shelves: [{ shelf: 1, roi: { x: 0, y: 0, w: 1, h: 1 } }],
    width: 1920,
    height: 1080,
    logger: silentLogger,
  });
  const scans = new ScanService({
    local,
    cameras: [wrap(camera)],
    scope,
    inventory: new InventoryRepository(scope),
    results: new ScanResultRepository(scope.cabinet_id),
    evidence: new EvidenceStore(join(dir, "scans"), { quotaBytes: 2 ** 30, hardCapBytes: 2 ** 30 }),
    logger: silentLogger,
    decoder,
    frames,
  });
  const actions = () =>
    local.db
      .select()
      .from(unifiedEventLog)
      .all()
      .map((e) => (e.event_details as { action: string }).action);
  const status = (n: number) =>
    local.db
      .select()
      .from(chemicalInventory)
      .all()
      .find((c) => c.qr_code === labelFor(n))!.status;
  return { scans, renders, actions, status, sim, db: local.db };
}

const ONE = { framesPerScan: 1, exposureEv: [0] };
const BRACKETED = { framesPerScan: 2, exposureEv: [0, -1] };

describe("ScanService with several frames per scan", () => {
  it("a label glared in the normal frame is read in the darker one: present, not 'turn the bottle'", async () => {
    // One frame: the label is seen but not read, and the technician is asked to turn the bottle.
    const single = cabinetWith(NARROW, ONE);
    const before = await single.scans.scan({ trigger: "motion", user: USER });
    expect(before.reconciliation.labelNotRead.map((c) => c.container.qr_code)).toEqual([labelFor(1)]);
    expect(before.shelves[0]!.unread).toHaveLength(1);
    expect(single.actions()).toContain("label_not_read");

    const c = cabinetWith(NARROW, BRACKETED);
    const outcome = await c.scans.scan({ trigger: "motion", user: USER });
    expect(c.renders).toEqual([{}, { exposureEv: -1, noiseSeed: expect.any(Number) }]);
    const shelf = outcome.shelves[0]!;
    expect(shelf).toMatchObject({ ok: true, frames: 2, unread: [] });
    expect(outcome.reconciliation.labelNotRead).toEqual([]);
    expect(outcome.reconciliation.taken).toEqual([]);
    expect(outcome.reconciliation.present.map((p) => p.container.qr_code).sort()).toEqual([
      labelFor(1),
      labelFor(2),
    ]);
    expect(c.actions()).toEqual(["scan_completed"]);
    expect(c.status(1)).toBe("in_cabinet");
    // The stored evidence is consistent: every code read has its corners, nothing is left unread.
    const row = c.db.select().from(scanResults).get()!;
    expect([...row.qr_codes_found!].sort()).toEqual([labelFor(1), labelFor(2)]);
    expect(row.code_locations!.read.map((r) => r.text).sort()).toEqual([labelFor(1), labelFor(2)]);
    for (const r of row.code_locations!.read) expect(r.corners).toHaveLength(4);
    expect(row.code_locations!.unread).toEqual([]);
    expect(row.processing_status).toBe("completed");
  });

  it("a label hidden entirely by glare is looked for again, so it is not checked out", async () => {
    // One frame: nothing even looks like a label there, so the container counts as taken.
    const single = cabinetWith(WIDE, ONE);
    const before = await single.scans.scan({ trigger: "motion", user: USER });
    expect(before.shelves[0]!.unread).toEqual([]);
    expect(before.reconciliation.taken.map((t) => t.container.qr_code)).toEqual([labelFor(1)]);
    expect(single.status(1)).toBe("checked_out");

    // Two frames: the expected code is missing after the first, so the darker second frame is taken.
    const c = cabinetWith(WIDE, BRACKETED);
    const outcome = await c.scans.scan({ trigger: "motion", user: USER });
    expect(outcome.shelves[0]!.frames).toBe(2);
    expect(outcome.reconciliation.taken).toEqual([]);
    expect(c.actions()).toEqual(["scan_completed"]);
    expect(c.status(1)).toBe("in_cabinet");
  });

  it("stops after the first frame when it explains every label", async () => {
    const c = cabinetWith([], BRACKETED);
    const outcome = await c.scans.scan({ trigger: "motion", user: USER });
    expect(c.renders).toHaveLength(1);
    expect(outcome.shelves[0]).toMatchObject({ ok: true, frames: 1, unread: [] });
    expect(outcome.reconciliation.present).toHaveLength(2);
  });

  it("keeps the first frame's reads when a later capture fails", async () => {
    let captures = 0;
    const failSecond = (camera: Camera): Camera =>
      Object.assign(Object.create(camera) as Camera, {
        capture: (options?: CaptureOptions) =>
          ++captures === 2 ? Promise.reject(new Error("camera timed out")) : camera.capture(options),
      });
    const c = cabinetWith(NARROW, BRACKETED, failSecond);
    const outcome = await c.scans.scan({ trigger: "motion", user: USER });
    expect(captures).toBe(2);
    // The shelf was scanned: what the first frame showed still counts (a label to turn), nothing is
    // left unverified or checked out.
    expect(outcome.shelves[0]).toMatchObject({ ok: true, frames: 1 });
    expect(outcome.reconciliation.unverified).toEqual([]);
    expect(outcome.reconciliation.labelNotRead.map((l) => l.container.qr_code)).toEqual([labelFor(1)]);
    expect(c.status(1)).toBe("in_cabinet");
  });
});

/**
 * Container n's printed label (the default Data Matrix of a bottle label), at shelf-photo scale;
 * `scratched` inverts the middle of the symbol, past what its error correction repairs, leaving
 * the solid L and the timing edges whole.
 */
async function printedLabel(n: number, scratched: boolean): Promise<Buffer> {
  const layout = layoutLabel({ code: labelFor(n), chemicalName: "Acetone" }, { size: "bottle" });
  expect(layout.symbology).toBe("datamatrix");
  if (scratched) {
    for (const item of layout.items) {
      if (item.kind !== "symbol") continue;
      const { cols, rows } = item.matrix;
      const modules = Uint8Array.from(item.matrix.modules);
      for (let y = Math.floor(rows / 4); y < Math.ceil((3 * rows) / 4); y++)
        for (let x = Math.floor(cols / 4); x < Math.ceil((3 * cols) / 4); x++) modules[y * cols + x]! ^= 1;
      item.matrix = { ...item.matrix, modules };
    }
  }
  return sharp(Buffer.from(renderSvg(layout)), { density: 300 })
    .resize({ width: 300 })
    .flatten({ background: "#fff" })
    .png()
    .toBuffer();
}

/** A shelf photo with container 1's and container 2's labels where the simulator seeds them. */
async function shelfWithLabels(firstScratched: boolean): Promise<Buffer> {
  return sharp({ create: { width: 1920, height: 1080, channels: 3, background: "#8a8f98" } })
    .composite([
      { input: await printedLabel(1, firstScratched), left: 150, top: 480 },
      { input: await printedLabel(2, false), left: 900, top: 480 },
    ])
    .jpeg({ quality: 88 })
    .toBuffer();
}

describe("ScanService with the Data Matrix labels L.I.L.O. prints", () => {
  const photographing =
    (jpeg: Buffer) =>
    (camera: Camera): Camera =>
      Object.assign(Object.create(camera) as Camera, { capture: () => Promise.resolve(jpeg) });

  it("reads both labels when neither is damaged", async () => {
    const c = cabinetWith([], ONE, photographing(await shelfWithLabels(false)));
    const outcome = await c.scans.scan({ trigger: "motion", user: USER });
    expect(outcome.reconciliation.present.map((p) => p.container.qr_code).sort()).toEqual([
      labelFor(1),
      labelFor(2),
    ]);
    expect(outcome.shelves[0]!.unread).toEqual([]);
  });

  it("an unreadable Data Matrix is 'turn the bottle', never a checkout", async () => {
    const c = cabinetWith([], ONE, photographing(await shelfWithLabels(true)));
    const outcome = await c.scans.scan({ trigger: "motion", user: USER });
    expect(outcome.shelves[0]!.unread).toHaveLength(1);
    expect(outcome.reconciliation.labelNotRead.map((l) => l.container.qr_code)).toEqual([labelFor(1)]);
    expect(outcome.reconciliation.taken).toEqual([]);
    expect(outcome.reconciliation.present.map((p) => p.container.qr_code)).toEqual([labelFor(2)]);
    expect(c.actions()).toContain("label_not_read");
    expect(c.status(1)).toBe("in_cabinet");
  });
});

describe("codes that are not L.I.L.O. labels", () => {
  it("are foreign both in the scan's anomalies and in the reconciliation", async () => {
    const c = cabinetWith([], ONE);
    // Another kind of L.I.L.O.-looking payload and a truncated one: neither is a label L.I.L.O. printed.
    const foreign = ["LILO:C:12", "LILO:X:000003"];
    c.sim.addContainer(1, { qr_code: foreign[1]!, x: 0.5, y: 0.3 });
    c.sim.addContainer(1, { qr_code: foreign[0]!, x: 0.7, y: 0.3 });
    // A well-formed label this cabinet does not know is ours, only unregistered.
    c.sim.addContainer(1, { qr_code: labelFor(9), x: 0.86, y: 0.55 });
    const outcome = await c.scans.scan({ trigger: "manual" });
    expect(outcome.shelves[0]!.codes.map((code) => code.text).sort()).toEqual(
      [labelFor(1), labelFor(2), labelFor(9), ...foreign].sort(),
    );
    expect(outcome.reconciliation.foreign.map((f) => f.qr_code).sort()).toEqual(foreign);
    expect(outcome.reconciliation.unknown.map((u) => u.qr_code)).toEqual([labelFor(9)]);
    const row = c.db.select().from(scanResults).get()!;
    expect((row.anomalies_detected as { text: string }[]).map((a) => a.text).sort()).toEqual(foreign);
  });
});
