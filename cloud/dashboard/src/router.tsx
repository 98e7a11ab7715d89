// A small history router under /dashboard/: paths are real URLs (bookmarkable, shareable), the cloud
// answers every one of them with index.html (SPA fallback in cloud/api/dashboard.routes.ts).
import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";

export const BASE = "/dashboard";

const subscribers = new Set<() => void>();
const notify = () => {
  for (const s of subscribers) s();
};
window.addEventListener("popstate", notify);

/** The path inside the dashboard with its query, e.g. "/inventory?q=acid". */
export function currentPath(): string {
  const path = location.pathname.startsWith(BASE) ? location.pathname.slice(BASE.length) : location.pathname;
  return `${path || "/"}${location.search}`;
}

export function navigate(to: string, replace = false): void {
  const url = `${BASE}${to}`;
  if (url === `${location.pathname}${location.search}`) return;
  if (replace) history.replaceState(null, "", url);
  else history.pushState(null, "", url);
  notify();
  window.scrollTo(0, 0);
}

export function useLocation(): { path: string; params: URLSearchParams } {
  const [, setTick] = useState(0);
  useEffect(() => {
    const s = () => setTick((t) => t + 1);
    subscribers.add(s);
    return () => subscribers.delete(s);
  }, []);
  const [path, search = ""] = currentPath().split("?");
  return { path: path!, params: new URLSearchParams(search) };
}

/** Matches "/containers/:id" against a path; returns the named parts or null. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const p = pattern.split("/");
  const s = path.split("/");
  if (p.length !== s.length) return null;
  const out: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    if (p[i]!.startsWith(":")) out[p[i]!.slice(1)] = decodeURIComponent(s[i]!);
    else if (p[i] !== s[i]) return null;
  }
  return out;
}

interface LinkProps {
  href: string;
  children: ComponentChildren;
  class?: string;
  "aria-current"?: "page";
}

/** An ordinary link (middle-click, copy address work) that navigates in place on a plain click. */
export function Link({ href, children, ...rest }: LinkProps) {
  return (
    <a
      {...rest}
      href={`${BASE}${href}`}
      onClick={(e) => {
        if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
        e.preventDefault();
        navigate(href);
      }}
    >
      {children}
    </a>
  );
}
