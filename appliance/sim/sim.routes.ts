// The simulator control API (sim mode only): what a person would do at a real cabinet — swipe a badge,
// open the door, take, return or move a container, spill something — plus what its cameras would see.
import { Hono } from "hono";
import { z } from "zod";
import { AppError } from "../../shared/errors.js";
import { parseBody } from "../../shared/http/errors.js";
import type { ShelfRenderFn } from "../hardware/camera.sim.js";
import type { SimCabinet } from "../hardware/sim-cabinet.js";

const unit = z.number().min(0).max(1);
const BadgeBody = z.object({ badge: z.string().trim().min(1).max(128) });
/** `force` opens a locked door, as a crowbar would: the appliance must record it as forced entry. */
const DoorBody = z.object({ open: z.boolean(), force: z.boolean().default(false) });
const ContainerBody = z.object({
  qr_code: z.string().trim().min(1).max(100),
  x: unit.optional(),
  y: unit.optional(),
});
/** `unreadable`: the bottle is turned so its label faces away; false turns it back. */
const LabelBody = z.object({ unreadable: z.boolean() });
const HazardBody = z.object({
  x: unit,
  y: unit,
  radius: unit.positive(),
  kind: z.enum(["spill", "breakage"]),
});

export interface SimRouteDeps {
  cabinet: SimCabinet;
  render: ShelfRenderFn;
  /** Swipes at the simulated reader and resolves once the appliance has decided. */
  swipe: (badge: string) => Promise<unknown>;
  /**
   * The kiosk key of this start. A simulated cabinet's kiosk page takes it from here (a real kiosk
   * browser is handed it from the key file): whoever reaches /sim can open the door anyway.
   */
  kioskKey: () => string;
}

export function simRoutes({ cabinet, render, swipe, kioskKey }: SimRouteDeps): Hono {
  const shelfOf = (raw: string): number => {
    const shelf = Number(raw);
    if (!cabinet.snapshot().shelves.some((s) => s.shelf === shelf)) {
      throw new AppError("not_found", `no shelf ${raw} in this cabinet`);
    }
    return shelf;
  };

  return new Hono()
    .get("/state", (c) => {
      const s = cabinet.snapshot();
      return c.json({
        door: s.door,
        lock: s.lock,
        shelves: s.shelves.map((sh) => ({ shelf: sh.shelf, containers: sh.containers, hazards: sh.hazards })),
      });
    })
    .get("/kiosk-key", (c) => c.json({ key: kioskKey() }))
    .post("/badge", async (c) => {
      const { badge } = await parseBody(c, BadgeBody);
      return c.json(await swipe(badge));
    })
    .post("/door", async (c) => {
      const { open, force } = await parseBody(c, DoorBody);
      if (open && !force && cabinet.lockState() === "locked") {
        // A locked door does not open for the simulator any more than it would for a person.
        throw new AppError("conflict", "the cabinet is locked: swipe a badge first");
      }
      cabinet.setDoor(open);
      return c.json({ door: cabinet.doorState() });
    })
    .post("/shelves/:shelf/containers", async (c) => {
      const shelf = shelfOf(c.req.param("shelf"));
      const body = await parseBody(c, ContainerBody);
      const onShelf = cabinet
        .snapshot()
        .shelves.find((s) => s.containers.some((x) => x.qr_code === body.qr_code));
      if (onShelf) throw new AppError("conflict", `${body.qr_code} is already on shelf ${onShelf.shelf}`);
      return c.json(cabinet.addContainer(shelf, body), 201);
    })
    .delete("/shelves/:shelf/containers/:qr", (c) => {
      const shelf = shelfOf(c.req.param("shelf"));
      const qr = decodeURIComponent(c.req.param("qr"));
      if (!cabinet.removeContainer(shelf, qr))
        throw new AppError("not_found", `${qr} is not on shelf ${shelf}`);
      return c.body(null, 204);
    })
    .patch("/shelves/:shelf/containers/:qr", async (c) => {
      const shelf = shelfOf(c.req.param("shelf"));
      const qr = decodeURIComponent(c.req.param("qr"));
      const { unreadable } = await parseBody(c, LabelBody);
      if (!cabinet.setUnreadable(shelf, qr, unreadable))
        throw new AppError("not_found", `${qr} is not on shelf ${shelf}`);
      return c.json({ qr_code: qr, shelf, unreadable });
    })
    .post("/shelves/:shelf/spill", async (c) => {
      const shelf = shelfOf(c.req.param("shelf"));
      const hazard = await parseBody(c, HazardBody);
      cabinet.addHazard(shelf, hazard);
      return c.json(hazard, 201);
    })
    .delete("/shelves/:shelf/spill", (c) => {
      cabinet.clearHazards(shelfOf(c.req.param("shelf")));
      return c.body(null, 204);
    })
    .get("/shelves/:shelf/image", async (c) => {
      const state = cabinet.shelfState(shelfOf(c.req.param("shelf")));
      const jpeg = await render({ containers: state.containers, hazards: state.hazards, seed: state.shelf });
      return c.body(new Uint8Array(jpeg), 200, { "content-type": "image/jpeg" });
    });
}
