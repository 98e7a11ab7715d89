// Permission strings carried by roles (tenant `roles.permissions`), checked by the cabinet and the cloud.
export const OPEN_PERMISSION = "cabinet:open";
export const TECHNICIAN_PERMISSIONS = [OPEN_PERMISSION, "container:register", "alert:acknowledge"];
export const MANAGER_PERMISSIONS = [...TECHNICIAN_PERMISSIONS, "alert:resolve", "user:manage"];
