// Storage-compatibility groups of a container, read from what its record says (hazard classes,
// H-statements, formula, name) and from short lists of well-known acids, bases, water-reactives and
// peroxide formers by CAS number. Shared: the cabinet and the cloud classify alike.

export const CHEMICAL_GROUPS = [
  "acid",
  "base",
  "oxidizer",
  "flammable",
  "organic",
  "water_reactive",
  "aqueous",
  "peroxide_former",
] as const;
export type ChemicalGroup = (typeof CHEMICAL_GROUPS)[number];

/** What a rule needs to know about a container; the columns of chemical_inventory. */
export interface ContainerFacts {
  container_id: string;
  chemical_name: string;
  cas_number: string | null;
  chemical_formula: string | null;
  hazard_class: string[] | null;
  h_statements: string[] | null;
}

const ACIDS = new Set([
  "7647-01-0", // hydrochloric
  "7664-93-9", // sulfuric
  "7697-37-2", // nitric
  "7664-38-2", // phosphoric
  "7664-39-3", // hydrofluoric
  "7601-90-3", // perchloric
  "64-19-7", // acetic
  "64-18-6", // formic
  "76-05-1", // trifluoroacetic
  "10035-10-6", // hydrobromic
]);
const BASES = new Set([
  "1310-73-2", // sodium hydroxide
  "1310-58-3", // potassium hydroxide
  "1336-21-6", // ammonium hydroxide
  "7664-41-7", // ammonia
  "1310-65-2", // lithium hydroxide
  "497-19-8", // sodium carbonate
  "121-44-8", // triethylamine
]);
const WATER_REACTIVE = new Set([
  "7440-23-5", // sodium
  "7440-09-7", // potassium
  "7439-93-2", // lithium
  "7646-69-7", // sodium hydride
  "16853-85-3", // lithium aluminium hydride
  "7789-78-8", // calcium hydride
  "109-72-8", // n-butyllithium
  "10025-87-3", // phosphorus oxychloride
  "7719-09-7", // thionyl chloride
]);

/**
 * Peroxide formers by CAS with their safe age once opened, in months (the usual A/B/C lists: class A
 * forms explosive peroxides on storage alone, class B on concentration, class C polymerises).
 */
export const PEROXIDE_FORMER_MONTHS: ReadonlyMap<string, number> = new Map([
  ["108-20-3", 3], // diisopropyl ether (A)
  ["7440-09-7", 3], // potassium metal (A)
  ["60-29-7", 12], // diethyl ether (B)
  ["109-99-9", 12], // tetrahydrofuran (B)
  ["123-91-1", 12], // 1,4-dioxane (B)
  ["110-71-4", 12], // 1,2-dimethoxyethane (B)
  ["110-83-8", 12], // cyclohexene (B)
  ["67-63-0", 12], // 2-propanol (B)
  ["75-85-4", 12], // tert-amyl alcohol (B)
  ["100-42-5", 6], // styrene (C)
  ["108-05-4", 6], // vinyl acetate (C)
  ["80-62-6", 6], // methyl methacrylate (C)
]);
/** A peroxide former not on the list (EUH019 or the hazard class says so): the shortest common rule. */
export const DEFAULT_PEROXIDE_MONTHS = 6;

const has = (list: string[] | null, ...codes: string[]) =>
  (list ?? []).some((s) => codes.some((code) => s.toUpperCase().split("+").includes(code)));

/** Carbon bonded in an organic compound: a C not followed by a lowercase letter (Cl, Ca), with H. */
const ORGANIC_FORMULA = /C(?![a-z])/;
const HYDROGEN = /H(?![a-z])/;

export function groupsOf(c: ContainerFacts): Set<ChemicalGroup> {
  const classes = new Set((c.hazard_class ?? []).map((h) => h.toLowerCase()));
  const cas = c.cas_number?.trim() ?? "";
  const name = c.chemical_name.toLowerCase();
  const h = c.h_statements;
  const groups = new Set<ChemicalGroup>();
  const add = (group: ChemicalGroup, when: boolean) => when && groups.add(group);

  add("acid", classes.has("acid") || ACIDS.has(cas) || /\bacid\b/.test(name));
  add("base", classes.has("base") || BASES.has(cas) || /hydroxide|\bammonia/.test(name));
  add("oxidizer", classes.has("oxidizer") || has(h, "H270", "H271", "H272"));
  add(
    "flammable",
    classes.has("flammable") || has(h, "H220", "H221", "H222", "H224", "H225", "H226", "H228"),
  );
  add(
    "water_reactive",
    classes.has("water_reactive") || WATER_REACTIVE.has(cas) || has(h, "H260", "H261", "EUH014", "EUH029"),
  );
  add(
    "peroxide_former",
    classes.has("peroxide_former") || PEROXIDE_FORMER_MONTHS.has(cas) || has(h, "EUH019"),
  );
  const formula = c.chemical_formula ?? "";
  add("organic", ORGANIC_FORMULA.test(formula) && HYDROGEN.test(formula));
  // Solutions: named so, or an inorganic acid, base or peroxide given as a percentage (in water).
  add(
    "aqueous",
    classes.has("aqueous") ||
      /solution|aqueous|\(aq\)|in water/.test(name) ||
      (/\d\s*%/.test(name) && !groups.has("organic") && !groups.has("water_reactive")),
  );
  return groups;
}

/** Months a peroxide former stays safe once opened; undefined for anything else. */
export function peroxideSafeMonths(c: ContainerFacts): number | undefined {
  if (!groupsOf(c).has("peroxide_former")) return undefined;
  return PEROXIDE_FORMER_MONTHS.get(c.cas_number?.trim() ?? "") ?? DEFAULT_PEROXIDE_MONTHS;
}
