// The authorization table: every row is one caller, one permission, one place in the tree, and the
// decision the product promises for it.
import { describe, expect, it } from "vitest";
import { type Permission, SYSTEM_ROLES } from "../../shared/permissions.js";
import { OrgAccess } from "./access.service.js";
import {
  authorize,
  authorizeView,
  effectivePermissions,
  type Grant,
  type Resource,
  type RoleDef,
  type SharedView,
  type Subject,
} from "./authorize.js";
import type { Caller } from "./caller.middleware.js";

const ORG = "00000000-0000-4000-8000-00000000000a";
const OTHER_ORG = "00000000-0000-4000-8000-00000000000b";
const DEPT = "d0000000-0000-4000-8000-000000000001";
const PARENT_DEPT = "d0000000-0000-4000-8000-000000000000";
const LAB = "1ab00000-0000-4000-8000-000000000001";
const OTHER_LAB = "1ab00000-0000-4000-8000-000000000002";
const CAB = "cab00000-0000-4000-8000-000000000001";
const OTHER_CAB = "cab00000-0000-4000-8000-000000000002";
const NOW = new Date("2026-06-01T12:00:00Z");
const HOUR = 3600_000;

const roles = new Map<string, RoleDef>(
  SYSTEM_ROLES.map((r) => [
    r.slug,
    { role_id: r.slug, permissions: r.permissions, inherits_from: r.inherits },
  ]),
);
roles.set("custom_reader", {
  role_id: "custom_reader",
  permissions: ["event:read"],
  inherits_from: "loop_b",
});
roles.set("loop_b", { role_id: "loop_b", permissions: ["alert:read"], inherits_from: "custom_reader" });

const grant = (
  role_id: string,
  scope_type: Grant["scope_type"],
  scope_id: string,
  extra: Partial<Grant> = {},
): Grant => ({
  role_id,
  scope_type,
  scope_id,
  expires_at: null,
  is_active: true,
  revoked_at: null,
  ...extra,
});

const person = (grants: Grant[], org_role: Subject["org_role"] = "member"): Subject => ({
  org_id: ORG,
  org_role,
  grants,
  roles,
});
const key = (scopes: string[], org_id = ORG): Subject => ({
  org_id,
  api_key_scopes: scopes,
  grants: [],
  roles,
});

const inCab: Resource = { org_id: ORG, dept_ids: [DEPT, PARENT_DEPT], lab_id: LAB, cabinet_id: CAB };
const inOtherCab: Resource = {
  org_id: ORG,
  dept_ids: [DEPT, PARENT_DEPT],
  lab_id: OTHER_LAB,
  cabinet_id: OTHER_CAB,
};
const inLab: Resource = { org_id: ORG, dept_ids: [DEPT, PARENT_DEPT], lab_id: LAB };
const orgWide: Resource = { org_id: ORG };
const otherOrg: Resource = { org_id: OTHER_ORG, lab_id: LAB, cabinet_id: CAB };

