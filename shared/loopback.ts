// Whether a host name or address is this machine only: 127.0.0.0/8, ::1 and localhost.
import { isIPv4 } from "node:net";

export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[(.*)\]$/, "$1").toLowerCase();
  if (h === "localhost" || h === "::1") return true;
  return isIPv4(h) && h.startsWith("127.");
}
