// The organization's live stream (GET /orgs/{org}/live, server-sent events) read with fetch() and a
// stream reader, because EventSource cannot send the bearer header. Reconnects with back-off and
// resumes from the last event id.
import { useEffect, useRef, useState } from "preact/hooks";
import { authHeader } from "./api.js";

export interface LiveEvent {
  type: string;
  id?: string;
  data: Record<string, unknown>;
}

export type LiveState = "connecting" | "live" | "offline" | "unavailable";

/** Splits a server-sent-events text stream into events; keeps the unfinished tail for the next chunk. */
export function parseSse(buffer: string): { events: LiveEvent[]; rest: string } {
  const events: LiveEvent[] = [];
  const blocks = buffer.replaceAll("\r\n", "\n").split("\n\n");
  const rest = blocks.pop() ?? "";
  for (const block of blocks) {
    let type = "message";
    let id: string | undefined;
    const data: string[] = [];
    for (const line of block.split("\n")) {
      if (line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (field === "event") type = value;
      else if (field === "id") id = value;
      else if (field === "data") data.push(value);
    }
    if (data.length === 0) continue;
    try {
      events.push({ type, id, data: JSON.parse(data.join("\n")) as Record<string, unknown> });
    } catch {
      events.push({ type, id, data: { text: data.join("\n") } });
    }
  }
  return { events, rest };
}

const MAX_BACKOFF_MS = 30_000;

/** Calls `onEvent` for every live event of the organization while the component is mounted. */
export function useLive(org: string | undefined, onEvent: (e: LiveEvent) => void): LiveState {
  const [state, setState] = useState<LiveState>("connecting");
  const handler = useRef(onEvent);
  handler.current = onEvent;
  useEffect(() => {
    if (!org) return;
    const abort = new AbortController();
    let lastId: string | undefined;
    let backoff = 1000;
    const run = async () => {
      while (!abort.signal.aborted) {
        try {
          const res = await fetch(`/api/v1/orgs/${org}/live`, {
            headers: {
              ...authHeader(),
              accept: "text/event-stream",
              ...(lastId ? { "last-event-id": lastId } : {}),
            },
            signal: abort.signal,
          });
          if (res.status === 404 || res.status === 401 || res.status === 403) {
            setState("unavailable");
            return;
          }
          if (!res.ok || !res.body) throw new Error(`live stream answered ${res.status}`);
          setState("live");
          backoff = 1000;
          const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
          let buffer = "";
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            const parsed = parseSse(buffer + value);
            buffer = parsed.rest;
            for (const e of parsed.events) {
              if (e.id) lastId = e.id;
              handler.current(e);
            }
          }
        } catch {
          if (abort.signal.aborted) return;
        }
        setState("offline");
        await new Promise((r) => setTimeout(r, backoff));
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      }
    };
    void run();
    return () => abort.abort();
  }, [org]);
  return state;
}

const screens = new Set<(e: LiveEvent) => void>();

/** Hands an event of the one stream (opened by the app) to every screen listening. */
export function publishLive(e: LiveEvent): void {
  for (const s of screens) s(e);
}

/** A screen's reaction to live events while it is shown. */
export function useLiveEvents(onEvent: (e: LiveEvent) => void): void {
  const handler = useRef(onEvent);
  handler.current = onEvent;
  useEffect(() => {
    const s = (e: LiveEvent) => handler.current(e);
    screens.add(s);
    return () => screens.delete(s);
  }, []);
}
