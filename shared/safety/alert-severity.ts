// An alert's severity from the hazards of the containers involved: one table for the cabinet and the cloud.
import type { AlertSeverity } from "../enums.js";
import { type ContainerFacts, groupsOf } from "./chemical-groups.js";

const ORDER: readonly AlertSeverity[] = ["low", "medium", "high", "critical"];

export function maxSeverity(...levels: AlertSeverity[]): AlertSeverity {
  return ORDER[Math.max(0, ...levels.map((l) => ORDER.indexOf(l)))]!;
}

const FATAL = ["H300", "H310", "H330"];
const SEVERE = ["H314", "H318", "H301", "H311", "H331", "H340", "H350", "H360", "H370"];

/**
 * How dangerous one container is when it escapes: critical for what kills on contact or reacts
 * violently (fatal toxicity, water-reactive, strong oxidizer), high for corrosive, toxic, flammable,
 * medium for any other classified hazard, low for nothing classified.
 */
export function hazardLevel(c: ContainerFacts): AlertSeverity {
  const statements = (c.h_statements ?? []).flatMap((s) => s.toUpperCase().split("+"));
  const classes = (c.hazard_class ?? []).map((h) => h.toLowerCase());
  const groups = groupsOf(c);
  if (statements.some((s) => FATAL.includes(s) || s === "H271") || groups.has("water_reactive"))
    return "critical";
  if (
    statements.some((s) => SEVERE.includes(s)) ||
    ["corrosive", "toxic", "explosive"].some((k) => classes.includes(k)) ||
    groups.has("oxidizer") ||
    groups.has("flammable") ||
    groups.has("acid") ||
    groups.has("base")
  )
    return "high";
  if (statements.length > 0 || classes.length > 0) return "medium";
  return "low";
}

/** The worst hazard among the containers, `low` for none. */
export function worstHazard(containers: ContainerFacts[]): AlertSeverity {
  return maxSeverity("low", ...containers.map(hazardLevel));
}

/**
 * A spill or broken container: at least medium (an unknown liquid is not harmless), otherwise as bad as
 * the worst container on the shelf it was seen on.
 */
export function releaseSeverity(onShelf: ContainerFacts[]): AlertSeverity {
  return maxSeverity("medium", worstHazard(onShelf));
}
