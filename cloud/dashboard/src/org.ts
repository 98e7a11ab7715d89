// The organization the dashboard shows: the first of the caller's own (GET /api/v1/me).
import { createContext } from "preact";
import { useContext } from "preact/hooks";

export interface Org {
  org_id: string;
  org_name: string;
  org_slug: string;
  org_role: string | null;
  /** What the caller may do somewhere in the organization: actions it may not take are not offered. */
  permissions: string[];
}

export interface Me {
  kind: "user" | "api_key";
  user_id?: string;
  email?: string;
  organizations: Org[];
}

export const OrgContext = createContext<Org | null>(null);

export function useOrg(): Org {
  const org = useContext(OrgContext);
  if (!org) throw new Error("useOrg outside an organization");
  return org;
}

/** "/cabinets" → "/orgs/<id>/cabinets" for the current organization. */
export const can = (org: Org, permission: string) => org.permissions.includes(permission);

export const orgPath = (org: Org, path: string) => `/orgs/${encodeURIComponent(org.org_id)}${path}`;
