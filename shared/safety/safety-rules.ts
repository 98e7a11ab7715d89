// The chemical safety rules, as pure functions of one cabinet and its containers on one day: expired
// containers, peroxide formers past their safe age once opened, incompatible storage, stock below its
// minimum. The cabinet runs them after every scan and the cloud daily; each finding carries an alert id
// derived from what it is about, so both sides name the same condition with the same id and an alert is
// never raised twice (docs/alerts.md, "One alert per condition").
import { createHash } from "node:crypto";
import type { AlertSeverity, AlertType } from "../enums.js";
import { maxSeverity, worstHazard } from "./alert-severity.js";
import { type ChemicalGroup, type ContainerFacts, groupsOf, peroxideSafeMonths } from "./chemical-groups.js";

export interface RuleContainer extends ContainerFacts {
  shelf_level: number;
  status: string | null;
  quantity: string;
  minimum_quantity: string | null;
  unit: string;
  /** YYYY-MM-DD */
  expiry_date: string | null;
  date_opened: string | null;
}

/** The chemical_inventory columns the rules read: the same names on the cabinet (SQLite) and in the cloud. */
export const RULE_CONTAINER_FIELDS = [
  "container_id",
  "chemical_name",
  "cas_number",
  "chemical_formula",
  "hazard_class",
  "h_statements",
  "shelf_level",
  "status",
  "quantity",
  "minimum_quantity",
  "unit",
  "expiry_date",
  "date_opened",
] as const;
type RuleField = (typeof RULE_CONTAINER_FIELDS)[number];

/** Those columns of either side's chemical_inventory table, for a select. */
export function ruleColumns<T extends Record<RuleField, unknown>>(table: T): Pick<T, RuleField> {
  return Object.fromEntries(RULE_CONTAINER_FIELDS.map((f) => [f, table[f]])) as Pick<T, RuleField>;
}

export interface RuleCabinet {
  cabinet_id: string;
  lab_id: string;
  /** 'chemical', 'biological', 'flammable', 'acid', 'base', 'general' (seed). */
  storage_type: string | null;
}

export interface SafetyFinding {
  alert_id: string;
  alert_type: AlertType;
  severity: AlertSeverity;
  hazard_type: string;
  title: string;
  description: string;
  action_required: string;
  shelf_id: number | null;
  container_id: string | null;
  affected_containers: string[];
}

/** Pairs of groups never stored together, with the severity of the mix. */
export const INCOMPATIBLE: readonly { a: ChemicalGroup; b: ChemicalGroup; severity: AlertSeverity }[] = [
  { a: "water_reactive", b: "aqueous", severity: "critical" },
  { a: "oxidizer", b: "flammable", severity: "critical" },
  { a: "acid", b: "base", severity: "high" },
  { a: "oxidizer", b: "organic", severity: "high" },
];

/**
 * In a cabinet dedicated to one class the shelves share one air space and one sump: an incompatible pair
 * anywhere in it counts. Elsewhere (general, chemical storage) a pair counts on one shelf.
 */
const DEDICATED_STORAGE = new Set(["acid", "base", "flammable"]);

/** Groups that do not belong in a cabinet of a storage type at all. */
export const EXCLUDED_FROM_STORAGE: Readonly<Record<string, readonly ChemicalGroup[]>> = {
  acid: ["base", "water_reactive", "flammable"],
  base: ["acid", "water_reactive"],
  flammable: ["oxidizer", "water_reactive"],
};

/** Not on the premises any more: no rule applies. */
const GONE = new Set(["disposed", "lost", "empty"]);

/** A UUID (RFC 9562 version 5 layout) from the condition's key: the same on every side. */
export function alertIdFor(key: string): string {
  const h = createHash("sha1").update(`lilo-safety-alert:${key}`).digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString("hex");
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

/** `date` (YYYY-MM-DD) plus whole months, as a YYYY-MM-DD string (clamped to the month's last day). */
export function addMonths(date: string, months: number): string {
  const [y, m, d] = date.split("-").map(Number) as [number, number, number];
  const first = new Date(Date.UTC(y, m - 1 + months, 1));
  const last = new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + 1, 0)).getUTCDate();
  first.setUTCDate(Math.min(d, last));
  return first.toISOString().slice(0, 10);
}

