// This service's `/api/v1` routers, each over its services; cloud.ts passes them (and other areas'
// routers) to createV1App.
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AccountService } from "../../accounts/account.service.js";
import type { ApiKeyService } from "../../apikeys/api-key.service.js";
import type { AccessService } from "../../authz/access.service.js";
import { ControlledInventoryService } from "../../controlled/controlled-inventory.service.js";
import type { Database } from "../../db/database.js";
import { DeviceAdminService } from "../../devices/device-admin.service.js";
import type { ProvisioningService } from "../../devices/provisioning.service.js";
import type { FleetService } from "../../fleet/fleet.service.js";
import { HistoryService } from "../../history/history.service.js";
import { ContainerService } from "../../inventory/container.service.js";
import type { LabelService } from "../../labels/label.service.js";
import { CabinetService } from "../../orgs/cabinet.service.js";
import { OrganizationReader } from "../../orgs/organization.service.js";
import { TreeService } from "../../orgs/tree.service.js";
import { PeopleService } from "../../people/people.service.js";
import { SavedViewService } from "../../views/saved-view.service.js";
import { apiKeyRoutes } from "./api-keys/api-keys.routes.js";
import { containerRoutes } from "./containers/containers.routes.js";
import { controlledRoutes } from "./controlled/controlled.routes.js";
import { deviceRoutes } from "./devices/devices.routes.js";
import { historyRoutes } from "./history/history.routes.js";
import type { ApiEnv } from "./openapi.js";
import { orgRoutes } from "./orgs/orgs.routes.js";
import { peopleRoutes } from "./people/people.routes.js";
import { savedViewRoutes } from "./saved-views/saved-views.routes.js";
import { treeRoutes } from "./tree/tree.routes.js";

export interface V1Deps {
  database: Database;
  access: AccessService;
  apiKeys: ApiKeyService;
  labels: LabelService;
  accounts: AccountService;
  provisioning: ProvisioningService;
  fleet: FleetService;
}

export function v1Routers(deps: V1Deps): OpenAPIHono<ApiEnv>[] {
  const { database, access, apiKeys, labels, accounts, provisioning, fleet } = deps;
  const history = new HistoryService(database);
  return [
    orgRoutes({ access, organizations: new OrganizationReader(database) }),
    treeRoutes({ access, tree: new TreeService(database), cabinets: new CabinetService(database) }),
    containerRoutes({ access, containers: new ContainerService(database, labels), history }),
    historyRoutes({ access, history }),
    peopleRoutes({ access, people: new PeopleService(database, accounts) }),
    apiKeyRoutes({ access, apiKeys }),
    savedViewRoutes({ access, views: new SavedViewService(database) }),
    controlledRoutes({ access, inventory: new ControlledInventoryService(database) }),
    deviceRoutes({ access, devices: new DeviceAdminService(database, provisioning, fleet) }),
  ];
}