const techInLab = person([grant("technician", "lab", LAB)]);
const cases: [string, Subject, Permission, Resource, boolean][] = [
  ["org owner may do anything in the org", person([], "owner"), "apikey:manage", inCab, true],
  ["org admin manages people", person([], "admin"), "user:manage", orgWide, true],
  ["org admin is still refused in another org", person([], "admin"), "inventory:read", otherOrg, false],
  ["org manager manages devices", person([], "manager"), "device:manage", inCab, true],
  ["org manager may not manage API keys", person([], "manager"), "apikey:manage", orgWide, false],
  ["org admin sets retention and legal holds", person([], "admin"), "retention:manage", orgWide, true],
  ["org manager may not set retention or holds", person([], "manager"), "retention:manage", orgWide, false],
  ["org admin may not set another org's retention", person([], "admin"), "retention:manage", otherOrg, false],
  ["a bare member sees the tree only", person([]), "org:read", orgWide, true],
  ["a bare member may not read inventory", person([]), "inventory:read", inCab, false],
  ["technician reads inventory in the granted lab's cabinet", techInLab, "inventory:read", inCab, true],
  ["technician registers containers there", techInLab, "container:register", inCab, true],
  ["technician may not edit containers", techInLab, "container:write", inCab, false],
  ["technician's lab grant does not reach another lab", techInLab, "inventory:read", inOtherCab, false],
  ["a lab grant does not cover the whole organization", techInLab, "inventory:read", orgWide, false],
  ["technician opens the cabinet", techInLab, "cabinet:open", inCab, true],
  ["technician's grant is void in another org", techInLab, "inventory:read", otherOrg, false],
  [
    "a department grant reaches its labs' cabinets",
    person([grant("auditor", "department", DEPT)]),
    "inventory:read",
    inOtherCab,
    true,
  ],
  [
    "a parent department's grant reaches down the tree",
    person([grant("auditor", "department", PARENT_DEPT)]),
    "event:read",
    inCab,
    true,
  ],
  [
    "an organization grant reaches every cabinet",
    person([grant("safety_officer", "organization", ORG)]),
    "alert:resolve",
    inOtherCab,
    true,
  ],
  [
    "a cabinet grant covers that cabinet",
    person([grant("technician", "cabinet", CAB)]),
    "cabinet:open",
    inCab,
    true,
  ],
  [
    "a cabinet grant does not cover its lab",
    person([grant("technician", "cabinet", CAB)]),
    "inventory:read",
    inLab,
    false,
  ],
  [
    "a cabinet grant does not cover a sibling cabinet",
    person([grant("technician", "cabinet", CAB)]),
    "inventory:read",
    inOtherCab,
    false,
  ],
  ["auditor reads events", person([grant("auditor", "lab", LAB)]), "event:read", inCab, true],
  [
    "auditor is read-only: no register",
    person([grant("auditor", "lab", LAB)]),
    "container:register",
    inCab,
    false,
  ],
  [
    "auditor is read-only: no acknowledge",
    person([grant("auditor", "lab", LAB)]),
    "alert:acknowledge",
    inCab,
    false,
  ],
  [
    "controlled-substance inventory (event:read organization-wide): an organization-wide auditor reads it",
    person([grant("auditor", "organization", ORG)]),
    "event:read",
    orgWide,
    true,
  ],
  [
    "controlled-substance inventory: an auditor of one lab may not read the organization's",
    person([grant("auditor", "lab", LAB)]),
    "event:read",
    orgWide,
    false,
  ],
  [
    "controlled-substance inventory: another organization's API key is refused",
    key(["all"], OTHER_ORG),
    "event:read",
    orgWide,
    false,
  ],
  [
    "auditor is read-only: no user management",
    person([grant("auditor", "organization", ORG)]),
    "user:manage",
    orgWide,
    false,
  ],
  [
    "safety officer resolves alerts",
    person([grant("safety_officer", "lab", LAB)]),
    "alert:resolve",
    inCab,
    true,
  ],
  [
    "safety officer inherits the auditor's reads",
    person([grant("safety_officer", "lab", LAB)]),
    "evidence:read",
    inCab,
    true,
  ],
  [
    "safety officer may not edit containers",
    person([grant("safety_officer", "lab", LAB)]),
    "container:write",
    inCab,
    false,
  ],
  [
    "lab manager edits containers",
    person([grant("lab_manager", "lab", LAB)]),
    "container:write",
    inCab,
    true,
  ],
  [
    "lab manager inherits technician (cabinet:open)",
    person([grant("lab_manager", "lab", LAB)]),
    "cabinet:open",
    inCab,
    true,
  ],
  [
    "lab manager inherits auditor through technician",
    person([grant("lab_manager", "lab", LAB)]),
    "alert:read",
    inCab,
    true,
  ],
  [
    "lab manager may not manage API keys",
    person([grant("lab_manager", "organization", ORG)]),
    "apikey:manage",
    orgWide,
    false,
  ],
  [
    "a safety officer (org-wide) reads retention but may not change it",
    person([grant("safety_officer", "organization", ORG)]),
    "retention:manage",
    orgWide,
    false,
  ],
  [
    "org admin role granted at org scope sets retention and holds",
    person([grant("org_admin", "organization", ORG)]),
    "retention:manage",
    orgWide,
    true,
  ],
  ["an API key scoped `all` sets retention", key(["all"]), "retention:manage", orgWide, true],
  ["an API key without the scope may not", key(["event:read"]), "retention:manage", orgWide, false],
  [
    "org admin role granted at org scope manages API keys",
    person([grant("org_admin", "organization", ORG)]),
    "apikey:manage",
    orgWide,
    true,
  ],
  [
    "a temporary grant counts before it expires",
    person([grant("technician", "lab", LAB, { expires_at: new Date(NOW.getTime() + HOUR) })]),
    "cabinet:open",
    inCab,
    true,
  ],
  [
    "an expired temporary grant counts for nothing",
    person([grant("technician", "lab", LAB, { expires_at: new Date(NOW.getTime() - 1) })]),
    "cabinet:open",
    inCab,
    false,
  ],
  [
    "a revoked grant counts for nothing",
    person([
      grant("technician", "lab", LAB, { is_active: false, revoked_at: new Date(NOW.getTime() - HOUR) }),
    ]),
    "inventory:read",
    inCab,
    false,
  ],
  [
    "a grant with revoked_at set counts for nothing even if still flagged active",
    person([grant("technician", "lab", LAB, { revoked_at: new Date(NOW.getTime() - HOUR) })]),
    "inventory:read",
    inCab,
    false,
  ],
  [
    "a live grant still counts beside a revoked one",
    person([
      grant("technician", "lab", LAB, { is_active: false, revoked_at: new Date(NOW.getTime() - HOUR) }),
      grant("auditor", "cabinet", CAB),
    ]),
    "inventory:read",
    inCab,
    true,
  ],
  [
    "a custom role inherits through inherits_from",
    person([grant("custom_reader", "lab", LAB)]),
    "alert:read",
    inCab,
    true,
  ],
  [
    "an inheritance cycle ends, granting only what it names",
    person([grant("custom_reader", "lab", LAB)]),
    "inventory:read",
    inCab,
    false,
  ],
  [
    "a grant naming an unknown role grants nothing",
    person([grant("no_such_role", "organization", ORG)]),
    "org:read",
    inCab,
    true,
  ],
  [
    "an unknown role alone grants no inventory",
    person([grant("no_such_role", "organization", ORG)]),
    "inventory:read",
    inCab,
    false,
  ],
  ["API key with `all` reads inventory", key(["all"]), "inventory:read", inCab, true],
  ["API key with `all` manages devices", key(["all"]), "device:manage", orgWide, true],
  ["API key with `all` is void in another org", key(["all"]), "inventory:read", otherOrg, false],
  ["API key of another org is refused", key(["all"], OTHER_ORG), "inventory:read", inCab, false],
  ["API key scoped to inventory:read reads", key(["inventory:read"]), "inventory:read", inCab, true],
  [
    "API key scoped to inventory:read may not write",
    key(["inventory:read"]),
    "container:write",
    inCab,
    false,
  ],
  ["API key scoped to events may not read inventory", key(["event:read"]), "inventory:read", inCab, false],
  ["API key with no scopes may do nothing", key([]), "org:read", orgWide, false],
  // Devices and claim tokens (device:manage where the device's cabinet sits).
  [
    "lab manager manages the devices of the lab's cabinets",
    person([grant("lab_manager", "lab", LAB)]),
    "device:manage",
    inCab,
    true,
  ],
  [
    "lab manager's lab grant does not reach an unassigned device (organization-wide)",
    person([grant("lab_manager", "lab", LAB)]),
    "device:manage",
    orgWide,
    false,
  ],
  ["technician may not manage devices", techInLab, "device:manage", inCab, false],
  ["auditor may not manage devices", person([grant("auditor", "lab", LAB)]), "device:manage", inCab, false],
  ["API key scoped to device:manage manages devices", key(["device:manage"]), "device:manage", inCab, true],
  [
    "API key scoped to device:manage may not open cabinets",
    key(["device:manage"]),
    "cabinet:open",
    inCab,
    false,
  ],
  // People: memberships, roles and grants (user:manage).
  ["org manager manages people", person([], "manager"), "user:manage", orgWide, true],
  [
    "lab manager manages people in the lab only",
    person([grant("lab_manager", "lab", LAB)]),
    "user:manage",
    orgWide,
    false,
  ],
  ["technician may not manage people", techInLab, "user:manage", inLab, false],
  ["org manager creates cabinets", person([], "manager"), "org:manage", orgWide, true],
  ["a bare member may not create cabinets", person([]), "org:manage", orgWide, false],
];

