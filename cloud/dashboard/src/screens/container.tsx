// One container: what it is (GHS pictograms, signal word, H and P statements), where it is down to the
// shelf, and its full history, each entry with the shelf photos that prove it.

import { hazardStatement } from "../../../../shared/labels/hazard-statements.js";
import type { Page } from "../api.js";
import { AuthImage } from "../components/auth-image.js";
import { GhsPictogram, ghsName } from "../components/ghs-pictogram.js";
import { Card, Empty, ErrorNote, Loaded, PageHeader, Pill } from "../components/ui.js";
import { formatDate, formatDateTime, quantity, words } from "../format.js";
import { orgPath, useOrg } from "../org.js";
import { useResource } from "../resource.js";
import { Link } from "../router.js";
import { type Container, ExpiryText, STATUS_TONE } from "./inventory.js";

interface ContainerDetail extends Container {
  chemical_formula: string | null;
  supplier: string | null;
  catalog_number: string | null;
  lot_number: string | null;
  initial_quantity: string | null;
  minimum_quantity: string | null;
  date_received: string | null;
  date_opened: string | null;
  h_statements: string[] | null;
  p_statements: string[] | null;
  sds_url: string | null;
  last_detected: string | null;
}

interface TransactionEntry {
  transaction_id: string;
  transaction_type: string;
  user_name: string | null;
  checkout_timestamp: string | null;
  actual_return_timestamp: string | null;
  created_at: string | null;
  source_shelf_level: number | null;
  quantity_checkout: string | null;
  quantity_unit: string | null;
  status: string | null;
  overdue: boolean;
  /** The shelf photo of the scan that recorded this change. */
  image_s3_key: string | null;
}
interface EventEntry {
  event_id: string;
  event_timestamp: string;
  event_type: string;
  user_name: string | null;
  shelf_id?: number | null;
  changes_summary: string | null;
}

/** One line of the timeline: a transaction (with its photo) or an event of the log. */
interface HistoryEntry {
  key: string;
  at: string;
  title: string;
  detail: string;
  transactionId?: string;
  imageKey?: string | null;
  kind: "transaction" | "event";
}

const HISTORY_LIMIT = 200;
/** A transaction and its event in the log are written in one scan's transaction, moments apart. */
const SAME_MOMENT_MS = 60_000;

function timeline(transactions: TransactionEntry[], events: EventEntry[]): HistoryEntry[] {
  const fromTx = transactions.map(
    (t): HistoryEntry => ({
      key: `t-${t.transaction_id}`,
      at: t.checkout_timestamp ?? t.created_at ?? "",
      title: words(t.transaction_type),
      detail: [
        t.user_name,
        t.source_shelf_level !== null && `shelf ${t.source_shelf_level}`,
        t.quantity_checkout && quantity(t.quantity_checkout, t.quantity_unit),
        t.overdue
          ? "overdue"
          : t.actual_return_timestamp
            ? `returned ${formatDateTime(t.actual_return_timestamp)}`
            : words(t.status),
      ]
        .filter(Boolean)
        .join(" · "),
      transactionId: t.transaction_id,
      imageKey: t.image_s3_key,
      kind: "transaction",
    }),
  );
  // The log's own line for a checkout or return is the transaction's entry (with its photo) again.
  const near = (at: string) =>
    transactions.some(
      (t) =>
        Math.abs(new Date(t.checkout_timestamp ?? t.created_at ?? 0).getTime() - new Date(at).getTime()) <
        SAME_MOMENT_MS,
    );
  const fromEvents = events
    .filter((e) => !(e.event_type === "transaction" && near(e.event_timestamp)))
    .map(
      (e): HistoryEntry => ({
        key: `e-${e.event_id}`,
        at: e.event_timestamp,
        title: words(e.event_type),
        detail: [e.user_name, typeof e.shelf_id === "number" && `shelf ${e.shelf_id}`, e.changes_summary]
          .filter(Boolean)
          .join(" · "),
        kind: "event",
      }),
    );
  return [...fromTx, ...fromEvents].sort((a, b) => b.at.localeCompare(a.at));
}

function Facts({ items }: { items: [string, preact.ComponentChildren][] }) {
  return (
    <dl class="facts">
      {items.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{v ?? "—"}</dd>
        </div>
      ))}
    </dl>
  );
}

