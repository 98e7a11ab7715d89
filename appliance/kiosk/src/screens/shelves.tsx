// What is on each shelf, from the last scan: the photo with each label's place, and the list.
import { useEffect, useState } from "preact/hooks";
import { api, type Shelf } from "../api";
import { Button, clock, framed, Pictograms, Screen, ShelfPhoto, useT } from "../ui";

export function ShelvesScreen(props: { version: number; onBack: () => void }) {
  const t = useT();
  const [shelves, setShelves] = useState<Shelf[]>();
  const [current, setCurrent] = useState(0);
  const [picked, setPicked] = useState<string>();
  useEffect(() => {
    void api.shelves().then(setShelves, () => setShelves([]));
  }, [props.version]);
  const shelf = shelves?.[current];
  const date = (d: string | null) => (d ? new Date(d).toLocaleDateString() : "");
  return (
    <Screen title={t("shelves.title")} onBack={props.onBack} backLabel={t("common.back")}>
      <div class="tabs" role="tablist">
        {shelves?.map((s, i) => (
          <Button
            key={s.shelf}
            tone={i === current ? "primary" : "secondary"}
            pressed={i === current}
            onClick={() => {
              setCurrent(i);
              setPicked(undefined);
            }}
            testId={`shelf-tab-${s.shelf}`}
          >
            {t("common.shelf", { n: s.shelf })} <span class="tab-count">{s.containers.length}</span>
          </Button>
        ))}
      </div>
      {shelf && (
        <div class="shelf" data-testid={`shelf-${shelf.shelf}`}>
          <div class="shelf-photo">
            <ShelfPhoto
              scanId={shelf.scan_id}
              emptyText={t("shelves.noPhoto")}
              marks={[
                ...shelf.containers.flatMap((c) =>
                  c.box
                    ? [
                        {
                          ...framed(c.box),
                          tone: c.container_id === picked ? ("focus" as const) : ("info" as const),
                        },
                      ]
                    : [],
                ),
                ...shelf.unread.map((b) => ({ ...framed(b), tone: "alert" as const })),
              ]}
            />
            {shelf.scanned_at && (
              <p class="muted small">{t("shelves.scanned", { time: clock(shelf.scanned_at) })}</p>
            )}
          </div>
          <ul class="list" data-testid="shelf-list">
            {shelf.containers.length === 0 && <li class="muted">{t("shelves.empty")}</li>}
            {shelf.containers.map((c) => (
              <li key={c.container_id}>
                <button
                  type="button"
                  class={`row ${c.container_id === picked ? "row-picked" : ""}`}
                  onClick={() => setPicked(c.container_id === picked ? undefined : c.container_id)}
                  data-testid={`container-${c.qr_code}`}
                >
                  <span class="row-main">
                    <strong>{c.chemical_name}</strong>
                    <span class="muted small">
                      {Number(c.quantity)} {c.unit}
                      {c.cas_number ? ` · CAS ${c.cas_number}` : ""}
                    </span>
                    {c.expiry && (
                      <span class={`tag ${c.expiry === "expired" ? "tag-danger" : "tag-warning"}`}>
                        {t(c.expiry === "expired" ? "shelves.expired" : "shelves.expiresSoon", {
                          date: date(c.expiry_date),
                        })}
                      </span>
                    )}
                    {!c.box && shelf.scan_id && <span class="tag tag-muted">{t("shelves.notSeen")}</span>}
                  </span>
                  <span class="row-side">
                    {c.signal_word && (
                      <span class={`signal signal-${c.signal_word.toLowerCase()}`}>
                        {t(`signal.${c.signal_word}` as never)}
                      </span>
                    )}
                    <Pictograms codes={c.ghs_pictograms} size={30} />
                  </span>
                </button>
              </li>
            ))}
          </ul>
        </div>
      )}
    </Screen>
  );
}
