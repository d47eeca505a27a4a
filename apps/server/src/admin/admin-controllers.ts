import { AdminApplicationsController } from './admin-applications.controller';
import { AdminKeysController } from './admin-keys.controller';
import { AdminOverviewController } from './admin-overview.controller';
import { AdminResourceServersController } from './admin-resource-servers.controller';
import { AdminSecurityController } from './admin-security.controller';
import { AdminSessionsController } from './admin-sessions.controller';
import { AdminTenantsController } from './admin-tenants.controller';
import { AdminUsersController } from './admin-users.controller';

/** The admin API: the module registers these, and the OpenAPI document is generated from them. */
export const ADMIN_CONTROLLERS = [
  AdminTenantsController,
  AdminApplicationsController,
  AdminResourceServersController,
  AdminKeysController,
  AdminUsersController,
  AdminSessionsController,
  AdminSecurityController,
  AdminOverviewController,
];
