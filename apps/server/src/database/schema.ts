import {
  ApplicationAccess,
  ResourceServer,
  UserPermission,
} from '../resource-servers/resource-server.entity';
import { Application } from '../applications/application.entity';
import { SigningKey } from '../keys/signing-key.entity';
import { ServerSecret } from '../secrets/server-secret.entity';
import { TenantAdmin } from '../admin/tenant-admin.entity';
import { Tenant } from '../tenants/tenant.entity';
import { User } from '../users/user.entity';
import { Init1764000000000 } from './migrations/1764000000000-init';
import { Sessions1764100000000 } from './migrations/1764100000000-sessions';
import { Permissions1764200000000 } from './migrations/1764200000000-permissions';
import { Revocation1764300000000 } from './migrations/1764300000000-revocation';
import { RateLimits1764400000000 } from './migrations/1764400000000-rate-limits';
import { HotUpdates1764500000000 } from './migrations/1764500000000-hot-updates';
import { TenantAdminsOwnPrincipals1765000000000 } from './migrations/1765000000000-tenant-admins-own-principals';
import { HeldByEveryUser1765010000000 } from './migrations/1765010000000-held-by-every-user';
import { FamilyCuts1765100000000 } from './migrations/1765100000000-family-cuts';
import { KeyWithdrawal1765110000000 } from './migrations/1765110000000-key-withdrawal';
import { Ending1765200000000 } from './migrations/1765200000000-ending';
import { RetentionIndexes1765300000000 } from './migrations/1765300000000-retention-indexes';
import { LoweredLifetimes1765400000000 } from './migrations/1765400000000-lowered-lifetimes';
import { BackchannelDelivery, RevocationEvent } from '../revocation/revocation.entity';
import {
  AuthorizationCode,
  RefreshToken,
  RefreshTokenFamily,
  Session,
  SessionSurface,
} from '../sessions/session.entity';
import { RateLimitCounter } from '../rate-limit/rate-limit-counter.entity';
import { AuditEvent } from '../audit/audit-event.entity';

/** Every entity and migration, in one place, for the app, the CLI and the drift test. */
export const ENTITIES = [
  ServerSecret,
  Tenant,
  SigningKey,
  ResourceServer,
  ApplicationAccess,
  Application,
  User,
  TenantAdmin,
  Session,
  SessionSurface,
  RefreshTokenFamily,
  RefreshToken,
  AuthorizationCode,
  RateLimitCounter,
  AuditEvent,
  UserPermission,
  RevocationEvent,
  BackchannelDelivery,
];
export const MIGRATIONS = [
  Init1764000000000,
  Sessions1764100000000,
  Permissions1764200000000,
  Revocation1764300000000,
  RateLimits1764400000000,
  HotUpdates1764500000000,
  TenantAdminsOwnPrincipals1765000000000,
  HeldByEveryUser1765010000000,
  FamilyCuts1765100000000,
  KeyWithdrawal1765110000000,
  Ending1765200000000,
  RetentionIndexes1765300000000,
  LoweredLifetimes1765400000000,
];
