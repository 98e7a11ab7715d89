// The one way the dashboard talks to the cloud: JSON over /api/v1 with the session as a bearer token.
// Errors arrive as {error:{code,message,fields}} and become ApiError; a 401 ends the session.

const SESSION_KEY = "lilo.session";

export interface Session {
  token: string;
  expires_at: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields: Record<string, string> = {},
  ) {
    super(message);
  }

  /** The route itself is absent on this server (a plain 404, not a JSON "no such resource"). */
  get missingEndpoint(): boolean {
    return this.code === "endpoint_missing";
  }
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

type Listener = (session: Session | null) => void;
const listeners = new Set<Listener>();

/** Per tab: closing the tab ends it here; the server's expiry ends it everywhere. */
export function currentSession(): Session | null {
  const raw = sessionStorage.getItem(SESSION_KEY);
  if (!raw) return null;
  const session = JSON.parse(raw) as Session;
  return new Date(session.expires_at).getTime() > Date.now() ? session : null;
}

export function setSession(session: Session | null): void {
  if (session) sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
  else sessionStorage.removeItem(SESSION_KEY);
  for (const l of listeners) l(session);
}

export function onSession(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export const authHeader = (): Record<string, string> => {
  const session = currentSession();
  return session ? { authorization: `Bearer ${session.token}` } : {};
};

async function errorOf(res: Response): Promise<ApiError> {
  const text = await res.text();
  try {
    const body = JSON.parse(text) as {
      error?: { code: string; message: string; fields?: Record<string, string> };
    };
    if (body.error) return new ApiError(res.status, body.error.code, body.error.message, body.error.fields);
  } catch {
    // not JSON: the framework's own answer, e.g. a route this server does not have
  }
  if (res.status === 404)
    return new ApiError(404, "endpoint_missing", "this server does not provide this endpoint");
  return new ApiError(res.status, "http_error", `${res.status} ${res.statusText}`);
}

/** Sends a request under /api/v1 and returns the parsed JSON (undefined for 204). */
export async function request<T>(
  method: string,
  path: string,
  body?: unknown,
  signal?: AbortSignal,
): Promise<T> {
  const res = await fetch(`/api/v1${path}`, {
    method,
    headers: { ...authHeader(), ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal,
  });
  if (!res.ok) {
    const err = await errorOf(res);
    if (res.status === 401 && currentSession()) setSession(null);
    throw err;
  }
  return (res.status === 204 ? undefined : await res.json()) as T;
}

export const get = <T>(path: string, signal?: AbortSignal) => request<T>("GET", path, undefined, signal);
export const post = <T>(path: string, body?: unknown) => request<T>("POST", path, body ?? {});
export const patch = <T>(path: string, body: unknown) => request<T>("PATCH", path, body);
export const put = <T>(path: string, body: unknown) => request<T>("PUT", path, body);
export const del = <T>(path: string) => request<T>("DELETE", path);

/** A query string from the set values only: `{q: "acid", status: ""}` → `?q=acid`. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params))
    if (v !== undefined && v !== null && v !== "") search.set(k, String(v));
  const s = search.toString();
  return s ? `?${s}` : "";
}

/** Every page of a cursor-paginated list, for exports. */
export async function getAll<T>(path: string, params: Record<string, string | undefined>): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | null = null;
  do {
    const page: Page<T> = await get<Page<T>>(`${path}${query({ ...params, limit: 200, cursor })}`);
    items.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor);
  return items;
}

export async function login(email: string, password: string): Promise<void> {
  setSession(await post<Session>("/auth/login", { email, password }));
}

export async function logout(): Promise<void> {
  try {
    await post("/auth/logout");
  } finally {
    setSession(null);
  }
}