describe("authorize", () => {
  it.each(cases)("%s", (_, subject, permission, resource, allowed) => {
    expect(authorize(subject, permission, resource, NOW).allow).toBe(allowed);
  });

  it("says why: another organization's resource is told apart from a missing grant", () => {
    expect(authorize(techInLab, "inventory:read", otherOrg, NOW)).toEqual({
      allow: false,
      reason: "other_organization",
    });
    expect(authorize(techInLab, "inventory:read", inOtherCab, NOW)).toEqual({
      allow: false,
      reason: "not_granted",
    });
    expect(authorize(techInLab, "inventory:read", inCab, NOW)).toEqual({
      allow: true,
      via: `grant:lab:${LAB}`,
    });
  });

  it("resolves inheritance: lab manager has every technician and auditor permission", () => {
    const manager = effectivePermissions("lab_manager", roles);
    for (const p of [
      ...effectivePermissions("technician", roles),
      ...effectivePermissions("auditor", roles),
    ]) {
      expect(manager.has(p)).toBe(true);
    }
    expect(manager.has("apikey:manage")).toBe(false);
  });
});

const OWNER = "a0000000-0000-4000-8000-000000000001";
const COLLEAGUE = "a0000000-0000-4000-8000-000000000002";
const view = (
  visibility: SharedView["visibility"],
  scopes: Resource[],
  extra: Partial<SharedView> = {},
): SharedView => ({
  org_id: ORG,
  owner_user_id: OWNER,
  visibility,
  permission: "inventory:read",
  scopes,
  ...extra,
});
const everywhere = [orgWide, inLab, inCab, inOtherCab];
const auditorInOtherLab = person([grant("auditor", "lab", OTHER_LAB)]);
const viewCases: [string, Subject, string | null, SharedView, "read" | "change", boolean][] = [
  ["the owner reads a private view", person([]), OWNER, view("private", []), "read", true],
  ["the owner changes it", person([]), OWNER, view("private", []), "change", true],
  ["a colleague never reads a private view", techInLab, COLLEAGUE, view("private", [inLab]), "read", false],
  [
    "a colleague reads a view shared with the lab they read",
    techInLab,
    COLLEAGUE,
    view("shared", [inLab]),
    "read",
    true,
  ],
  ["but may not change it", techInLab, COLLEAGUE, view("shared", [inLab]), "change", false],
  [
    "a view shared with another lab stays hidden",
    auditorInOtherLab,
    COLLEAGUE,
    view("shared", [inLab]),
    "read",
    false,
  ],
  [
    "a department grant reaches a view shared with its lab",
    person([grant("auditor", "department", DEPT)]),
    COLLEAGUE,
    view("shared", [inLab]),
    "read",
    true,
  ],
  [
    "a bare member does not read a shared inventory view",
    person([]),
    COLLEAGUE,
    view("shared", [inLab]),
    "read",
    false,
  ],
  [
    "an event view needs event:read, not inventory:read",
    person([grant("no_such_role", "lab", LAB)]),
    COLLEAGUE,
    view("shared", [inLab], { permission: "event:read" }),
    "read",
    false,
  ],
  [
    "a public view is read by anyone who reads its rows somewhere",
    auditorInOtherLab,
    COLLEAGUE,
    view("public", everywhere),
    "read",
    true,
  ],
  ["not by a member who reads nothing", person([]), COLLEAGUE, view("public", everywhere), "read", false],
  [
    "an organization admin reads a shared view",
    person([], "admin"),
    COLLEAGUE,
    view("shared", [inLab]),
    "read",
    true,
  ],
  [
    "an organization admin may not change another's view",
    person([], "admin"),
    COLLEAGUE,
    view("shared", [inLab]),
    "change",
    false,
  ],
  ["nor read another's private one", person([], "admin"), COLLEAGUE, view("private", []), "read", false],
  [
    "an API key reads a public view within its scopes",
    key(["inventory:read"]),
    null,
    view("public", everywhere),
    "read",
    true,
  ],
  ["an API key owns no view", key(["all"]), null, view("private", []), "read", false],
  [
    "another organization's member reads nothing, public or not",
    { ...person([], "owner"), org_id: OTHER_ORG },
    OWNER,
    view("public", everywhere),
    "read",
    false,
  ],
];

