// Inventory search: full text (name, CAS, supplier) with facets (status, hazard class, pictogram,
// cabinet, expiry), paged by cursor, every filter in the address so a search can be bookmarked, and the
// whole result exported as CSV.
import { useEffect, useState } from "preact/hooks";
import { type ApiError, getAll, type Page, query } from "../api.js";
import { GhsPictogram, ghsName } from "../components/ghs-pictogram.js";
import { Empty, ErrorNote, LoadMore, PageHeader, Pill, type Tone } from "../components/ui.js";
import { daysUntil, download, formatDate, quantity, toCsv, words } from "../format.js";
import { orgPath, useOrg } from "../org.js";
import { useResource } from "../resource.js";
import { Link, navigate, useLocation } from "../router.js";

export interface ContainerLocation {
  dept_name: string;
  lab_name: string;
  cabinet_name: string;
}
export interface Container {
  container_id: string;
  cabinet_id: string;
  qr_code: string;
  chemical_name: string;
  cas_number: string | null;
  quantity: string;
  unit: string;
  status: string | null;
  expiry_date: string | null;
  shelf_level: number;
  position_code: string | null;
  hazard_class: string[] | null;
  ghs_pictograms: string[] | null;
  signal_word: string | null;
  location: ContainerLocation;
}
interface FacetValue {
  value: string;
  /** How many containers of the current result have it; absent where the server does not count. */
  count?: number;
  label?: string;
}
/** Per facet, value → number of containers in the whole result. */
type Facets = Record<string, Record<string, number>>;

const FILTERS = ["status", "hazard_class", "ghs", "cabinet", "expiry"] as const;
type Filter = (typeof FILTERS)[number];
const FILTER_LABEL: Record<Filter, string> = {
  status: "Status",
  hazard_class: "Hazard class",
  ghs: "Pictogram",
  cabinet: "Cabinet",
  expiry: "Expiry",
};
/** Which facet of the answer counts each filter's values. */
const FACET_OF: Record<Filter, string> = {
  status: "status",
  hazard_class: "hazard_class",
  ghs: "ghs_pictograms",
  cabinet: "cabinet",
  expiry: "expiry",
};
const EXPIRY_CHOICES = [
  { value: "expired", label: "Expired", facet: "expired" },
  { value: "30d", label: "Within 30 days", facet: "within_30_days" },
];

/** The dashboard's filters (in its address) as the API's query: expiry becomes a date or a flag. */
function apiFilters(filters: Record<Filter, string>): Record<string, string> {
  const { expiry, cabinet, ...rest } = filters;
  const soon = new Date(Date.now() + 31 * 86_400_000).toISOString().slice(0, 10);
  return {
    ...rest,
    cabinet_id: cabinet,
    ...(expiry === "expired" ? { expired: "true" } : expiry === "30d" ? { expires_before: soon } : {}),
  };
}

export const STATUS_TONE: Record<string, Tone> = {
  in_cabinet: "ok",
  checked_out: "info",
  missing: "danger",
  disposed: "neutral",
  empty: "neutral",
};

export function ExpiryText({ date }: { date: string | null }) {
  const days = daysUntil(date);
  if (days === null) return <span class="muted">—</span>;
  const cls = days < 0 ? "text-danger" : days <= 30 ? "text-warn" : "";
  return (
    <span class={cls} title={days < 0 ? `expired ${-days} days ago` : `${days} days left`}>
      {formatDate(date)}
    </span>
  );
}

function facetLabel(filter: Filter, f: FacetValue): string {
  if (f.label) return f.label;
  if (filter === "ghs") return `${f.value} ${ghsName(f.value)}`;
  return words(f.value);
}

