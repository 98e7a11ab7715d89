// Who a cabinet controller is, as the cloud registered it: the claim answers with it, the cabinet keeps
// it in device.json, and the cloud resolves every device credential to it.
import { z } from "zod";

export const DeviceIdentity = z.object({
  device_id: z.uuid(),
  org_id: z.uuid(),
  thing_name: z.string().min(1),
  cabinet_id: z.uuid(),
});
export type DeviceIdentity = z.infer<typeof DeviceIdentity>;
