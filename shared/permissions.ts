// Permission strings carried by roles (tenant `roles.permissions`), by organization memberships and by API
// key scopes; checked by the cabinet (cabinet:open) and by the cloud's one authorization function
// (cloud/authz/authorize.ts).
export const PERMISSIONS = [
  "org:read",
  "org:manage",
  "inventory:read",
  "container:register",
  "container:write",
  "cabinet:open",
  "event:read",
  "evidence:read",
  "alert:read",
  "alert:acknowledge",
  "alert:resolve",
  "user:manage",
  "device:manage",
  "apikey:manage",
  // Retention periods and legal holds (docs/retention.md): organization owners and admins only.
  "retention:manage",
] as const;
export type Permission = (typeof PERMISSIONS)[number];

export const OPEN_PERMISSION = "cabinet:open" satisfies Permission;

/** Read-only: everything an auditor may see, nothing they may change. */
export const AUDITOR_PERMISSIONS: Permission[] = [
  "org:read",
  "inventory:read",
  "event:read",
  "evidence:read",
  "alert:read",
];
/** Own permissions of the technician role; it inherits the auditor's. */
export const TECHNICIAN_OWN: Permission[] = [OPEN_PERMISSION, "container:register", "alert:acknowledge"];
export const TECHNICIAN_PERMISSIONS: Permission[] = [...AUDITOR_PERMISSIONS, ...TECHNICIAN_OWN];
/** Own permissions of the lab manager role; it inherits the technician's. */
export const LAB_MANAGER_OWN: Permission[] = [
  "container:write",
  "alert:resolve",
  "user:manage",
  "device:manage",
];
export const MANAGER_PERMISSIONS: Permission[] = [...TECHNICIAN_PERMISSIONS, ...LAB_MANAGER_OWN];
/** Own permissions of the safety officer role; it inherits the auditor's. */
export const SAFETY_OFFICER_OWN: Permission[] = ["alert:acknowledge", "alert:resolve"];

/** The roles every organization has, by slug; `inherits` names the role whose permissions it adds to. */
export const SYSTEM_ROLES = [
  { slug: "auditor", name: "Auditor", permissions: AUDITOR_PERMISSIONS, inherits: null },
  { slug: "technician", name: "Technician", permissions: TECHNICIAN_OWN, inherits: "auditor" },
  { slug: "safety_officer", name: "Safety officer", permissions: SAFETY_OFFICER_OWN, inherits: "auditor" },
  { slug: "lab_manager", name: "Lab manager", permissions: LAB_MANAGER_OWN, inherits: "technician" },
  { slug: "org_admin", name: "Organization admin", permissions: [...PERMISSIONS], inherits: null },
] as const satisfies readonly {
  slug: string;
  name: string;
  permissions: readonly Permission[];
  inherits: string | null;
}[];
export type SystemRoleSlug = (typeof SYSTEM_ROLES)[number]["slug"];
