// Saved views over the API on the real server when configured: a technician saves an inventory view,
// shares it with their lab, and a colleague of that lab finds it; a technician of another lab and
// another organization's owner do not (404), nobody but the owner changes it, and bad filters or a lab
// one cannot read are refused with nothing saved.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { savedViews } from "../../shared/schema/tenant.js";
import { type ReportWorld, reportBackend, reportWorld } from "../../test/support/report-world.js";
import { savedViewRoutes } from "../api/v1/saved-views/saved-views.routes.js";
import { SavedViewService } from "./saved-view.service.js";

interface View {
  view_id: string;
  name: string;
  path: string;
  visibility: string;
  mine: boolean;
  filters: Record<string, string>;
}

describe(`saved views on ${reportBackend.name}`, () => {
  let w: ReportWorld;
  const views = (who: Parameters<ReportWorld["api"]>[0], org = w.org.org_id) =>
    w
      .api(who, `/orgs/${org}/saved-views`)
      .then(async (r) => ({ status: r.status, body: (await r.json()) as { items: View[] } }));
  const count = () => w.tenant((tx) => tx.$count(savedViews));

  beforeAll(async () => {
    w = await reportWorld((access, database) => [
      savedViewRoutes({ access, views: new SavedViewService(database) }),
    ]);
  }, 120_000);
  afterAll(() => w?.dispose());

  let shared: View;

  it("saves a filtered inventory view, private at first: only its owner sees it", async () => {
    const res = await w.api("techA", `/orgs/${w.org.org_id}/saved-views`, {
      method: "POST",
      body: {
        name: "Flammables expiring",
        entity: "chemicals",
        filters: { hazard_class: "flammable", expires_before: "2027-01-31", cabinet_id: w.org.cabinet_id },
      },
    });
    expect(res.status).toBe(201);
    shared = (await res.json()) as View;
    expect(shared).toMatchObject({ visibility: "private", mine: true });
    const path = new URL(shared.path, "http://x");
    expect(path.pathname).toBe(`/api/v1/orgs/${w.org.org_id}/containers`);
    expect(Object.fromEntries(path.searchParams)).toEqual({
      hazard_class: "flammable",
      expires_before: "2027-01-31",
      cabinet_id: w.org.cabinet_id,
    });
    expect((await views("manager")).body.items.map((v) => v.view_id)).not.toContain(shared.view_id);
    expect((await w.api("manager", `/orgs/${w.org.org_id}/saved-views/${shared.view_id}`)).status).toBe(404);
  });

  it("shared with the lab, a colleague who reads that lab sees it; another lab's technician and another organization do not", async () => {
    const res = await w.api("techA", `/orgs/${w.org.org_id}/saved-views/${shared.view_id}`, {
      method: "PATCH",
      body: { visibility: "shared", shared_with_labs: [w.labA] },
    });
    expect(res.status).toBe(200);
    // The manager reads every lab (organization role), so lab A's share reaches them.
    const seen = await views("manager");
    expect(seen.body.items.find((v) => v.view_id === shared.view_id)).toMatchObject({
      name: "Flammables expiring",
      mine: false,
      filters: { hazard_class: "flammable" },
    });
    expect((await w.api("manager", `/orgs/${w.org.org_id}/saved-views/${shared.view_id}`)).status).toBe(200);

    expect((await views("techB")).body.items.map((v) => v.view_id)).not.toContain(shared.view_id);
    expect((await w.api("techB", `/orgs/${w.org.org_id}/saved-views/${shared.view_id}`)).status).toBe(404);

    const outsider = await w.api("outsider", `/orgs/${w.org.org_id}/saved-views/${shared.view_id}`);
    expect(outsider.status).toBe(404);
    expect(await outsider.text()).not.toContain("Flammables");
    expect((await views("outsider", w.org.org_id)).status).toBe(404);
    // Their own organization does not hold it either.
    expect((await w.api("outsider", `/orgs/${w.otherOrg}/saved-views/${shared.view_id}`)).status).toBe(404);
    expect((await views("outsider", w.otherOrg)).body.items).toEqual([]);
  });

  it("only the owner changes or deletes it: a colleague who sees it is refused, one who does not gets 404", async () => {
    const before = await count();
    const patch = { method: "PATCH", body: { name: "Hijacked" } };
    expect(
      (await w.api("manager", `/orgs/${w.org.org_id}/saved-views/${shared.view_id}`, patch)).status,
    ).toBe(403);
    expect((await w.api("techB", `/orgs/${w.org.org_id}/saved-views/${shared.view_id}`, patch)).status).toBe(
      404,
    );
    expect(
      (await w.api("outsider", `/orgs/${w.otherOrg}/saved-views/${shared.view_id}`, { method: "DELETE" }))
        .status,
    ).toBe(404);
    expect(
      (await w.api("manager", `/orgs/${w.org.org_id}/saved-views/${shared.view_id}`, { method: "DELETE" }))
        .status,
    ).toBe(403);
    expect(await count()).toBe(before);
    const mine = (await (
      await w.api("techA", `/orgs/${w.org.org_id}/saved-views/${shared.view_id}`)
    ).json()) as View;
    expect(mine.name).toBe("Flammables expiring");
  });

  it("refuses bad filters, a lab the owner cannot read and a public share without organization-wide access; nothing is saved", async () => {
    const before = await count();
    const post = (body: unknown) =>
      w.api("techA", `/orgs/${w.org.org_id}/saved-views`, { method: "POST", body });
    const unknownFilter = await post({ name: "x", entity: "chemicals", filters: { colour: "red" } });
    expect(unknownFilter.status).toBe(400);
    expect(
      ((await unknownFilter.json()) as { error: { fields: Record<string, string> } }).error.fields,
    ).toHaveProperty(["filters.colour"]);
    const badDate = await post({ name: "x", entity: "events", filters: { since: "yesterday" } });
    expect(badDate.status).toBe(400);
    expect(
      ((await badDate.json()) as { error: { fields: Record<string, string> } }).error.fields,
    ).toHaveProperty(["filters.since"]);
    expect(
      (
        await post({
          name: "x",
          entity: "chemicals",
          filters: { cabinet_id: w.cabinetB },
          visibility: "shared",
          shared_with_labs: [w.labB],
        })
      ).status,
    ).toBe(403);
    expect((await post({ name: "x", entity: "chemicals", visibility: "public" })).status).toBe(403);
    expect((await post({ name: "x", entity: "chemicals", visibility: "shared" })).status).toBe(400);
    expect(await count()).toBe(before);
  });

  it("a public event view of the manager is seen by both labs' technicians, and deleted by its owner", async () => {
    const res = await w.api("manager", `/orgs/${w.org.org_id}/saved-views`, {
      method: "POST",
      body: {
        name: "Critical events",
        entity: "events",
        filters: { event_category: "safety" },
        visibility: "public",
      },
    });
    expect(res.status).toBe(201);
    const pub = (await res.json()) as View;
    for (const who of ["techA", "techB"] as const) {
      expect((await views(who)).body.items.map((v) => v.view_id)).toContain(pub.view_id);
    }
    expect((await views("outsider", w.otherOrg)).body.items).toEqual([]);
    expect(
      (await w.api("manager", `/orgs/${w.org.org_id}/saved-views/${pub.view_id}`, { method: "DELETE" }))
        .status,
    ).toBe(204);
    expect((await views("techA")).body.items.map((v) => v.view_id)).not.toContain(pub.view_id);
  });
});
