// Waits for a `lilo appliance run --sim` child to log that its simulated cabinet is ready.
import type { ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";

export interface SimReadyOptions {
  timeoutMs: number;
  /** Every line the appliance writes to stdout, as it comes. */
  onLine?: (line: string, entry: { msg?: string; level?: number } | undefined) => void;
  /** More to say when it fails, e.g. what the process wrote to stderr. */
  context?: () => string;
}

/** Resolves with the API's base URL (`http://127.0.0.1:PORT/api`) from the "simulated cabinet ready" line. */
export function waitForSimReady(
  child: ChildProcess,
  { timeoutMs, onLine, context }: SimReadyOptions,
): Promise<string> {
  const seen: string[] = [];
  const details = () => `\n${seen.join("\n")}${context ? `\n${context()}` : ""}`;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`appliance not ready in ${timeoutMs / 1000} s:${details()}`)),
      timeoutMs,
    );
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`appliance exited with code ${code} before it was ready:${details()}`));
    });
    createInterface({ input: child.stdout! }).on("line", (line) => {
      seen.push(line);
      let entry: { msg?: string; api?: string; level?: number } | undefined;
      try {
        entry = JSON.parse(line);
      } catch {
        entry = undefined;
      }
      onLine?.(line, entry);
      if (entry?.msg === "simulated cabinet ready" && entry.api) {
        clearTimeout(timer);
        resolve(entry.api);
      }
    });
  });
}
