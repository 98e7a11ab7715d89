// The frame around every signed-in screen: navigation, the organization, the live connection, sign-out.
import type { ComponentChildren } from "preact";
import { logout } from "../api.js";
import type { LiveState } from "../live.js";
import { can, type Org } from "../org.js";
import { Link, useLocation } from "../router.js";

/** `permission`: shown only to callers who hold it somewhere in the organization. */
const NAV: { href: string; label: string; icon: string; permission?: string }[] = [
  { href: "/", label: "Cabinets", icon: "M4 3h16v18H4zM4 9h16M4 15h16M11 6h2M11 12h2M11 18h2" },
  {
    href: "/inventory",
    label: "Inventory",
    icon: "M9 3h6M10 3v5l-5 9a2 2 0 0 0 2 3h10a2 2 0 0 0 2-3l-5-9V3M7 14h10",
  },
  {
    href: "/people",
    label: "People & access",
    icon: "M9 11a4 4 0 1 0 0-8 4 4 0 0 0 0 8zM2 21a7 7 0 0 1 14 0M17 11a3 3 0 1 0 0-6M22 21a6 6 0 0 0-4-5.6",
  },
  {
    href: "/devices",
    label: "Devices",
    permission: "device:manage",
    icon: "M5 4h14v12H5zM9 20h6M12 16v4M9 8h6M9 11h3",
  },
  {
    href: "/api-keys",
    label: "API keys",
    permission: "apikey:manage",
    icon: "M15 7a4 4 0 1 1-3.9 5H3v3h3v3h3v-3h2.1A4 4 0 0 1 15 7zM16 10.5h.01",
  },
];

const LIVE_TEXT: Record<LiveState, string> = {
  connecting: "Connecting…",
  live: "Live",
  offline: "Reconnecting…",
  unavailable: "Live updates unavailable",
};

function Icon({ d }: { d: string }) {
  return (
    <svg class="nav__icon" viewBox="0 0 24 24" aria-hidden="true">
      <path d={d} />
    </svg>
  );
}

export function AppShell({
  org,
  live,
  children,
}: {
  org: Org;
  live: LiveState;
  children: ComponentChildren;
}) {
  const { path } = useLocation();
  const active = (href: string) =>
    href === "/"
      ? path === "/" || path.startsWith("/cabinets")
      : path.startsWith(href) || (href === "/inventory" && path.startsWith("/containers"));
  return (
    <div class="shell">
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <aside class="sidebar">
        <div class="brand">
          <span class="brand__mark" aria-hidden="true">
            L
          </span>
          <span class="brand__text">
            <strong>L.I.L.O.</strong>
            <small>Chemical storage</small>
          </span>
        </div>
        <nav aria-label="Main">
          <ul class="nav">
            {NAV.filter((item) => !item.permission || can(org, item.permission)).map((item) => (
              <li key={item.href}>
                <Link
                  href={item.href}
                  class={`nav__link ${active(item.href) ? "is-active" : ""}`}
                  aria-current={active(item.href) ? "page" : undefined}
                >
                  <Icon d={item.icon} />
                  <span>{item.label}</span>
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <div class="sidebar__footer">
          <p class="sidebar__org" title={org.org_name}>
            {org.org_name}
          </p>
          <p class={`live live--${live}`} role="status">
            <span class="live__dot" aria-hidden="true" />
            {LIVE_TEXT[live]}
          </p>
          <button type="button" class="button button--ghost sidebar__signout" onClick={() => void logout()}>
            Sign out
          </button>
        </div>
      </aside>
      <main id="main" class="main" tabIndex={-1}>
        {children}
      </main>
    </div>
  );
}
