// A stable serialization of a record: sorted keys, ISO timestamps, no undefined. Events will be
// hash-chained over this form, so it must not change with key order or driver quirks.
export function canonicalize(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(canonicalize);
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = canonicalize(v);
    }
    return out;
  }
  return value;
}

export const canonicalJson = (value: unknown): string => JSON.stringify(canonicalize(value));
