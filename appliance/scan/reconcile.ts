// What changed on the shelves, from the inventory the cabinet expects and the codes a scan read.
// Pure: the scan service applies the outcome in one transaction.
import { isLiloCode } from "../../shared/labels/label-code.js";

export interface ExpectedContainer {
  container_id: string;
  qr_code: string;
  shelf_level: number;
  /** `in_cabinet`, `checked_out`, or anything else (disposed, empty...), which reconciliation leaves alone. */
  status: string | null;
}

export interface Reconciliation {
  /** In the cabinet before, not seen now on its (scanned) shelf or anywhere else. */
  taken: { container: ExpectedContainer; from: number }[];
  /** Checked out before, seen again. */
  returned: { container: ExpectedContainer; to: number }[];
  /** In the cabinet before, seen on another shelf. */
  moved: { container: ExpectedContainer; from: number; to: number }[];
  /** Seen where expected. */
  present: { container: ExpectedContainer; shelf: number }[];
  /** L.I.L.O. codes this cabinet does not know: prompt to register. */
  unknown: { qr_code: string; shelf: number }[];
  /** Codes that are not L.I.L.O. labels (vendor codes): recorded, never trusted. */
  foreign: { qr_code: string; shelf: number }[];
  /** Expected on a shelf whose scan failed: nothing can be concluded. */
  unverified: ExpectedContainer[];
  /**
   * Not read, but its shelf shows a label that could not be read: probably turned away or bent.
   * The technician is asked to turn the bottle rather than the cabinet guessing it was taken.
   */
  labelNotRead: { container: ExpectedContainer; shelf: number }[];
}

/**
 * @param observed every code read, with the shelf it was read on
 * @param scannedShelves shelves whose image was captured and decoded; a failed shelf proves nothing
 * @param unreadLabels per shelf, how many labels were seen but not read
 */
export function reconcile(
  expected: readonly ExpectedContainer[],
  observed: ReadonlyMap<string, number>,
  scannedShelves: ReadonlySet<number>,
  unreadLabels: ReadonlyMap<number, number> = new Map(),
): Reconciliation {
  const r: Reconciliation = {
    taken: [],
    returned: [],
    moved: [],
    present: [],
    unknown: [],
    foreign: [],
    unverified: [],
    labelNotRead: [],
  };
  const unreadLeft = new Map(unreadLabels);
  const known = new Set<string>();
  for (const c of expected) {
    known.add(c.qr_code);
    const seenOn = observed.get(c.qr_code);
    if (c.status === "in_cabinet") {
      if (seenOn === undefined) {
        const unread = unreadLeft.get(c.shelf_level) ?? 0;
        if (!scannedShelves.has(c.shelf_level)) r.unverified.push(c);
        else if (unread > 0) {
          unreadLeft.set(c.shelf_level, unread - 1);
          r.labelNotRead.push({ container: c, shelf: c.shelf_level });
        } else r.taken.push({ container: c, from: c.shelf_level });
      } else if (seenOn === c.shelf_level) r.present.push({ container: c, shelf: seenOn });
      else r.moved.push({ container: c, from: c.shelf_level, to: seenOn });
    } else if (c.status === "checked_out" && seenOn !== undefined) {
      r.returned.push({ container: c, to: seenOn });
    }
  }
  for (const [qr_code, shelf] of observed) {
    if (known.has(qr_code)) continue;
    (isLiloCode(qr_code) ? r.unknown : r.foreign).push({ qr_code, shelf });
  }
  return r;
}
