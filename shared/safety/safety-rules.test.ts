// The safety rules as tables of cases: real chemicals (shared/chemicals.ts) on shelves of cabinets of
// each storage type, and what each rule finds or must not find.
import { describe, expect, it } from "vitest";
import { DEMO_CHEMICALS } from "../chemicals.js";
import { hazardLevel, releaseSeverity } from "./alert-severity.js";
import { groupsOf } from "./chemical-groups.js";
import {
  addMonths,
  alertIdFor,
  evaluateSafetyRules,
  type RuleCabinet,
  type RuleContainer,
} from "./safety-rules.js";

const TODAY = "2026-12-06";
let n = 0;
function container(name: string, extra: Partial<RuleContainer> = {}): RuleContainer {
  const known = DEMO_CHEMICALS.find((c) => c.chemical_name === name);
  n++;
  return {
    container_id: `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`,
    chemical_name: name,
    cas_number: known?.cas_number ?? null,
    chemical_formula: known?.chemical_formula ?? null,
    hazard_class: known?.hazard_class ?? [],
    h_statements: known?.h_statements ?? [],
    shelf_level: 1,
    status: "in_cabinet",
    quantity: "500",
    minimum_quantity: null,
    unit: "mL",
    expiry_date: null,
    date_opened: null,
    ...extra,
  };
}
const cabinet = (storage_type: string | null): RuleCabinet => ({
  cabinet_id: "11111111-1111-4111-8111-111111111111",
  lab_id: "22222222-2222-4222-8222-222222222222",
  storage_type,
});
const ether = (extra: Partial<RuleContainer> = {}) =>
  container("Diethyl ether", {
    cas_number: "60-29-7",
    chemical_formula: "C4H10O",
    hazard_class: ["flammable"],
    h_statements: ["H224", "H302", "H336", "EUH019"],
    ...extra,
  });
const sodium = (extra: Partial<RuleContainer> = {}) =>
  container("Sodium metal", {
    cas_number: "7440-23-5",
    chemical_formula: "Na",
    h_statements: ["H260", "H314"],
    ...extra,
  });

describe("chemical groups", () => {
  it.each([
    ["Hydrochloric acid 37%", ["acid", "aqueous"]],
    ["Nitric acid 65%", ["acid", "aqueous", "oxidizer"]],
    ["Sodium hydroxide pellets", ["base"]],
    ["Hydrogen peroxide 30%", ["aqueous", "oxidizer"]],
    ["Acetone", ["flammable", "organic"]],
    ["Dichloromethane", ["organic"]],
    ["Sodium chloride", []],
  ])("%s is %j", (name, groups) => {
    expect([...groupsOf(container(name))].sort()).toEqual(groups);
  });

  it("knows water-reactives and peroxide formers by CAS or H-statement", () => {
    expect(groupsOf(sodium()).has("water_reactive")).toBe(true);
    expect(groupsOf(ether()).has("peroxide_former")).toBe(true);
    expect(groupsOf(container("2-Propanol")).has("peroxide_former")).toBe(true);
  });
});

describe("severity from hazards", () => {
  it.each([
    ["Sodium chloride", "low"],
    ["Dichloromethane", "high"],
    ["Acetone", "high"],
    ["Hydrochloric acid 37%", "high"],
  ])("%s on its own is %s", (name, level) => {
    expect(hazardLevel(container(name))).toBe(level);
  });

  it("water-reactives and fatal toxics are critical; a release is at least medium", () => {
    expect(hazardLevel(sodium())).toBe("critical");
    expect(hazardLevel(container("Cyanide", { h_statements: ["H300+H310+H330"] }))).toBe("critical");
    expect(releaseSeverity([])).toBe("medium");
    expect(releaseSeverity([container("Sodium chloride")])).toBe("medium");
    expect(releaseSeverity([container("Sodium chloride"), container("Nitric acid 65%")])).toBe("high");
  });
});

describe("expired containers", () => {
  it.each([
    { expiry: "2026-12-05", status: "in_cabinet", name: "Acetone", finds: "medium" },
    { expiry: "2026-12-05", status: "checked_out", name: "Acetone", finds: "medium" },
    { expiry: "2026-12-05", status: "in_cabinet", name: "Sodium chloride", finds: "low" },
    { expiry: "2026-12-06", status: "in_cabinet", name: "Acetone", finds: null },
    { expiry: "2027-01-01", status: "in_cabinet", name: "Acetone", finds: null },
    { expiry: "2026-01-01", status: "disposed", name: "Acetone", finds: null },
  ])("expiring $expiry, $status $name: $finds", ({ expiry, status, name, finds }) => {
    const c = container(name, { expiry_date: expiry, status });
    const found = evaluateSafetyRules(cabinet("general"), [c], TODAY).filter(
      (f) => f.alert_type === "expired_chemical",
    );
    expect(found.map((f) => f.severity)).toEqual(finds ? [finds] : []);
    if (finds) expect(found[0]).toMatchObject({ container_id: c.container_id, shelf_id: 1 });
  });
});

