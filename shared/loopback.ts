// Whether a host name or address is this machine only: 127.0.0.0/8 (also as an IPv4-mapped IPv6
// address, as a dual-stack socket reports an IPv4 peer), ::1 and localhost.
import { isIPv4 } from "node:net";

export function isLoopback(host: string): boolean {
  const h = host
    .replace(/^\[(.*)\]$/, "$1")
    .toLowerCase()
    .replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, "");
  if (h === "localhost" || h === "::1") return true;
  return isIPv4(h) && h.startsWith("127.");
}
