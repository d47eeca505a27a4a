import { ApplicationGrant, ResourceServer } from '../resource-servers/resource-server.entity';
import { Application } from '../applications/application.entity';
import { SigningKey } from '../keys/signing-key.entity';
import { ServerSecret } from '../secrets/server-secret.entity';
import { TenantAdmin } from '../admin/tenant-admin.entity';
import { Tenant } from '../tenants/tenant.entity';
import { User } from '../users/user.entity';
import { Init1764000000000 } from './migrations/1764000000000-init';

/** Every entity and migration, in one place, for the app, the CLI and the drift test. */
export const ENTITIES = [
  ServerSecret,
  Tenant,
  SigningKey,
  ResourceServer,
  ApplicationGrant,
  Application,
  User,
  TenantAdmin,
];
export const MIGRATIONS = [Init1764000000000];