const label = (c: RuleContainer) => `${c.chemical_name} (shelf ${c.shelf_level})`;

function expired(c: RuleContainer, today: string): SafetyFinding[] {
  if (!c.expiry_date || c.expiry_date >= today) return [];
  return [
    {
      alert_id: alertIdFor(`expired:${c.container_id}:${c.expiry_date}`),
      alert_type: "expired_chemical",
      // A harmless expired reagent is housekeeping; an expired hazardous one degrades into something else.
      severity: worstHazard([c]) === "low" ? "low" : "medium",
      hazard_type: "expired",
      title: `${c.chemical_name} expired on ${c.expiry_date}`,
      description: `${label(c)} passed its expiry date ${c.expiry_date}.`,
      action_required:
        "Dispose of the container as hazardous waste or re-certify it and update its expiry date.",
      shelf_id: c.shelf_level,
      container_id: c.container_id,
      affected_containers: [c.container_id],
    },
  ];
}

function peroxideOverdue(c: RuleContainer, today: string): SafetyFinding[] {
  const months = peroxideSafeMonths(c);
  if (months === undefined || !c.date_opened) return [];
  const due = addMonths(c.date_opened, months);
  if (due >= today) return [];
  // Twice the safe age: crystals may have formed; nobody should open or move it.
  const long = addMonths(c.date_opened, months * 2) < today;
  return [
    {
      alert_id: alertIdFor(`peroxide:${c.container_id}:${c.date_opened}`),
      alert_type: "peroxide_former_expired",
      severity: long ? "critical" : "high",
      hazard_type: "peroxide_former",
      title: `${c.chemical_name} opened ${c.date_opened}: past its ${months}-month peroxide limit`,
      description: `${label(c)} forms explosive peroxides; opened containers are safe for ${months} months (until ${due}).`,
      action_required: long
        ? "Do not open or move the container. Call the safety officer for disposal."
        : "Test for peroxides and dispose of the container, or record the test and a new date.",
      shelf_id: c.shelf_level,
      container_id: c.container_id,
      affected_containers: [c.container_id],
    },
  ];
}

function belowMinimum(c: RuleContainer): SafetyFinding[] {
  if (c.minimum_quantity == null || Number(c.quantity) >= Number(c.minimum_quantity)) return [];
  return [
    {
      alert_id: alertIdFor(`low-stock:${c.container_id}:${c.minimum_quantity}`),
      alert_type: "low_stock",
      severity: "low",
      hazard_type: "low_stock",
      title: `${c.chemical_name} below its minimum (${Number(c.quantity)} of ${Number(c.minimum_quantity)} ${c.unit})`,
      description: `${label(c)} holds ${Number(c.quantity)} ${c.unit}; the minimum to keep is ${Number(c.minimum_quantity)} ${c.unit}.`,
      action_required: "Reorder the chemical.",
      shelf_id: c.shelf_level,
      container_id: c.container_id,
      affected_containers: [c.container_id],
    },
  ];
}