describe("peroxide formers", () => {
  it.each([
    { opened: "2026-01-01", months: 12, finds: null },
    { opened: "2025-12-05", months: 12, finds: "high" },
    { opened: "2024-12-05", months: 12, finds: "critical" },
    { opened: null, months: 12, finds: null },
  ])("ether opened $opened: $finds", ({ opened, finds }) => {
    const found = evaluateSafetyRules(cabinet("flammable"), [ether({ date_opened: opened })], TODAY).filter(
      (f) => f.alert_type === "peroxide_former_expired",
    );
    expect(found.map((f) => f.severity)).toEqual(finds ? [finds] : []);
  });

  it("uses the class A limit of three months for diisopropyl ether, six for an unlisted EUH019", () => {
    const ipe = container("Diisopropyl ether", {
      cas_number: "108-20-3",
      chemical_formula: "C6H14O",
      h_statements: ["H225", "EUH019"],
      date_opened: "2026-08-01",
    });
    const other = container("Some ether", { h_statements: ["EUH019"], date_opened: "2026-07-01" });
    const found = evaluateSafetyRules(cabinet("flammable"), [ipe, other], TODAY).filter(
      (f) => f.alert_type === "peroxide_former_expired",
    );
    expect(found.map((f) => f.container_id)).toEqual([ipe.container_id]);
    expect(addMonths("2026-08-31", 6)).toBe("2027-02-28");
  });
});

describe("incompatible storage", () => {
  const kinds = (storage: string | null, cs: RuleContainer[]) =>
    evaluateSafetyRules(cabinet(storage), cs, TODAY)
      .filter((f) => f.alert_type === "incompatible_storage")
      .map((f) => `${f.hazard_type}:${f.severity}`)
      .sort();

  it.each([
    {
      why: "acid with base on one shelf",
      storage: "general",
      shelves: [
        ["Hydrochloric acid 37%", 1],
        ["Sodium hydroxide pellets", 1],
      ],
      finds: ["acid+base:high"],
    },
    {
      why: "acid and base on different shelves of a general cabinet",
      storage: "general",
      shelves: [
        ["Hydrochloric acid 37%", 1],
        ["Sodium hydroxide pellets", 2],
      ],
      finds: [],
    },
    {
      why: "oxidizer with flammable on one shelf",
      storage: "chemical",
      shelves: [
        ["Hydrogen peroxide 30%", 3],
        ["Ethanol", 3],
      ],
      finds: ["oxidizer+flammable:critical"],
    },
    {
      why: "oxidizer with an organic that does not burn",
      storage: null,
      shelves: [
        ["Hydrogen peroxide 30%", 2],
        ["Dichloromethane", 2],
      ],
      finds: ["oxidizer+organic:high"],
    },
    {
      why: "anywhere in a flammables cabinet, and the oxidizer does not belong there",
      storage: "flammable",
      shelves: [
        ["Nitric acid 65%", 1],
        ["Acetone", 4],
      ],
      finds: ["oxidizer+flammable:critical", "oxidizer-in-flammable:high"],
    },
    {
      why: "two acids together in an acid cabinet",
      storage: "acid",
      shelves: [
        ["Hydrochloric acid 37%", 1],
        ["Sulfuric acid 95-98%", 2],
      ],
      finds: [],
    },
    {
      why: "a base in an acid cabinet",
      storage: "acid",
      shelves: [
        ["Hydrochloric acid 37%", 1],
        ["Sodium hydroxide pellets", 2],
      ],
      finds: ["acid+base:high", "base-in-acid:high"],
    },
    {
      why: "solvents together",
      storage: "flammable",
      shelves: [
        ["Acetone", 1],
        ["Ethanol", 1],
        ["Toluene", 2],
      ],
      finds: [],
    },
  ])("$why: $finds", ({ storage, shelves, finds }) => {
    const cs = shelves.map(([name, shelf]) => container(name as string, { shelf_level: shelf as number }));
    expect(kinds(storage, cs)).toEqual(finds);
  });

  it("water-reactives near aqueous solutions are critical", () => {
    expect(kinds("general", [sodium(), container("Hydrochloric acid 37%")])).toContain(
      "water_reactive+aqueous:critical",
    );
  });

  it("counts only containers in the cabinet now", () => {
    const out = container("Sodium hydroxide pellets", { status: "checked_out" });
    expect(kinds("general", [container("Hydrochloric acid 37%"), out])).toEqual([]);
  });
});

describe("minimum quantity", () => {
  it.each([
    { quantity: "99.5", minimum: "100", finds: true },
    { quantity: "100", minimum: "100", finds: false },
    { quantity: "5", minimum: null, finds: false },
  ])("$quantity of minimum $minimum: $finds", ({ quantity, minimum, finds }) => {
    const found = evaluateSafetyRules(
      cabinet("general"),
      [container("Ethanol", { quantity, minimum_quantity: minimum })],
      TODAY,
    ).filter((f) => f.alert_type === "low_stock");
    expect(found.length).toBe(finds ? 1 : 0);
  });
});

describe("one alert per condition", () => {
  it("names a condition with the same id every time and on every side, a changed one with another", () => {
    const acid = container("Hydrochloric acid 37%", { expiry_date: "2026-01-01" });
    const base = container("Sodium hydroxide pellets");
    const ids = (cs: RuleContainer[]) =>
      evaluateSafetyRules(cabinet("general"), cs, TODAY).map((f) => f.alert_id);
    const first = ids([acid, base]);
    expect(ids([base, acid]).sort()).toEqual([...first].sort());
    expect(new Set(first).size).toBe(first.length);
    expect(ids([{ ...acid, expiry_date: "2026-02-01" }, base])).not.toContain(first[0]);
    expect(alertIdFor("x")).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
