// One checkout or return: who, when, how much, and the shelf photos before and after, with the
// container's code outlined where the camera read it.
import { AuthImage } from "../components/auth-image.js";
import { Card, ErrorNote, Loaded, PageHeader, Pill } from "../components/ui.js";
import { formatDateTime, quantity, relative, words } from "../format.js";
import { orgPath, useOrg } from "../org.js";
import { type Resource, useResource } from "../resource.js";
import { Link } from "../router.js";

interface CodeLocations {
  read: { text: string; corners: [number, number][] }[];
  unread: { x: number; y: number; w: number; h: number }[];
}
interface ShelfScan {
  scan_id: string;
  shelf_id: number;
  scan_timestamp: string;
  image_s3_key: string | null;
  code_locations: CodeLocations | null;
  /** The same shelf's scan before this one: the "before" of a change this scan recorded. */
  previous_scan_id: string | null;
}
interface TransactionDetail {
  transaction_id: string;
  container_id: string;
  transaction_type: string;
  status: string | null;
  qr_code: string;
  user_name: string | null;
  user_email: string | null;
  checkout_timestamp: string | null;
  expected_return_timestamp: string | null;
  actual_return_timestamp: string | null;
  source_shelf_level: number | null;
  return_shelf_level: number | null;
  quantity_checkout: string | null;
  quantity_returned: string | null;
  quantity_unit: string | null;
  purpose: string | null;
  overdue: boolean;
  /** The scan that recorded the change (the "after"); its previous scan is the "before". */
  scan_id: string | null;
}

/** The code's outline in a shelf photo, in the photo's own pixels. */
const cornersOf = (scan: ShelfScan | undefined, code: string) =>
  scan?.code_locations?.read.find((r) => r.text === code)?.corners;

/** Outlines the code where it was read; dashed where it stood in the other photo but is gone from this one. */
function CodeMark({ corners, ghost }: { corners: [number, number][]; ghost: boolean }) {
  const points = corners.map(([x, y]) => `${x},${y}`).join(" ");
  return (
    <>
      <polygon class="code-mark__halo" points={points} />
      <polygon class={`code-mark ${ghost ? "code-mark--ghost" : ""}`} points={points} />
    </>
  );
}

function ShelfPhoto({
  title,
  scan,
  code,
  other,
}: {
  title: string;
  scan: Resource<ShelfScan> | null;
  code: string;
  /** The code's place in the other photo of the pair, marked here when this photo lacks it. */
  other?: ShelfScan;
}) {
  const org = useOrg();
  if (scan?.error)
    return (
      <Card title={title} class="evidence">
        <ErrorNote error={scan.error} what="The shelf scan" />
      </Card>
    );
  if (scan && !scan.data)
    return (
      <Card title={title} class="evidence">
        <div class="photo photo--loading" role="status" aria-label="Loading photo" />
      </Card>
    );
  const s = scan?.data;
  const found = cornersOf(s, code);
  const elsewhere = found ? undefined : cornersOf(other, code);
  return (
    <Card title={title} class="evidence">
      {!s?.image_s3_key ? (
        <div class="photo photo--empty">No shelf photo recorded</div>
      ) : (
        <>
          <AuthImage
            org={org.org_id}
            imageKey={s.image_s3_key}
            alt={`${title}: shelf ${s.shelf_id} at ${formatDateTime(s.scan_timestamp)}`}
            overlay={() =>
              found ? (
                <CodeMark corners={found} ghost={false} />
              ) : (
                elsewhere && <CodeMark corners={elsewhere} ghost={true} />
              )
            }
          />
          <p class="muted evidence__caption">
            Shelf {s.shelf_id} · {formatDateTime(s.scan_timestamp)} ·{" "}
            {found ? (
              <span class="text-ok">code {code} outlined</span>
            ) : elsewhere ? (
              <span>code {code} gone; dashed where it stood</span>
            ) : (
              <span>code {code} not in this photo</span>
            )}
          </p>
        </>
      )}
    </Card>
  );
}

export function TransactionScreen({ id }: { id: string }) {
  const org = useOrg();
  const tx = useResource<TransactionDetail>(orgPath(org, `/transactions/${id}`));
  const container = useResource<{ chemical_name: string }>(
    tx.data ? orgPath(org, `/containers/${tx.data.container_id}`) : null,
  );
  const after = useResource<ShelfScan>(tx.data?.scan_id ? orgPath(org, `/scans/${tx.data.scan_id}`) : null);
  const before = useResource<ShelfScan>(
    after.data?.previous_scan_id ? orgPath(org, `/scans/${after.data.previous_scan_id}`) : null,
  );
  const name = container.data?.chemical_name;
  return (
    <div class="page">
      <nav class="breadcrumbs" aria-label="Breadcrumb">
        <Link href="/inventory">Inventory</Link>
        <span aria-hidden="true">/</span>
        {tx.data && (
          <>
            <Link href={`/containers/${tx.data.container_id}`}>{name ?? "Container"}</Link>
            <span aria-hidden="true">/</span>
          </>
        )}
        <span aria-current="page">Transaction</span>
      </nav>
      <Loaded resource={tx} what="The transaction">
        {(t) => (
          <>
            <PageHeader
              title={`${words(t.transaction_type)} · ${name ?? t.qr_code}`}
              subtitle={`${t.user_name ?? "Unknown person"} · ${formatDateTime(t.checkout_timestamp)}`}
              actions={
                <>
                  {t.overdue && <Pill tone="danger">Overdue</Pill>}
                  <Pill tone={t.status === "active" ? "info" : "neutral"}>{words(t.status)}</Pill>
                </>
              }
            />
            <dl class="facts facts--row">
              <div>
                <dt>Taken</dt>
                <dd>{quantity(t.quantity_checkout, t.quantity_unit)}</dd>
              </div>
              <div>
                <dt>Returned</dt>
                <dd>
                  {t.actual_return_timestamp ? `${formatDateTime(t.actual_return_timestamp)}` : "Not yet"}
                </dd>
              </div>
              <div>
                <dt>Due back</dt>
                <dd>{t.expected_return_timestamp ? relative(t.expected_return_timestamp) : "—"}</dd>
              </div>
              <div>
                <dt>Shelf</dt>
                <dd>
                  {t.source_shelf_level ?? "—"}
                  {t.return_shelf_level !== null && t.return_shelf_level !== t.source_shelf_level
                    ? ` → ${t.return_shelf_level}`
                    : ""}
                </dd>
              </div>
              <div>
                <dt>Purpose</dt>
                <dd>{t.purpose ?? "—"}</dd>
              </div>
            </dl>
            <div class="evidence-pair">
              <ShelfPhoto
                title="Before"
                scan={after.data?.previous_scan_id ? before : null}
                code={t.qr_code}
                other={after.data}
              />
              <ShelfPhoto
                title="After"
                scan={t.scan_id ? after : null}
                code={t.qr_code}
                other={before.data}
              />
            </div>
          </>
        )}
      </Loaded>
    </div>
  );
}
