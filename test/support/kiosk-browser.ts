// The kiosk page in real Chromium with touch: open it at a screen size, tap through it, photograph
// each screen under test/artifacts/kiosk/, and measure that every control is big enough for a finger.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { fromRoot } from "../../shared/paths.js";

export const KIOSK_SCREENS = [
  { name: "800x480", width: 800, height: 480 },
  { name: "1280x800", width: 1280, height: 800 },
] as const;

/** The smallest control a gloved finger can hit reliably (WCAG 2.5.5 asks 44 px; we ask 48). */
export const MIN_TOUCH_PX = 48;

const ARTIFACTS = fromRoot("test/artifacts/kiosk");

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-background-networking", "--disable-gpu"],
  });
}

export interface KioskPage {
  page: Page;
  tap(testId: string): Promise<void>;
  /** Taps each character on the on-screen keyboard or number pad (`kb-X` / `key-X`). */
  typeOn(prefix: "kb" | "key", text: string): Promise<void>;
  /** Saves a screenshot and returns the controls smaller than MIN_TOUCH_PX on it. */
  shot(name: string): Promise<string[]>;
  text(testId: string): Promise<string>;
}

export async function openKiosk(
  browser: Browser,
  url: string,
  screen: (typeof KIOSK_SCREENS)[number],
): Promise<KioskPage> {
  const context = await browser.newContext({
    viewport: { width: screen.width, height: screen.height },
    hasTouch: true,
    isMobile: false,
    locale: "en-GB",
    timezoneId: "UTC",
    // The page's CSP forbids eval; the test's own probes (waitForFunction, evaluate) are not the page's.
    bypassCSP: true,
  });
  const page = await context.newPage();
  await page.goto(url);
  mkdirSync(ARTIFACTS, { recursive: true });
  const byId = (id: string) => page.getByTestId(id);
  return {
    page,
    async tap(testId) {
      await byId(testId).first().tap({ timeout: 10_000 });
    },
    async typeOn(prefix, text) {
      for (const ch of text) {
        const id = ch === " " ? `${prefix}-space` : `${prefix}-${ch.toUpperCase()}`;
        await byId(id).tap();
      }
    },
    async shot(name) {
      // Let transitions and images settle: wait until every image on the page has loaded.
      await page.waitForFunction("[...document.images].every((i) => i.complete)");
      await page.screenshot({ path: join(ARTIFACTS, `${screen.name}-${name}.png`) });
      return smallTargets(page);
    },
    async text(testId) {
      return (await byId(testId).first().textContent()) ?? "";
    },
  };
}

/** Every visible control (button, link, input, anything clickable by role) smaller than MIN_TOUCH_PX. */
function smallTargets(page: Page): Promise<string[]> {
  // Runs in the page (this file is compiled without the DOM's types).
  return page.evaluate(`(() => {
    const out = [];
    for (const el of document.querySelectorAll("button, a[href], input, select, textarea, [role=button], [onclick]")) {
      const r = el.getBoundingClientRect();
      const style = getComputedStyle(el);
      if (r.width === 0 || r.height === 0 || style.visibility === "hidden" || style.display === "none") continue;
      if (r.width < ${MIN_TOUCH_PX} || r.height < ${MIN_TOUCH_PX})
        out.push(el.tagName.toLowerCase() + " '" + (el.textContent || "").trim().slice(0, 30) + "' " + Math.round(r.width) + "x" + Math.round(r.height));
    }
    return out;
  })()`);
}
