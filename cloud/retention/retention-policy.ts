// How long each record class is kept, where the period comes from, and the rule that an organization
// may lengthen a period but never shorten it below its default (docs/retention.md). Pure.
import type { RecordClass } from "../../shared/enums.js";
import { AppError } from "../../shared/errors.js";
import type { RetentionSettings } from "../db/partitions.js";

/** Years as days, counting every leap day the period can hold, so a period is never a day short. */
const years = (n: number) => n * 365 + Math.ceil(n / 4);

export interface ClassPolicy {
  record_class: RecordClass;
  /** The default, which is also the minimum an organization may set. */
  days: number;
  source: string;
  records: string;
}

/**
 * The regulated floors; the hot classes take the platform's settings (LILO_RETENTION_*_DAYS). The same
 * floors are in 0010_retention_functions.sql (`retention_days`), which the deletion path enforces.
 */
export const LEGAL_MINIMUM_DAYS = {
  audit_log: years(7),
  exposure_record: years(30),
  controlled_substance: years(2),
  hazardous_waste: years(3),
} as const satisfies Partial<Record<RecordClass, number>>;

export function retentionPolicy(platform: RetentionSettings): ClassPolicy[] {
  return [
    {
      record_class: "event_stream",
      days: platform.eventStream,
      source: "hot data: the event stream table's period (LILO_RETENTION_EVENT_STREAM_DAYS)",
      records: "event_stream",
    },
    {
      record_class: "device_telemetry",
      days: platform.deviceTelemetry,
      source: "hot data: the telemetry table's period (LILO_RETENTION_TELEMETRY_DAYS)",
      records: "device_telemetry",
    },
    {
      record_class: "system_events",
      days: platform.systemEvents,
      source: "platform log, seven years (LILO_RETENTION_SYSTEM_EVENTS_DAYS)",
      records: "system_events",
    },
    {
      record_class: "audit_log",
      days: LEGAL_MINIMUM_DAYS.audit_log,
      source:
        "7 years: 21 CFR Part 11 audit trails kept as long as the records they cover (the longest regulated period below, short of exposure records)",
      records: "unified_event_log, compliance_audit_log",
    },
    {
      record_class: "exposure_record",
      days: LEGAL_MINIMUM_DAYS.exposure_record,
      source: "30 years: OSHA 29 CFR 1910.1020(d)(1)(ii), employee exposure records",
      records: "safety incidents and spills (audit category safety_incident, OSHA-relevant or safety events)",
    },
    {
      record_class: "controlled_substance",
      days: LEGAL_MINIMUM_DAYS.controlled_substance,
      source: "2 years: DEA 21 CFR 1304.04(a)",
      records: "controlled-substance events (audit category controlled_substance, DEA-relevant)",
    },
    {
      record_class: "hazardous_waste",
      days: LEGAL_MINIMUM_DAYS.hazardous_waste,
      source: "3 years: EPA RCRA 40 CFR 262.40",
      records: "hazardous-waste disposal events (audit category hazardous_waste, EPA-relevant)",
    },
  ];
}

export interface EffectiveClass extends ClassPolicy {
  /** The organization's own period, when it set one. */
  configured_days: number | null;
  effective_days: number;
}

export function effectivePolicy(
  platform: RetentionSettings,
  configured: ReadonlyMap<RecordClass, number>,
): EffectiveClass[] {
  return retentionPolicy(platform).map((p) => {
    const own = configured.get(p.record_class) ?? null;
    return { ...p, configured_days: own, effective_days: Math.max(p.days, own ?? 0) };
  });
}

/** Refuses a period below the class's minimum, naming the class, the minimum and its source. */
export function checkPeriod(platform: RetentionSettings, recordClass: RecordClass, days: number): void {
  const policy = retentionPolicy(platform).find((p) => p.record_class === recordClass)!;
  if (days < policy.days) {
    throw new AppError(
      "validation_failed",
      `${recordClass} must be kept at least ${policy.days} days (${policy.source}); a period can be lengthened, never shortened`,
      { days: `at least ${policy.days}` },
    );
  }
}
