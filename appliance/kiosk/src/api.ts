// The kiosk's calls to the cabinet controller (same origin): reads under /api/kiosk, actions with the
// kiosk key, and the live stream that says when to read again.

export interface PhotoBox {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface Status {
  now: string;
  cabinet: {
    name: string;
    code: string;
    location: string | null;
    dual_approval: boolean;
    controlled: boolean;
    shelves: number[];
  };
  door: "open" | "closed";
  lock: "locked" | "unlocked";
  session: {
    state: "idle" | "awaiting_second" | "unlocked" | "open";
    users: { display_name: string; role: string }[];
    relock_at: string | null;
  };
  pin_locked_until: string | null;
  alerts_open: number;
  review: { review_id: string; items: number } | null;
  sync: { mode: "cloud" | "standalone"; online: boolean; last_sync: string | null; pending: number };
}

export interface ShelfContainer {
  container_id: string;
  qr_code: string;
  chemical_name: string;
  cas_number: string | null;
  quantity: string;
  unit: string;
  ghs_pictograms: string[];
  signal_word: string | null;
  expiry_date: string | null;
  expiry?: "expired" | "soon";
  box?: PhotoBox;
}

export interface Shelf {
  shelf: number;
  scan_id?: string;
  scanned_at?: string;
  containers: ShelfContainer[];
  unread: PhotoBox[];
}

export interface ReviewItem {
  container_id: string;
  qr_code: string;
  chemical_name: string;
  shelf: number;
  transaction_id?: string;
}

export interface Review {
  review_id: string;
  session_id?: string;
  user?: { display_name: string; role: string };
  at: string;
  confirmed: boolean;
  taken: ReviewItem[];
  returned: ReviewItem[];
  moved: (ReviewItem & { from: number })[];
  unread: (ReviewItem & { scan_id?: string; boxes: PhotoBox[] })[];
  unknown: { qr_code: string; shelf: number; scan_id?: string; box?: PhotoBox }[];
}

export interface Alert {
  alert_id: string;
  alert_type: string;
  severity: "low" | "medium" | "high" | "critical";
  status: string | null;
  title: string;
  description: string | null;
  shelf: number | null;
  detected_at: string;
  acknowledged_at: string | null;
  scan_id?: string;
  box?: PhotoBox;
}

export type AccessOutcome =
  | { granted: true; user: { display_name: string; role: string } }
  | { granted: false; awaiting_second?: true; awaiting_pin?: true; reason: string };

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const KEY_STORE = "lilo-kiosk-key";

/**
 * The kiosk key: handed to the page in the URL's fragment by the kiosk browser (never sent to a
 * server), kept for this tab; a simulated cabinet also gives it out on /sim/kiosk-key.
 */
async function kioskKey(): Promise<string | undefined> {
  const fromUrl = new URLSearchParams(location.hash.slice(1)).get("key");
  if (fromUrl) {
    sessionStorage.setItem(KEY_STORE, fromUrl);
    history.replaceState(null, "", location.pathname);
    return fromUrl;
  }
  const stored = sessionStorage.getItem(KEY_STORE);
  if (stored) return stored;
  const res = await fetch("/sim/kiosk-key").catch(() => undefined);
  if (!res?.ok) return undefined;
  const { key } = (await res.json()) as { key: string };
  sessionStorage.setItem(KEY_STORE, key);
  return key;
}

let key: Promise<string | undefined> | undefined;

async function call<T>(method: "GET" | "POST", path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {};
  if (method === "POST") {
    key ??= kioskKey();
    headers["content-type"] = "application/json";
    headers["x-lilo-kiosk-key"] = (await key) ?? "";
  }
  const res = await fetch(path, {
    method,
    headers,
    body: method === "POST" ? JSON.stringify(body ?? {}) : undefined,
  });
  const text = await res.text();
  const json = text ? (JSON.parse(text) as unknown) : undefined;
  if (!res.ok) {
    const err = (json as { error?: { code: string; message: string } } | undefined)?.error;
    // A key from before the controller restarted: fetch the current one next time.
    if (res.status === 403) key = undefined;
    throw new ApiError(res.status, err?.code ?? "internal", err?.message ?? res.statusText);
  }
  return json as T;
}

export const api = {
  status: () => call<Status>("GET", "/api/kiosk/status"),
  shelves: () => call<{ shelves: Shelf[] }>("GET", "/api/kiosk/shelves").then((r) => r.shelves),
  review: () => call<{ review: Review | null }>("GET", "/api/kiosk/review").then((r) => r.review),
  alerts: () => call<{ alerts: Alert[] }>("GET", "/api/kiosk/alerts").then((r) => r.alerts),
  access: (credential: { badge: string } | { user: number; pin: string }) =>
    call<AccessOutcome>("POST", "/api/access", credential),
  open: () => call<{ relock_at: string | null }>("POST", "/api/kiosk/open"),
  signOut: (reason: "button" | "inactivity") => call("POST", "/api/kiosk/sign-out", { reason }),
  confirm: (
    reviewId: string,
    body: {
      checkouts: {
        transaction_id: string;
        purpose?: string;
        experiment_id?: string;
        project_name?: string;
      }[];
      returns: { transaction_id: string; condition: string }[];
    },
  ) => call<{ review: Review }>("POST", `/api/kiosk/review/${reviewId}/confirm`, body),
  rescan: (reviewId: string) => call<{ review: Review }>("POST", `/api/kiosk/review/${reviewId}/rescan`),
  register: (
    reviewId: string,
    body: {
      qr_code: string;
      chemical_name: string;
      cas_number?: string;
      quantity: number;
      unit: string;
      ghs_pictograms: string[];
      signal_word?: "Danger" | "Warning";
    },
  ) =>
    call<{ container: { container_id: string } }>("POST", `/api/kiosk/review/${reviewId}/containers`, body),
  acknowledge: (alertId: string) => call("POST", `/api/kiosk/alerts/${alertId}/acknowledge`),
};

export const photoUrl = (scanId: string) => `/api/kiosk/photos/${scanId}`;
export const pictogramUrl = (code: string) => `/api/kiosk/ghs/${code}.svg`;

/** Calls `onChange` whenever the cabinet reports a change; `onState` with whether the stream is up. */
export function followCabinet(
  onChange: (change: { kind: string; detail?: string }) => void,
  onState: (up: boolean) => void,
): () => void {
  const source = new EventSource("/api/kiosk/live");
  source.addEventListener("hello", () => onState(true));
  source.addEventListener("change", (e) =>
    onChange(JSON.parse((e as MessageEvent<string>).data) as { kind: string; detail?: string }),
  );
  source.onerror = () => onState(false);
  return () => source.close();
}
