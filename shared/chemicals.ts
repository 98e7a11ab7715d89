// Real chemicals for the demo and the simulator: names, CAS numbers and GHS classification as on
// suppliers' safety data sheets (CLP/GHS rev. 9).
export interface ChemicalInfo {
  chemical_name: string;
  cas_number: string;
  chemical_formula: string;
  ghs_pictograms: string[];
  signal_word: "Danger" | "Warning" | null;
  h_statements: string[];
  hazard_class: string[];
  unit: "mL" | "g";
  quantity: string;
  container_type: "bottle" | "jar" | "vial";
}

export const DEMO_CHEMICALS: ChemicalInfo[] = [
  {
    chemical_name: "Acetone",
    cas_number: "67-64-1",
    chemical_formula: "C3H6O",
    ghs_pictograms: ["GHS02", "GHS07"],
    signal_word: "Danger",
    h_statements: ["H225", "H319", "H336"],
    hazard_class: ["flammable"],
    unit: "mL",
    quantity: "1000",
    container_type: "bottle",
  },
  {
    chemical_name: "Ethanol",
    cas_number: "64-17-5",
    chemical_formula: "C2H6O",
    ghs_pictograms: ["GHS02", "GHS07"],
    signal_word: "Danger",
    h_statements: ["H225", "H319"],
    hazard_class: ["flammable"],
    unit: "mL",
    quantity: "2500",
    container_type: "bottle",
  },
  {
    chemical_name: "Methanol",
    cas_number: "67-56-1",
    chemical_formula: "CH4O",
    ghs_pictograms: ["GHS02", "GHS06", "GHS08"],
    signal_word: "Danger",
    h_statements: ["H225", "H301+H311+H331", "H370"],
    hazard_class: ["flammable", "toxic"],
    unit: "mL",
    quantity: "1000",
    container_type: "bottle",
  },
  {
    chemical_name: "2-Propanol",
    cas_number: "67-63-0",
    chemical_formula: "C3H8O",
    ghs_pictograms: ["GHS02", "GHS07"],
    signal_word: "Danger",
    h_statements: ["H225", "H319", "H336"],
    hazard_class: ["flammable"],
    unit: "mL",
    quantity: "1000",
    container_type: "bottle",
  },
  {
    chemical_name: "Ethyl acetate",
    cas_number: "141-78-6",
    chemical_formula: "C4H8O2",
    ghs_pictograms: ["GHS02", "GHS07"],
    signal_word: "Danger",
    h_statements: ["H225", "H319", "H336"],
    hazard_class: ["flammable"],
    unit: "mL",
    quantity: "500",
    container_type: "bottle",
  },
  {
    chemical_name: "Toluene",
    cas_number: "108-88-3",
    chemical_formula: "C7H8",
    ghs_pictograms: ["GHS02", "GHS07", "GHS08"],
    signal_word: "Danger",
    h_statements: ["H225", "H304", "H315", "H336", "H361d", "H373"],
    hazard_class: ["flammable", "toxic"],
    unit: "mL",
    quantity: "1000",
    container_type: "bottle",
  },
  {
    chemical_name: "n-Hexane",
    cas_number: "110-54-3",
    chemical_formula: "C6H14",
    ghs_pictograms: ["GHS02", "GHS07", "GHS08", "GHS09"],
    signal_word: "Danger",
    h_statements: ["H225", "H304", "H315", "H336", "H361f", "H373", "H411"],
    hazard_class: ["flammable", "toxic"],
    unit: "mL",
    quantity: "1000",
    container_type: "bottle",
  },
  {
    chemical_name: "Acetonitrile",
    cas_number: "75-05-8",
    chemical_formula: "C2H3N",
    ghs_pictograms: ["GHS02", "GHS07"],
    signal_word: "Danger",
    h_statements: ["H225", "H302+H312+H332", "H319"],
    hazard_class: ["flammable", "toxic"],
    unit: "mL",
    quantity: "1000",
    container_type: "bottle",
  },
  {
    chemical_name: "Dichloromethane",
    cas_number: "75-09-2",
    chemical_formula: "CH2Cl2",
    ghs_pictograms: ["GHS07", "GHS08"],
    signal_word: "Warning",
    h_statements: ["H315", "H319", "H336", "H351"],
    hazard_class: ["toxic"],
    unit: "mL",
    quantity: "1000",
    container_type: "bottle",
  },
  {
    chemical_name: "Hydrochloric acid 37%",
    cas_number: "7647-01-0",
    chemical_formula: "HCl",
    ghs_pictograms: ["GHS05", "GHS07"],
    signal_word: "Danger",
    h_statements: ["H290", "H314", "H335"],
    hazard_class: ["corrosive"],
    unit: "mL",
    quantity: "1000",
    container_type: "bottle",
  },
  {
    chemical_name: "Sulfuric acid 95-98%",
    cas_number: "7664-93-9",
    chemical_formula: "H2SO4",
    ghs_pictograms: ["GHS05"],
    signal_word: "Danger",
    h_statements: ["H290", "H314"],
    hazard_class: ["corrosive"],
    unit: "mL",
    quantity: "500",
    container_type: "bottle",
  },
  {
    chemical_name: "Nitric acid 65%",
    cas_number: "7697-37-2",
    chemical_formula: "HNO3",
    ghs_pictograms: ["GHS03", "GHS05"],
    signal_word: "Danger",
    h_statements: ["H272", "H290", "H314"],
    hazard_class: ["oxidizer", "corrosive"],
    unit: "mL",
    quantity: "500",
    container_type: "bottle",
  },
  {
    chemical_name: "Sodium hydroxide pellets",
    cas_number: "1310-73-2",
    chemical_formula: "NaOH",
    ghs_pictograms: ["GHS05"],
    signal_word: "Danger",
    h_statements: ["H290", "H314"],
    hazard_class: ["corrosive"],
    unit: "g",
    quantity: "500",
    container_type: "jar",
  },
  {
    chemical_name: "Hydrogen peroxide 30%",
    cas_number: "7722-84-1",
    chemical_formula: "H2O2",
    ghs_pictograms: ["GHS05", "GHS07"],
    signal_word: "Danger",
    h_statements: ["H302", "H318", "H412"],
    hazard_class: ["oxidizer", "corrosive"],
    unit: "mL",
    quantity: "500",
    container_type: "bottle",
  },
  {
    chemical_name: "Sodium chloride",
    cas_number: "7647-14-5",
    chemical_formula: "NaCl",
    ghs_pictograms: [],
    signal_word: null,
    h_statements: [],
    hazard_class: [],
    unit: "g",
    quantity: "1000",
    container_type: "jar",
  },
];

/**
 * Where the i-th demo container stands in a simulated cabinet: round-robin over the shelves, spread
 * along each shelf so neighbouring labels never overlap.
 */
export function stockPlacement(
  i: number,
  shelves: readonly number[],
): { shelf: number; x: number; y: number } {
  return { shelf: shelves[i % shelves.length]!, x: 0.14 + Math.floor(i / shelves.length) * 0.18, y: 0.55 };
}
