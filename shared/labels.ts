// The printed label's payload: a short id rather than a UUID, so a QR version 1 symbol suffices and
// each module is at least 2.5–3 px in a shelf photo.
export const labelFor = (n: number) => `LILO:C:${String(n).padStart(6, "0")}`;