function incompatiblePairs(cabinet: RuleCabinet, stored: RuleContainer[]): SafetyFinding[] {
  const dedicated = DEDICATED_STORAGE.has(cabinet.storage_type ?? "");
  const grouped = stored.map((c) => ({ c, groups: groupsOf(c) }));
  const out: SafetyFinding[] = [];
  for (let i = 0; i < grouped.length; i++) {
    for (let j = i + 1; j < grouped.length; j++) {
      const [x, y] = [grouped[i]!, grouped[j]!];
      if (!dedicated && x.c.shelf_level !== y.c.shelf_level) continue;
      const clash = INCOMPATIBLE.find(
        (r) => (x.groups.has(r.a) && y.groups.has(r.b)) || (x.groups.has(r.b) && y.groups.has(r.a)),
      );
      if (!clash) continue;
      const [first, second] = [x.c, y.c].sort((p, q) => p.container_id.localeCompare(q.container_id)) as [
        RuleContainer,
        RuleContainer,
      ];
      const sameShelf = first.shelf_level === second.shelf_level;
      const kind = `${clash.a}+${clash.b}`;
      out.push({
        alert_id: alertIdFor(
          `incompatible:${cabinet.cabinet_id}:${kind}:${first.container_id}:${second.container_id}`,
        ),
        alert_type: "incompatible_storage",
        severity: clash.severity,
        hazard_type: kind,
        title: `${first.chemical_name} stored with ${second.chemical_name} (${clash.a.replace("_", "-")} with ${clash.b.replace("_", "-")})`,
        description: `${label(first)} and ${label(second)} are incompatible (${clash.a} with ${clash.b}) and share ${sameShelf ? "a shelf" : `a ${cabinet.storage_type} cabinet`}.`,
        action_required:
          "Move one of the containers to a cabinet for its class, or segregate it in secondary containment.",
        shelf_id: sameShelf ? first.shelf_level : null,
        container_id: first.container_id,
        affected_containers: [first.container_id, second.container_id],
      });
    }
  }
  return out;
}

function misplaced(cabinet: RuleCabinet, stored: RuleContainer[]): SafetyFinding[] {
  const excluded = EXCLUDED_FROM_STORAGE[cabinet.storage_type ?? ""] ?? [];
  return stored.flatMap((c) => {
    const wrong = excluded.filter((g) => groupsOf(c).has(g));
    if (wrong.length === 0) return [];
    const kind = `${wrong[0]}-in-${cabinet.storage_type}`;
    return [
      {
        alert_id: alertIdFor(`misplaced:${cabinet.cabinet_id}:${c.container_id}:${cabinet.storage_type}`),
        alert_type: "incompatible_storage" as const,
        severity: maxSeverity("high", worstHazard([c])),
        hazard_type: kind,
        title: `${c.chemical_name} (${wrong.join(", ").replaceAll("_", "-")}) in a ${cabinet.storage_type} cabinet`,
        description: `${label(c)} is ${wrong.join(" and ").replaceAll("_", "-")}, which does not belong in a cabinet for ${cabinet.storage_type} storage.`,
        action_required: "Move the container to a cabinet for its class.",
        shelf_id: c.shelf_level,
        container_id: c.container_id,
        affected_containers: [c.container_id],
      },
    ];
  });
}

/**
 * Every rule over one cabinet on `today` (YYYY-MM-DD, UTC). Expiry, peroxide age and minimum stock apply
 * to every container the cabinet holds on record (checked out too: it comes back); incompatibility to
 * those in the cabinet now.
 */
export function evaluateSafetyRules(
  cabinet: RuleCabinet,
  containers: RuleContainer[],
  today: string,
): SafetyFinding[] {
  const held = containers.filter((c) => !GONE.has(c.status ?? "in_cabinet"));
  const stored = held.filter((c) => (c.status ?? "in_cabinet") === "in_cabinet");
  return [
    ...held.flatMap((c) => [...expired(c, today), ...peroxideOverdue(c, today), ...belowMinimum(c)]),
    ...incompatiblePairs(cabinet, stored),
    ...misplaced(cabinet, stored),
  ];
}

/** The safety_alerts row of a finding, as either side inserts it. */
export function findingRow(cabinet: RuleCabinet, f: SafetyFinding, detectedAt: Date) {
  return {
    alert_id: f.alert_id,
    cabinet_id: cabinet.cabinet_id,
    lab_id: cabinet.lab_id,
    shelf_id: f.shelf_id,
    alert_type: f.alert_type,
    hazard_type: f.hazard_type,
    severity: f.severity,
    detected_at: detectedAt,
    detection_method: "safety_rule",
    container_id: f.container_id,
    title: f.title.slice(0, 255),
    description: f.description,
    affected_containers: f.affected_containers,
    action_required: f.action_required,
    status: "open" as const,
  };
}