export function InventoryScreen() {
  const org = useOrg();
  const { params } = useLocation();
  const q = params.get("q") ?? "";
  const filters = Object.fromEntries(FILTERS.map((f) => [f, params.get(f) ?? ""])) as Record<Filter, string>;
  const [cursor, setCursor] = useState<string | null>(null);
  const [rows, setRows] = useState<Container[]>([]);
  const [text, setText] = useState(q);
  const [exporting, setExporting] = useState<ApiError | "busy" | null>(null);
  const search = query({ q, ...filters });
  const page = useResource<Page<Container>>(
    orgPath(org, `/containers${query({ q, ...apiFilters(filters), limit: 50, cursor })}`),
  );
  const facetCounts = useResource<Facets>(
    orgPath(org, `/containers/facets${query({ q, ...apiFilters(filters) })}`),
  );
  const cabinets = useResource<Page<{ cabinet_id: string; cabinet_name: string }>>(
    orgPath(org, "/cabinets?limit=200"),
  );

  useEffect(() => {
    setCursor(null);
    setRows([]);
    setText(q);
  }, [search]);
  useEffect(() => {
    if (page.data) setRows((r) => (cursor ? [...r, ...page.data!.items] : page.data!.items));
  }, [page.data]);

  const setParam = (changes: Record<string, string>) => {
    const next = new URLSearchParams(params);
    for (const [k, v] of Object.entries(changes)) v ? next.set(k, v) : next.delete(k);
    const s = next.toString();
    navigate(`/inventory${s ? `?${s}` : ""}`, true);
  };

  const exportCsv = async () => {
    setExporting("busy");
    try {
      const all = await getAll<Container>(orgPath(org, "/containers"), { q, ...apiFilters(filters) });
      download(
        `inventory-${new Date().toISOString().slice(0, 10)}.csv`,
        toCsv(
          [
            "Name",
            "CAS",
            "QR code",
            "Quantity",
            "Unit",
            "Status",
            "Expiry",
            "Hazard classes",
            "GHS pictograms",
            "Department",
            "Laboratory",
            "Cabinet",
            "Shelf",
          ],
          all.map((c) => [
            c.chemical_name,
            c.cas_number,
            c.qr_code,
            c.quantity,
            c.unit,
            c.status,
            c.expiry_date,
            (c.hazard_class ?? []).join("; "),
            (c.ghs_pictograms ?? []).join("; "),
            c.location.dept_name,
            c.location.lab_name,
            c.location.cabinet_name,
            c.shelf_level,
          ]),
        ),
      );
      setExporting(null);
    } catch (err) {
      setExporting(err as ApiError);
    }
  };

  const facets = facetCounts.data ?? {};
  const facetChoices = (f: Filter): FacetValue[] => {
    const counts = facets[FACET_OF[f]] ?? {};
    if (f === "expiry")
      return EXPIRY_CHOICES.map((c) => ({ value: c.value, label: c.label, count: counts[c.facet] }));
    return Object.entries(counts).map(([value, count]) => ({
      value,
      count,
      label:
        f === "cabinet" ? cabinets.data?.items.find((c) => c.cabinet_id === value)?.cabinet_name : undefined,
    }));
  };
  const active = FILTERS.filter((f) => filters[f]);

  return (
    <div class="page">
      <PageHeader
        title="Inventory"
        subtitle="Search every container by name, CAS number or supplier."
        actions={
          <button
            type="button"
            class="button button--secondary"
            onClick={() => void exportCsv()}
            disabled={exporting === "busy"}
          >
            {exporting === "busy" ? "Exporting…" : "Export CSV"}
          </button>
        }
      />
      {exporting && exporting !== "busy" && <ErrorNote error={exporting} what="The export" />}
      <form
        class="search"
        onSubmit={(e) => {
          e.preventDefault();
          setParam({ q: text.trim() });
        }}
      >
        <label class="visually-hidden" for="inventory-q">
          Search inventory
        </label>
        <input
          id="inventory-q"
          type="search"
          placeholder="Search by name, CAS number, supplier…"
          value={text}
          onInput={(e) => setText(e.currentTarget.value)}
        />
        <button type="submit" class="button button--primary">
          Search
        </button>
      </form>
      <fieldset class="filters">
        <legend class="visually-hidden">Filters</legend>
        {FILTERS.map((f) => {
          const choices = facetChoices(f);
          return (
            <div class="filter" key={f}>
              <label for={`filter-${f}`}>{FILTER_LABEL[f]}</label>
              <select
                id={`filter-${f}`}
                value={filters[f]}
                onChange={(e) => setParam({ [f]: e.currentTarget.value })}
              >
                <option value="">All</option>
                {choices.map((c) => (
                  <option key={c.value} value={c.value}>
                    {facetLabel(f, c)}
                    {c.count !== undefined ? ` (${c.count})` : ""}
                  </option>
                ))}
                {filters[f] && !choices.some((c) => c.value === filters[f]) && (
                  <option value={filters[f]}>{filters[f]}</option>
                )}
              </select>
            </div>
          );
        })}
        {active.length > 0 && (
          <button
            type="button"
            class="button button--ghost filters__clear"
            onClick={() => setParam(Object.fromEntries(FILTERS.map((f) => [f, ""])))}
          >
            Clear filters
          </button>
        )}
      </fieldset>
      {page.error ? (
        <ErrorNote error={page.error} what="Inventory search" />
      ) : rows.length === 0 && !page.loading ? (
        <Empty title="No containers match">Try fewer words or clear a filter.</Empty>
      ) : (
        <div class="table-wrap">
          <table class="table">
            <caption class="visually-hidden">Containers</caption>
            <thead>
              <tr>
                <th scope="col">Chemical</th>
                <th scope="col">Hazards</th>
                <th scope="col">Quantity</th>
                <th scope="col">Location</th>
                <th scope="col">Expiry</th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((c) => (
                <tr key={c.container_id}>
                  <td>
                    <Link href={`/containers/${c.container_id}`} class="strong">
                      {c.chemical_name}
                    </Link>
                    <span class="cell-sub mono">{c.cas_number ? `CAS ${c.cas_number}` : "No CAS"}</span>
                    <span class="cell-sub mono">{c.qr_code}</span>
                  </td>
                  <td>
                    <span class="pictos">
                      {(c.ghs_pictograms ?? []).map((g) => (
                        <GhsPictogram key={g} code={g} size={26} />
                      ))}
                    </span>
                  </td>
                  <td class="nowrap">{quantity(c.quantity, c.unit)}</td>
                  <td class="cell-wrap">
                    {c.location.cabinet_name ?? "—"}, shelf {c.shelf_level}
                    <span class="cell-sub">{c.location.lab_name}</span>
                  </td>
                  <td class="nowrap">
                    <ExpiryText date={c.expiry_date} />
                  </td>
                  <td>
                    <Pill tone={STATUS_TONE[c.status ?? ""] ?? "neutral"}>{words(c.status)}</Pill>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <LoadMore
        cursor={page.data?.next_cursor}
        busy={page.loading}
        onMore={() => setCursor(page.data!.next_cursor)}
      />
    </div>
  );
}