/** The container's transactions (with their shelf photos) and its events, newest first. */
function History({ containerId }: { containerId: string }) {
  const org = useOrg();
  const txs = useResource<Page<TransactionEntry>>(
    orgPath(org, `/transactions?container_id=${containerId}&limit=${HISTORY_LIMIT}`),
  );
  const events = useResource<Page<EventEntry>>(
    orgPath(org, `/containers/${containerId}/history?limit=${HISTORY_LIMIT}`),
  );
  if (txs.error) return <ErrorNote error={txs.error} what="The transactions" />;
  if (events.error) return <ErrorNote error={events.error} what="The history" />;
  if (!txs.data || !events.data)
    return (
      <div class="skeleton" role="status" aria-label="Loading the history">
        <span />
        <span />
      </div>
    );
  const entries = timeline(txs.data.items, events.data.items);
  if (entries.length === 0) return <Empty title="No history yet" />;
  const more = txs.data.next_cursor || events.data.next_cursor;
  return (
    <>
      <ol class="timeline">
        {entries.map((e) => (
          <li key={e.key} class={`timeline__item timeline__item--${e.kind}`}>
            <div class="timeline__head">
              <span class="timeline__title">
                {e.transactionId ? <Link href={`/transactions/${e.transactionId}`}>{e.title}</Link> : e.title}
              </span>
              <time class="muted" dateTime={e.at}>
                {formatDateTime(e.at)}
              </time>
            </div>
            {e.detail && <p class="muted">{e.detail}</p>}
            {e.imageKey && (
              <div class="timeline__photos">
                <AuthImage
                  org={org.org_id}
                  imageKey={e.imageKey}
                  alt={`Shelf photo, ${e.title.toLowerCase()} ${formatDateTime(e.at)}`}
                />
              </div>
            )}
          </li>
        ))}
      </ol>
      {more && <p class="muted">Showing the latest {HISTORY_LIMIT} transactions and events.</p>}
    </>
  );
}

export function ContainerScreen({ id }: { id: string }) {
  const org = useOrg();
  const container = useResource<ContainerDetail>(orgPath(org, `/containers/${id}`));
  return (
    <div class="page">
      <nav class="breadcrumbs" aria-label="Breadcrumb">
        <Link href="/inventory">Inventory</Link>
        <span aria-hidden="true">/</span>
        <span aria-current="page">{container.data?.chemical_name ?? "Container"}</span>
      </nav>
      <Loaded resource={container} what="The container">
        {(c) => {
          const loc = c.location;
          const pictos = c.ghs_pictograms ?? [];
          return (
            <>
              <PageHeader
                title={c.chemical_name}
                subtitle={
                  <span class="mono">
                    {c.cas_number ? `CAS ${c.cas_number}` : "No CAS number"} · {c.qr_code}
                  </span>
                }
                actions={<Pill tone={STATUS_TONE[c.status ?? ""] ?? "neutral"}>{words(c.status)}</Pill>}
              />
              <div class="detail">
                <Card title="Hazards" class="detail__hazards">
                  {pictos.length === 0 && !c.signal_word ? (
                    <p class="muted">No GHS classification recorded.</p>
                  ) : (
                    <>
                      {c.signal_word && (
                        <p class={`signal signal--${c.signal_word.toLowerCase()}`}>{c.signal_word}</p>
                      )}
                      <ul class="ghs-list">
                        {pictos.map((g) => (
                          <li key={g}>
                            <GhsPictogram code={g} size={64} />
                            <span>{ghsName(g)}</span>
                          </li>
                        ))}
                      </ul>
                    </>
                  )}
                  {(c.hazard_class ?? []).length > 0 && (
                    <p>
                      {(c.hazard_class ?? []).map((h) => (
                        <span class="tag" key={h}>
                          {words(h)}
                        </span>
                      ))}
                    </p>
                  )}
                  {(c.h_statements ?? []).length > 0 && (
                    <ul class="statements">
                      {(c.h_statements ?? []).map((h) => (
                        <li key={h}>
                          <span class="statements__code mono">{h}</span> {hazardStatement(h) ?? ""}
                        </li>
                      ))}
                    </ul>
                  )}
                  {c.sds_url && (
                    <p>
                      <a href={c.sds_url} target="_blank" rel="noreferrer noopener">
                        Safety data sheet
                      </a>
                    </p>
                  )}
                </Card>
                <Card title="Location" class="detail__location">
                  <ol class="location-path">
                    {[loc.dept_name, loc.lab_name, loc.cabinet_name].filter(Boolean).map((p) => (
                      <li key={p}>{p}</li>
                    ))}
                    <li class="location-path__shelf">
                      Shelf {c.shelf_level}
                      {c.position_code ? `, position ${c.position_code}` : ""}
                    </li>
                  </ol>
                  <Facts
                    items={[
                      ["Label", <span class="mono">{c.qr_code}</span>],
                      ["Last seen on its shelf", formatDateTime(c.last_detected)],
                    ]}
                  />
                </Card>
                <Card title="Stock" class="detail__stock">
                  <Facts
                    items={[
                      ["Quantity", quantity(c.quantity, c.unit)],
                      ["Initial", quantity(c.initial_quantity, c.unit)],
                      ["Minimum", quantity(c.minimum_quantity, c.unit)],
                      ["Expiry", <ExpiryText date={c.expiry_date} />],
                      ["Opened", formatDate(c.date_opened)],
                      ["Received", formatDate(c.date_received)],
                      ["Supplier", [c.supplier, c.catalog_number].filter(Boolean).join(" · ") || "—"],
                      ["Lot", c.lot_number ?? "—"],
                      ["Formula", c.chemical_formula ?? "—"],
                    ]}
                  />
                </Card>
              </div>
              <Card title="History" class="detail__history">
                <History containerId={c.container_id} />
              </Card>
            </>
          );
        }}
      </Loaded>
    </div>
  );
}
