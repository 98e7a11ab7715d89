// The two ways an alert reaches people: e-mail over SMTP (nodemailer) and a Slack-compatible webhook.
// Each send answers one delivery record per recipient, whether it went or not; none throws.
import nodemailer, { type Transporter } from "nodemailer";
import type { Alert, Recipient } from "./alert.repository.js";

export interface Delivery {
  channel: "email" | "webhook";
  to: string;
  level: number;
  status: "sent" | "failed";
  at: string;
  message_id?: string;
  http_status?: number;
  error?: string;
}

export interface AlertNotice {
  alert: Alert;
  /** 0 when raised, then one more per escalation step. */
  level: number;
  subject: string;
  text: string;
}

export function noticeOf(
  alert: Alert,
  level: number,
  minutesOpen: number,
  cabinetName: string | null,
): AlertNotice {
  const where = [cabinetName ?? "no cabinet", alert.shelf_id ? `shelf ${alert.shelf_id}` : null]
    .filter(Boolean)
    .join(", ");
  const head = level === 0 ? "New" : `Escalated (level ${level}, unacknowledged for ${minutesOpen} min)`;
  const subject = `[${alert.severity.toUpperCase()}] ${head}: ${alert.title}`;
  const text = [
    `${head} ${alert.severity} safety alert: ${alert.title}`,
    `Where: ${where}`,
    alert.description ? `What: ${alert.description}` : null,
    alert.affected_area_description ? `Area: ${alert.affected_area_description}` : null,
    alert.action_required ? `Action: ${alert.action_required}` : null,
    `Detected: ${alert.detected_at.toISOString()}`,
    `Alert id: ${alert.alert_id}`,
  ]
    .filter(Boolean)
    .join("\n");
  return { alert, level, subject, text };
}

const failure = (err: unknown) => (err instanceof Error ? err.message : String(err)).slice(0, 500);

export class EmailChannel {
  private readonly transport: Transporter;

  constructor(
    smtpUrl: string,
    private readonly from: string,
  ) {
    this.transport = nodemailer.createTransport(smtpUrl);
  }

  async send(to: Recipient[], notice: AlertNotice): Promise<Delivery[]> {
    return Promise.all(
      to.map(async (r): Promise<Delivery> => {
        const base = {
          channel: "email" as const,
          to: r.email,
          level: notice.level,
          at: new Date().toISOString(),
        };
        try {
          const info = await this.transport.sendMail({
            from: this.from,
            to: `${r.display_name.replaceAll(/["<>]/g, "")} <${r.email}>`,
            subject: notice.subject,
            text: notice.text,
            headers: { "X-Lilo-Alert-Id": notice.alert.alert_id },
          });
          return { ...base, status: "sent", message_id: info.messageId };
        } catch (err) {
          return { ...base, status: "failed", error: failure(err) };
        }
      }),
    );
  }

  close(): void {
    this.transport.close();
  }
}

/** Slack's incoming-webhook shape: `text` for every client, `blocks` for the rich view. */
export function webhookPayload(notice: AlertNotice) {
  const a = notice.alert;
  return {
    text: notice.subject,
    blocks: [
      { type: "header", text: { type: "plain_text", text: notice.subject.slice(0, 150) } },
      { type: "section", text: { type: "mrkdwn", text: notice.text } },
      {
        type: "context",
        elements: [
          { type: "mrkdwn", text: `severity *${a.severity}* · type ${a.alert_type} · alert ${a.alert_id}` },
        ],
      },
    ],
    lilo: {
      alert_id: a.alert_id,
      alert_type: a.alert_type,
      severity: a.severity,
      level: notice.level,
      cabinet_id: a.cabinet_id,
    },
  };
}

export async function postWebhook(url: string, notice: AlertNotice, timeoutMs: number): Promise<Delivery> {
  const base = {
    channel: "webhook" as const,
    to: new URL(url).origin,
    level: notice.level,
    at: new Date().toISOString(),
  };
  try {
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(webhookPayload(notice)),
      signal: AbortSignal.timeout(timeoutMs),
      redirect: "error",
    });
    await res.body?.cancel();
    return { ...base, status: res.ok ? "sent" : "failed", http_status: res.status };
  } catch (err) {
    return { ...base, status: "failed", error: failure(err) };
  }
}
