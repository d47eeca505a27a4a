export { ResourceServersModule, RESOURCE_SERVERS_ENTITIES } from './resource-servers.module';
export {
  ResourceServersService,
  type ResourceAccess,
  type GrantView,
} from './resource-servers.service';
export {
  ResourceServer,
  ApplicationAccess,
  type ScopeDef,
  type PermissionGroupDef,
} from './resource-server.entity';
export { resourceServerView } from './resource-server.view';
