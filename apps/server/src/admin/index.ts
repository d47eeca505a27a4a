export { AdminModule, ADMIN_ENTITIES } from './admin.module';
export {
  SystemSetup,
  AUTOMATION_CLIENT_ID,
  CONSOLE_CLIENT_ID,
  type FirstStart,
} from './system-setup.service';
export { AdminRoles } from './admin-roles.service';
export { TenantAccessService, type AdminCaller } from './tenant-access.service';
export { TenantBuiltIns } from './tenant-built-ins.service';
export { ADMIN_API_AUDIENCE, ADMIN_SCOPES } from './admin-scopes';
export { TenantAdmin } from './tenant-admin.entity';
export { serveConsole, consoleDir } from './console-static';
