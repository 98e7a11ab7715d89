// A scan of a simulated cabinet with something spilled on its shelf: the scan's row says so, with
// the confidence and the region, and "scan.hazards" points the alert listener at that row. A
// detector that fails leaves the scan itself intact.

import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLabelDecoder } from "@lilo/vision";
import { eq } from "drizzle-orm";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { silentLogger } from "../../shared/logger.js";
import { waitFor } from "../../test/support/wait-for.js";
import { openLocalDatabase } from "../db/local-database.js";
import { scanResults } from "../db/schema.js";
import { type BusEvents, EventBus } from "../event-bus.js";
import { SimCamera } from "../hardware/camera.sim.js";
import { SimCabinet } from "../hardware/sim-cabinet.js";
import { EvidenceStore } from "../scan/evidence.store.js";
import { InventoryRepository } from "../scan/inventory.repository.js";
import { ScanService } from "../scan/scan.service.js";
import { ScanResultRepository } from "../scan/scan-result.repository.js";
import { renderShelf } from "../sim/shelf-renderer.js";
import { seedLocalCabinet } from "../sim/sim-seed.js";
import type { SpillDetector } from "./spill-detector.js";
import { OnnxSpillDetector } from "./spill-detector.onnx.js";
import { DEFAULT_THRESHOLDS } from "./thresholds.js";

const decoder = createLabelDecoder();
const cleanup: (() => void)[] = [];
afterAll(() => decoder.close());
afterEach(() => {
  for (const c of cleanup.splice(0)) c();
});

function cabinet(hazards: SpillDetector) {
  const dir = mkdtempSync(join(tmpdir(), "lilo-hazards-"));
  const local = openLocalDatabase(join(dir, "appliance.db"));
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
    people: [],
    containers: 2,
  });
  const camera = new SimCamera(sim, (shelf) => renderShelf({ ...shelf, width: 960, height: 540 }), {
    id: "shelf1",
    shelves: [{ shelf: 1, roi: { x: 0, y: 0, w: 1, h: 1 } }],
    width: 960,
    height: 540,
    logger: silentLogger,
  });
  const bus = new EventBus(silentLogger);
  const events: BusEvents["scan.hazards"][] = [];
  bus.on(events, "scan.hazards", (e) => {
    events.push(e);
  });
  const scans = new ScanService({
    local,
    cameras: [camera],
    scope,
    inventory: new InventoryRepository(scope),
    results: new ScanResultRepository(scope.cabinet_id),
    evidence: new EvidenceStore(join(dir, "scans"), {
      quotaBytes: 64 * 1024 * 1024,
      hardCapBytes: 128 * 1024 * 1024,
    }),
    logger: silentLogger,
    decoder,
    frames: { framesPerScan: 1, exposureEv: [0] },
    hazards,
    bus,
  });
  const row = (scanId: string) =>
    local.db.select().from(scanResults).where(eq(scanResults.scan_id, scanId)).get()!;
  return { sim, scans, events, row };
}

describe("a scan with spill and breakage detection", () => {
  it("records a spill on the shelf in scan_results and announces it on the bus", async () => {
    const detector = await OnnxSpillDetector.load({ thresholds: DEFAULT_THRESHOLDS });
    cleanup.push(() => void detector.close());
    const { sim, scans, events, row } = cabinet(detector);
    sim.addHazard(1, { x: 0.5, y: 0.93, radius: 0.12, kind: "spill" });

    const outcome = await scans.scan({ trigger: "manual" });
    const spilled = row(outcome.scan_ids[0]!);
    expect(spilled.spill_detected).toBe(true);
    expect(Number(spilled.spill_confidence)).toBeGreaterThanOrEqual(DEFAULT_THRESHOLDS.spill);
    const box = spilled.spill_location as { x: number; y: number; w: number; h: number };
    expect(box.x).toBeLessThan(0.5);
    expect(box.x + box.w).toBeGreaterThan(0.5);
    expect(box.y + box.h).toBeGreaterThan(0.8);
    expect(spilled.breakage_detected).toBe(false);
    expect(spilled.anomalies_detected).toContainEqual({
      kind: "spill",
      confidence: Number(spilled.spill_confidence),
      box,
    });
    await waitFor(() => events.length === 1, { what: "a scan.hazards event" });
    expect(events[0]).toMatchObject({
      scan_ids: outcome.scan_ids,
      trigger: "manual",
      found: [
        { scan_id: outcome.scan_ids[0], shelf: 1, kind: "spill", box, image_key: spilled.image_s3_key },
      ],
    });

    // Cleaned up: the next scan's row is clear and nothing more is announced.
    sim.clearHazards(1);
    const after = await scans.scan({ trigger: "scheduled" });
    const clean = row(after.scan_ids[0]!);
    expect(clean.spill_detected).toBe(false);
    expect(clean.spill_location).toBeNull();
    expect(Number(clean.spill_confidence)).toBeLessThan(DEFAULT_THRESHOLDS.spill);
    expect(events).toHaveLength(1);
  });

  it("still completes the scan when the detector fails, with the hazard columns empty", async () => {
    const broken: SpillDetector = {
      detect: () => Promise.reject(new Error("model file damaged")),
      close: () => Promise.resolve(),
    };
    const { sim, scans, events, row } = cabinet(broken);
    sim.addHazard(1, { x: 0.5, y: 0.93, radius: 0.12, kind: "spill" });
    const outcome = await scans.scan({ trigger: "manual" });
    const r = row(outcome.scan_ids[0]!);
    expect(r.processing_status).toBe("completed");
    expect(r.spill_detected).toBe(false);
    expect(r.spill_confidence).toBeNull();
    expect(events).toHaveLength(0);
  });
});
