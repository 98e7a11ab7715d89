// The printed label's payload, `LILO:C:` and the container's number: a short id rather than a UUID,
// so a small symbol suffices and each module is at least 2.5–3 px in a shelf photo. The one place
// that writes or recognises the format.
const LILO_CODE = /^LILO:C:[0-9A-Z]{6,}$/;

export const labelFor = (n: number) => `LILO:C:${String(n).padStart(6, "0")}`;

/** True for payloads L.I.L.O. printed itself; anything else may be recorded but not trusted. */
export function isLiloCode(text: string): boolean {
  return LILO_CODE.test(text);
}
