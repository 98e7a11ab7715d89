// `lilo label` as a user runs it (a spawned process on embedded PGlite) prints, for every size, the
// label docs/labels.md describes: the symbol read back from the PDF and the ZPL by libdmtx and ZBar,
// never by the encoder the product uses, with the documented size in modules, in mm and its orientation.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectDatabase } from "../cloud/db/database.js";
import { migrateAll } from "../cloud/db/migrator.js";
import { ensureDemoOrg } from "../cloud/demo/demo-seed.js";
import { LABEL_SIZE_NAMES } from "../shared/labels/index.js";
import { lilo } from "./support/cli.js";
import {
  documentedSizes,
  expectDocumentedLabel,
  expectDocumentedPdfAndZpl,
  measureDataMatrixLabel,
  rasterisePdf,
  readersMissing,
  readQr,
} from "./support/label-reader.js";

const CODE = "LILO:C:000002";

describe.skipIf(readersMissing)(
  `lilo label, read back${readersMissing ? ` (skipped: ${readersMissing})` : ""}`,
  () => {
    let dir: string;
    let env: Record<string, string | undefined>;

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), "lilo-readback-"));
      env = {
        DATABASE_URL: undefined,
        DATABASE_OWNER_URL: undefined,
        LILO_CLOUD_DATA_DIR: join(dir, "cloud"),
      };
      const db = await connectDatabase({ dataDir: env.LILO_CLOUD_DATA_DIR });
      try {
        await migrateAll(db);
        await ensureDemoOrg(db);
      } finally {
        await db.close();
      }
    });
    afterAll(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    const print = async (name: string, args: string[]) => {
      const out = join(dir, name);
      const r = await lilo(["label", "--container", CODE, ...args, "--out", out], env);
      expect(r.code, r.stderr).toBe(0);
      return { bytes: readFileSync(out), stderr: r.stderr };
    };

    it("documents every size", () => {
      expect(documentedSizes().map((d) => d.size)).toEqual(LABEL_SIZE_NAMES);
    });

    // Each `lilo label` is a process that opens PGlite: many seconds apiece on a busy machine.
    const PER_SPAWN = 90_000;

    for (const doc of documentedSizes()) {
      it(
        `${doc.size}: the PDF and the ZPL carry the documented Data Matrix`,
        async () => {
          const pdf = await print(`${doc.size}.pdf`, ["--size", doc.size, "--page", "label"]);
          expect(pdf.stderr).toContain(`(${doc.size}, datamatrix`);
          const zpl = await print(`${doc.size}.zpl`, ["--size", doc.size, "--format", "zpl"]);
          await expectDocumentedPdfAndZpl({ pdf: pdf.bytes, zpl: zpl.bytes }, doc, CODE, dir);
        },
        2 * PER_SPAWN,
      );
    }

    it(
      "prints the documented vial symbol for --symbology datamatrix, as for no option",
      async () => {
        const args = ["--size", "vial", "--format", "zpl", "--symbology", "datamatrix"];
        const named = await print("vial-named.zpl", args);
        expect(named.stderr).toContain("(vial, datamatrix 12x26, zpl)");
        const vial = documentedSizes().find((d) => d.size === "vial")!;
        expectDocumentedLabel(
          await measureDataMatrixLabel(named.bytes, "zpl", dir, "vial-named"),
          vial,
          CODE,
        );
      },
      PER_SPAWN,
    );

    it(
      "prints QR on request: upright in the PDF (ZBar), the printer's own ^BQ in the ZPL",
      async () => {
        const pdf = await print("qr.pdf", ["--size", "small", "--symbology", "qr", "--page", "label"]);
        expect(await readQr(await rasterisePdf(pdf.bytes, dir, "qr", 200))).toEqual([
          { text: CODE, orientation: "UP" },
        ]);
        // No ZPL renderer reads ^BQ back: its declared model 2, 6-dot modules (0.75 mm, as in the PDF)
        // and place inside the 400 × 200 dot label are checked instead.
        const args = ["--size", "small", "--symbology", "qr", "--format", "zpl"];
        const zpl = (await print("qr.zpl", args)).bytes.toString();
        const bq = /\^FO(\d+),(\d+)\^BQN,2,(\d+)\^FH_\^FDMA,(.*?)\^FS/.exec(zpl);
        expect(bq?.slice(3)).toEqual(["6", CODE]);
        // QR version 1: 21 modules.
        expect(Number(bq![1]) + 21 * 6).toBeLessThanOrEqual(400);
        expect(Number(bq![2]) + 21 * 6).toBeLessThanOrEqual(200);
      },
      2 * PER_SPAWN,
    );
  },
);
