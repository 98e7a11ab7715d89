import { describe, expect, it } from "vitest";
import { ContainerInsert, isValidCas } from "./validation.js";

describe("CAS numbers", () => {
  it.each([
    ["67-64-1", true], // acetone
    ["7732-18-5", true], // water
    ["1310-73-2", true], // sodium hydroxide
    ["7647-01-0", true], // hydrochloric acid
    ["67-64-2", false], // wrong check digit
    ["6764-1", false],
    ["abc", false],
  ])("%s valid: %s", (cas, ok) => expect(isValidCas(cas)).toBe(ok));
});

describe("container validation derived from the schema", () => {
  const base = {
    cabinet_id: "0b0e7c0e-4c34-4c8e-9a55-000000000001",
    qr_code: "LILO:C:000001",
    shelf_level: 3,
    chemical_name: "Acetone",
    cas_number: "67-64-1",
    quantity: "500",
    unit: "mL",
  };

  it("accepts a well-formed container", () => expect(ContainerInsert.safeParse(base).success).toBe(true));

  it.each([
    [{ shelf_level: 0 }, "shelf_level"],
    [{ shelf_level: 21 }, "shelf_level"],
    [{ cas_number: "67-64-2" }, "cas_number"],
    [{ chemical_name: undefined }, "chemical_name"],
    [{ qr_code: "x".repeat(101) }, "qr_code"],
  ])("rejects %o naming %s", (patch, field) => {
    const r = ContainerInsert.safeParse({ ...base, ...patch });
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => i.path[0])).toContain(field);
  });
});
