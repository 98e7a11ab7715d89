import { describe, expect, it } from "vitest";
import { hazardStatement } from "./hazard-statements.js";

describe("hazard statements", () => {
  it("spells out a code, and a combined code as its parts", () => {
    expect(hazardStatement("H319")).toBe("Causes serious eye irritation");
    expect(hazardStatement("H301+H311+H331")).toBe(
      "Toxic if swallowed; Toxic in contact with skin; Toxic if inhaled",
    );
  });
  it("has no words for a code it does not know, rather than a wrong one", () => {
    expect(hazardStatement("H999")).toBeUndefined();
    expect(hazardStatement("H301+H999")).toBeUndefined();
  });
});
