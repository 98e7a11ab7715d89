// After the door closes: the scan's result to confirm, with what each checkout was for and how each
// return came back; a label seen but not read asks for the bottle to be turned; unknown labels can be
// registered.
import { useEffect, useState } from "preact/hooks";
import { api, type Review } from "../api";
import type { MessageKey } from "../messages";
import { Button, framed, Keyboard, ShelfPhoto, useT } from "../ui";

const PURPOSES = ["experiment", "analysis", "teaching", "preparation", "maintenance"] as const;
const CONDITIONS = ["good", "damaged", "leaking", "nearly_empty", "empty"] as const;

interface CheckoutForm {
  purpose?: string;
  experiment_id?: string;
  project_name?: string;
}

export function ReviewScreen(props: {
  version: number;
  onRegister: (reviewId: string, qr: string, shelf: number) => void;
  onDone: (text: string) => void;
  fail: (e: unknown) => void;
}) {
  const t = useT();
  const [review, setReview] = useState<Review | null>();
  const [checkouts, setCheckouts] = useState<Record<string, CheckoutForm>>({});
  const [returns, setReturns] = useState<Record<string, string>>({});
  const [editing, setEditing] = useState<{ id: string; field: "experiment_id" | "project_name" }>();
  const [busy, setBusy] = useState<"confirm" | "rescan">();
  useEffect(() => {
    void api.review().then(setReview, props.fail);
  }, [props.version]);
  if (!review) return <div class="loading" />;

  const setCheckout = (id: string, patch: CheckoutForm) =>
    setCheckouts({ ...checkouts, [id]: { ...checkouts[id], ...patch } });
  const changed = review.taken.length + review.returned.length + review.moved.length;

  const confirm = async () => {
    setBusy("confirm");
    try {
      await api.confirm(review.review_id, {
        checkouts: review.taken.flatMap((i) =>
          i.transaction_id ? [{ transaction_id: i.transaction_id, ...checkouts[i.transaction_id] }] : [],
        ),
        returns: review.returned.flatMap((i) =>
          i.transaction_id
            ? [{ transaction_id: i.transaction_id, condition: returns[i.transaction_id] ?? "good" }]
            : [],
        ),
      });
      props.onDone(t("review.confirmed"));
    } catch (err) {
      props.fail(err);
    } finally {
      setBusy(undefined);
    }
  };
  const rescan = async () => {
    setBusy("rescan");
    try {
      setReview((await api.rescan(review.review_id)).review);
    } catch (err) {
      props.fail(err);
    } finally {
      setBusy(undefined);
    }
  };

  if (editing) {
    const value = checkouts[editing.id]?.[editing.field] ?? "";
    return (
      <div class="editor" data-testid="text-editor">
        <div class="editor-field">
          <span class="muted">
            {t(editing.field === "experiment_id" ? "review.experiment" : "review.project")}
          </span>
          <div class="input">
            {value}
            <span class="caret" />
          </div>
        </div>
        <Keyboard
          onKey={(k) => setCheckout(editing.id, { [editing.field]: (value + k).slice(0, 100) })}
          onDelete={() => setCheckout(editing.id, { [editing.field]: value.slice(0, -1) })}
          onDone={() => setEditing(undefined)}
          doneLabel={t("common.done")}
        />
      </div>
    );
  }

  return (
    <div class="review" data-testid="review">
      <header class="screen-head">
        <h1>{t("review.title")}</h1>
        {review.user && <span class="muted">{t("review.who", { name: review.user.display_name })}</span>}
      </header>
      <div class="review-body">
        {review.unread.map((u) => (
          <div class="card card-warning" key={u.container_id} data-testid="unread-card">
            <ShelfPhoto
              scanId={u.scan_id}
              emptyText=""
              marks={u.boxes.map((b) => ({ ...framed(b), tone: "alert" as const }))}
            />
            <div class="card-text">
              <h2>{t("review.unreadTitle")}</h2>
              <p>{t("review.unreadText", { name: u.chemical_name, shelf: u.shelf })}</p>
              <Button tone="warning" onClick={rescan} disabled={busy !== undefined} testId="rescan">
                {busy === "rescan" ? t("review.rescanning") : t("review.unreadAction")}
              </Button>
            </div>
          </div>
        ))}
        {review.unknown.map((u) => (
          <div class="card card-info" key={u.qr_code} data-testid="unknown-card">
            <ShelfPhoto
              scanId={u.scan_id}
              emptyText=""
              marks={u.box ? [{ ...framed(u.box), tone: "focus" as const }] : []}
            />
            <div class="card-text">
              <h2>{t("review.unknownTitle")}</h2>
              <p>{t("review.unknownText", { code: u.qr_code, shelf: u.shelf })}</p>
              <Button
                tone="primary"
                onClick={() => props.onRegister(review.review_id, u.qr_code, u.shelf)}
                testId="register"
              >
                {t("review.register")}
              </Button>
            </div>
          </div>
        ))}
        {changed === 0 && review.unread.length === 0 && review.unknown.length === 0 && (
          <p class="lead">{t("review.nothing")}</p>
        )}
        {review.taken.length > 0 && <h2 class="section">{t("review.taken")}</h2>}
        {review.taken.map((i) => {
          const id = i.transaction_id ?? i.container_id;
          const form = checkouts[id] ?? {};
          return (
            <div class="item" key={id} data-testid={`taken-${i.qr_code}`}>
              <div class="item-head">
                <strong>{i.chemical_name}</strong>
                <span class="muted">{t("common.shelf", { n: i.shelf })}</span>
              </div>
              {i.transaction_id && (
                <>
                  <div class="chips">
                    {PURPOSES.map((p) => (
                      <Button
                        key={p}
                        tone={form.purpose === p ? "primary" : "secondary"}
                        pressed={form.purpose === p}
                        onClick={() => setCheckout(id, { purpose: form.purpose === p ? undefined : p })}
                        testId={`purpose-${p}`}
                      >
                        {t(`purpose.${p}` as MessageKey)}
                      </Button>
                    ))}
                  </div>
                  <div class="chips">
                    <Button
                      onClick={() => setEditing({ id, field: "experiment_id" })}
                      testId="edit-experiment"
                    >
                      {form.experiment_id
                        ? `${t("review.experiment")}: ${form.experiment_id}`
                        : t("review.addExperiment")}
                    </Button>
                    <Button onClick={() => setEditing({ id, field: "project_name" })} testId="edit-project">
                      {form.project_name
                        ? `${t("review.project")}: ${form.project_name}`
                        : t("review.addProject")}
                    </Button>
                  </div>
                </>
              )}
            </div>
          );
        })}
        {review.returned.length > 0 && <h2 class="section">{t("review.returned")}</h2>}
        {review.returned.map((i) => {
          const id = i.transaction_id ?? i.container_id;
          const condition = returns[id] ?? "good";
          return (
            <div class="item" key={id} data-testid={`returned-${i.qr_code}`}>
              <div class="item-head">
                <strong>{i.chemical_name}</strong>
                <span class="muted">{t("common.shelf", { n: i.shelf })}</span>
              </div>
              {i.transaction_id && (
                <div class="chips">
                  {CONDITIONS.map((c) => (
                    <Button
                      key={c}
                      tone={condition === c ? (c === "good" ? "primary" : "warning") : "secondary"}
                      pressed={condition === c}
                      onClick={() => setReturns({ ...returns, [id]: c })}
                      testId={`condition-${c}`}
                    >
                      {t(`condition.${c}` as MessageKey)}
                    </Button>
                  ))}
                </div>
              )}
            </div>
          );
        })}
        {review.moved.length > 0 && <h2 class="section">{t("review.moved")}</h2>}
        {review.moved.map((i) => (
          <div class="item" key={i.container_id}>
            <div class="item-head">
              <strong>{i.chemical_name}</strong>
              <span class="muted">{t("review.movedFromTo", { from: i.from, to: i.shelf })}</span>
            </div>
          </div>
        ))}
      </div>
      <footer class="review-foot">
        <Button tone="primary" size="lg" onClick={confirm} disabled={busy !== undefined} testId="confirm">
          {t("review.confirm")}
        </Button>
      </footer>
    </div>
  );
}