describe("authorizeView", () => {
  it.each(viewCases)("%s", (_, subject, viewer, v, action, allowed) => {
    expect(authorizeView(subject, viewer, v, action, NOW).allow).toBe(allowed);
  });

  it("tells another organization apart", () => {
    expect(authorizeView(key(["all"], OTHER_ORG), null, view("public", everywhere), "read", NOW)).toEqual({
      allow: false,
      reason: "other_organization",
    });
  });
});

/** Who is an organization administrator: who may give or take the owner and admin roles, remove an
 * admin and end other members' sessions (OrgAccess.isOrgAdmin, decided by authorize for every permission). */
describe("organization administrator", () => {
  const tree = { departments: new Map(), labs: new Map(), cabinets: new Map() };
  const caller: Caller = { kind: "user", user_id: ORG, email: "x@lab.test", memberships: [] };
  const admin = (subject: Subject) => new OrgAccess(ORG, caller, subject, tree, NOW).isOrgAdmin();

  it.each([
    ["an owner", person([], "owner"), true],
    ["an admin", person([], "admin"), true],
    ["a manager", person([], "manager"), false],
    [
      "a member granted org_admin at the organization",
      person([grant("org_admin", "organization", ORG)]),
      true,
    ],
    ["a member granted org_admin at a lab", person([grant("org_admin", "lab", LAB)]), false],
    [
      "a member whose org_admin grant expired",
      person([grant("org_admin", "organization", ORG, { expires_at: new Date(NOW.getTime() - 1) })]),
      false,
    ],
    ["an API key scoped `all`", key(["all"]), true],
    ["an API key scoped user:manage", key(["user:manage"]), false],
  ] as const)("%s: %s", (_, subject, expected) => {
    expect(admin(subject)).toBe(expected);
  });
});
