// One container: what it is (GHS pictograms, signal word, H and P statements), where it is down to the
// shelf, and its full history, each entry with the shelf photos that prove it.

import { useEffect, useState } from "preact/hooks";
import type { Page } from "../api.js";
import { AuthImage } from "../components/auth-image.js";
import { GhsPictogram, ghsName } from "../components/ghs-pictogram.js";
import { Card, Empty, ErrorNote, Loaded, LoadMore, PageHeader, Pill } from "../components/ui.js";
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

export interface HistoryEntry {
  kind: "transaction" | "scan" | "event";
  id: string;
  at: string;
  type: string;
  summary: string | null;
  user_name: string | null;
  shelf_level: number | null;
  /** Shelf photos of this entry (blob keys), oldest first. */
  image_keys: string[];
  transaction_id: string | null;
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

function History({ containerId }: { containerId: string }) {
  const org = useOrg();
  const [cursor, setCursor] = useState<string | null>(null);
  const [entries, setEntries] = useState<HistoryEntry[]>([]);
  const page = useResource<Page<HistoryEntry>>(
    orgPath(
      org,
      `/containers/${containerId}/history?limit=50${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
    ),
  );
  useEffect(() => {
    if (page.data) setEntries((e) => (cursor ? [...e, ...page.data!.items] : page.data!.items));
  }, [page.data]);
  if (page.error) return <ErrorNote error={page.error} what="The history" />;
  if (!page.loading && entries.length === 0) return <Empty title="No history yet" />;
  return (
    <>
      <ol class="timeline">
        {entries.map((e) => (
          <li key={`${e.kind}-${e.id}`} class={`timeline__item timeline__item--${e.kind}`}>
            <div class="timeline__head">
              <span class="timeline__title">
                {e.transaction_id ? (
                  <Link href={`/transactions/${e.transaction_id}`}>{words(e.type)}</Link>
                ) : (
                  words(e.type)
                )}
              </span>
              <time class="muted" dateTime={e.at}>
                {formatDateTime(e.at)}
              </time>
            </div>
            <p class="muted">
              {[e.user_name, e.shelf_level !== null && `shelf ${e.shelf_level}`, e.summary]
                .filter(Boolean)
                .join(" · ")}
            </p>
            {e.image_keys.length > 0 && (
              <div class="timeline__photos">
                {e.image_keys.map((k) => (
                  <AuthImage
                    key={k}
                    org={org.org_id}
                    imageKey={k}
                    alt={`Shelf photo, ${words(e.type).toLowerCase()} ${formatDateTime(e.at)}`}
                  />
                ))}
              </div>
            )}
          </li>
        ))}
      </ol>
      <LoadMore
        cursor={page.data?.next_cursor}
        busy={page.loading}
        onMore={() => setCursor(page.data!.next_cursor)}
      />
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
                        <li key={h}>{h}</li>
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
