// One checkout or return: who, when, how much, and the shelf photos before and after, with the
// container's code outlined where the camera read it.
import { AuthImage } from "../components/auth-image.js";
import { Card, Loaded, PageHeader, Pill } from "../components/ui.js";
import { formatDateTime, quantity, relative, words } from "../format.js";
import { orgPath, useOrg } from "../org.js";
import { useResource } from "../resource.js";
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
  overdue?: boolean;
  container?: { chemical_name: string; cas_number: string | null };
  before_scan: ShelfScan | null;
  after_scan: ShelfScan | null;
}

/** The code's outline in a shelf photo, in the photo's own pixels. */
function CodeMark({ scan, code }: { scan: ShelfScan; code: string }) {
  const found = scan.code_locations?.read.find((r) => r.text === code);
  if (!found) return null;
  const points = found.corners.map(([x, y]) => `${x},${y}`).join(" ");
  return (
    <>
      <polygon class="code-mark__halo" points={points} />
      <polygon class="code-mark" points={points} />
    </>
  );
}

function ShelfPhoto({ title, scan, code }: { title: string; scan: ShelfScan | null; code: string }) {
  const org = useOrg();
  const located = scan?.code_locations?.read.some((r) => r.text === code);
  return (
    <Card title={title} class="evidence">
      {!scan?.image_s3_key ? (
        <div class="photo photo--empty">No shelf photo recorded</div>
      ) : (
        <>
          <AuthImage
            org={org.org_id}
            imageKey={scan.image_s3_key}
            alt={`${title}: shelf ${scan.shelf_id} at ${formatDateTime(scan.scan_timestamp)}`}
            overlay={() => <CodeMark scan={scan} code={code} />}
          />
          <p class="muted evidence__caption">
            Shelf {scan.shelf_id} · {formatDateTime(scan.scan_timestamp)} ·{" "}
            {located ? (
              <span class="text-ok">code {code} outlined</span>
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
  return (
    <div class="page">
      <nav class="breadcrumbs" aria-label="Breadcrumb">
        <Link href="/inventory">Inventory</Link>
        <span aria-hidden="true">/</span>
        {tx.data && (
          <>
            <Link href={`/containers/${tx.data.container_id}`}>
              {tx.data.container?.chemical_name ?? "Container"}
            </Link>
            <span aria-hidden="true">/</span>
          </>
        )}
        <span aria-current="page">Transaction</span>
      </nav>
      <Loaded resource={tx} what="The transaction">
        {(t) => (
          <>
            <PageHeader
              title={`${words(t.transaction_type)} · ${t.container?.chemical_name ?? t.qr_code}`}
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
              <ShelfPhoto title="Before" scan={t.before_scan} code={t.qr_code} />
              <ShelfPhoto title="After" scan={t.after_scan} code={t.qr_code} />
            </div>
          </>
        )}
      </Loaded>
    </div>
  );
}
