// Sends a rendered report by e-mail over SMTP (nodemailer, as alert e-mail does), the file attached.
import nodemailer, { type Transporter } from "nodemailer";

export interface ReportMail {
  to: string[];
  cc: string[];
  subject: string;
  text: string;
  file: { name: string; media_type: string; bytes: Buffer };
}

export interface MailReceipt {
  message_id: string;
  accepted: string[];
  rejected: string[];
}

export class ReportMailer {
  private readonly transport: Transporter;

  constructor(
    smtpUrl: string,
    private readonly from: string,
  ) {
    this.transport = nodemailer.createTransport(smtpUrl);
  }

  /** Throws when the server refuses the message (the run is recorded as failed). */
  async send(mail: ReportMail): Promise<MailReceipt> {
    const info = await this.transport.sendMail({
      from: this.from,
      to: mail.to,
      cc: mail.cc.length ? mail.cc : undefined,
      subject: mail.subject,
      text: mail.text,
      attachments: [
        { filename: mail.file.name, content: mail.file.bytes, contentType: mail.file.media_type },
      ],
    });
    const addresses = (list: unknown[] | undefined) =>
      (list ?? []).map((a) => (typeof a === "string" ? a : String((a as { address?: string }).address)));
    return {
      message_id: info.messageId,
      accepted: addresses(info.accepted),
      rejected: addresses(info.rejected),
    };
  }

  close(): void {
    this.transport.close();
  }
}
