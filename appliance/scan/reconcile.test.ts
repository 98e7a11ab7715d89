import { describe, expect, it } from "vitest";
import { type ExpectedContainer, reconcile } from "./reconcile.js";

const c = (n: number, shelf: number, status = "in_cabinet"): ExpectedContainer => ({
  container_id: `id-${n}`,
  qr_code: `LILO:C:${String(n).padStart(6, "0")}`,
  shelf_level: shelf,
  status,
});
const all = new Set([1, 2, 3, 4]);
const seen = (...pairs: [number, number][]) =>
  new Map(pairs.map(([n, shelf]) => [`LILO:C:${String(n).padStart(6, "0")}`, shelf]));
const ids = (xs: { container: ExpectedContainer }[]) => xs.map((x) => x.container.container_id);

describe("reconcile", () => {
  it.each([
    {
      name: "nothing changed",
      expected: [c(1, 1), c(2, 2)],
      observed: seen([1, 1], [2, 2]),
      want: { present: ["id-1", "id-2"], taken: [], moved: [], returned: [] },
    },
    {
      name: "two taken, one moved",
      expected: [c(1, 1), c(2, 1), c(3, 2), c(4, 3)],
      observed: seen([3, 4], [4, 3]),
      want: { present: ["id-4"], taken: ["id-1", "id-2"], moved: ["id-3"], returned: [] },
    },
    {
      name: "a checked-out container comes back on another shelf",
      expected: [c(1, 1, "checked_out"), c(2, 2)],
      observed: seen([1, 3], [2, 2]),
      want: { present: ["id-2"], taken: [], moved: [], returned: ["id-1"] },
    },
    {
      name: "checked out and still away: nothing to do",
      expected: [c(1, 1, "checked_out")],
      observed: seen(),
      want: { present: [], taken: [], moved: [], returned: [] },
    },
    {
      name: "disposed containers are ignored even if seen",
      expected: [c(1, 1, "disposed")],
      observed: seen([1, 1]),
      want: { present: [], taken: [], moved: [], returned: [] },
    },
  ])("$name", ({ expected, observed, want }) => {
    const r = reconcile(expected, observed, all);
    expect({
      present: ids(r.present),
      taken: ids(r.taken),
      moved: ids(r.moved),
      returned: ids(r.returned),
    }).toEqual(want);
  });

  it("does not call a container taken when its shelf could not be scanned", () => {
    const r = reconcile([c(1, 1), c(2, 2)], seen([2, 2]), new Set([2, 3, 4]));
    expect(r.taken).toEqual([]);
    expect(r.unverified.map((x) => x.container_id)).toEqual(["id-1"]);
  });

  it("asks to turn a bottle instead of calling it taken when a label on its shelf could not be read", () => {
    const r = reconcile([c(1, 1), c(2, 1), c(3, 2)], seen(), all, new Map([[1, 1]]));
    expect(r.labelNotRead.map((x) => x.container.container_id)).toEqual(["id-1"]);
    expect(ids(r.taken)).toEqual(["id-2", "id-3"]);
  });

  it("reports moves with their shelves", () => {
    const r = reconcile([c(1, 1)], seen([1, 4]), all);
    expect(r.moved).toEqual([{ container: c(1, 1), from: 1, to: 4 }]);
  });

  it("separates unknown L.I.L.O. codes from foreign codes", () => {
    const r = reconcile(
      [],
      new Map([
        ["LILO:C:000999", 2],
        ["https://vendor.example/p/123", 3],
      ]),
      all,
    );
    expect(r.unknown).toEqual([{ qr_code: "LILO:C:000999", shelf: 2 }]);
    expect(r.foreign).toEqual([{ qr_code: "https://vendor.example/p/123", shelf: 3 }]);
  });
});
