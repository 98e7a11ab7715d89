// The organization the dashboard shows, chosen among the caller's own (GET /api/v1/orgs).
import { createContext } from "preact";
import { useContext } from "preact/hooks";

export interface Org {
  org_id: string;
  org_name: string;
  org_slug?: string;
  role?: string;
}

export const OrgContext = createContext<Org | null>(null);

export function useOrg(): Org {
  const org = useContext(OrgContext);
  if (!org) throw new Error("useOrg outside an organization");
  return org;
}

/** "/cabinets" → "/orgs/<id>/cabinets" for the current organization. */
export const orgPath = (org: Org, path: string) => `/orgs/${encodeURIComponent(org.org_id)}${path}`;
