// The people of a standalone simulated cabinet; their badge and PIN are printed at start.
import type { SeedPerson } from "./sim-seed.js";

export const SIM_PEOPLE: SeedPerson[] = [
  {
    user_id: "5a1e0001-0000-4000-8000-000000000001",
    display_name: "Tina Technician",
    email: "tina.technician@demo.lilo.example",
    badge: "BADGE-TECH-0001",
    user_number: 1001,
    pin: "471147",
    role: "technician",
  },
  {
    user_id: "5a1e0001-0000-4000-8000-000000000002",
    display_name: "Max Manager",
    email: "max.manager@demo.lilo.example",
    badge: "BADGE-MGR-0002",
    user_number: 1002,
    pin: "246810",
    role: "lab_manager",
  },
];
