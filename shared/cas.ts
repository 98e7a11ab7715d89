// CAS registry numbers: the check-digit rule, free of dependencies so that the kiosk's page and the
// schema validation share it.
const CAS_NUMBER = /^\d{2,7}-\d{2}-\d$/;

/** CAS numbers carry a check digit; a typo is caught here rather than in a report months later. */
export function isValidCas(cas: string): boolean {
  if (!CAS_NUMBER.test(cas)) return false;
  const digits = cas.replaceAll("-", "");
  const check = Number(digits.at(-1));
  const body = digits.slice(0, -1).split("").reverse();
  const sum = body.reduce((acc, d, i) => acc + Number(d) * (i + 1), 0);
  return sum % 10 === check;
}
