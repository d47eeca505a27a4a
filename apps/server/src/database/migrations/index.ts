import { Init1764000000000 } from './1764000000000-init';
import { Sessions1764100000000 } from './1764100000000-sessions';
import { Permissions1764200000000 } from './1764200000000-permissions';
import { Revocation1764300000000 } from './1764300000000-revocation';
import { RateLimits1764400000000 } from './1764400000000-rate-limits';
import { HotUpdates1764500000000 } from './1764500000000-hot-updates';
import { TenantAdminsOwnPrincipals1765000000000 } from './1765000000000-tenant-admins-own-principals';
import { HeldByEveryUser1765010000000 } from './1765010000000-held-by-every-user';
import { FamilyCuts1765100000000 } from './1765100000000-family-cuts';
import { KeyWithdrawal1765110000000 } from './1765110000000-key-withdrawal';
import { Ending1765200000000 } from './1765200000000-ending';
import { RetentionIndexes1765300000000 } from './1765300000000-retention-indexes';
import { LoweredLifetimes1765400000000 } from './1765400000000-lowered-lifetimes';
import { SessionHistory1765460000000 } from './1765460000000-session-history';
import { AuditActors1765470000000 } from './1765470000000-audit-actors';
import { DashboardIndexes1765490000000 } from './1765490000000-dashboard-indexes';
import { DpopSettings1765510000000 } from './1765510000000-dpop-settings';
import { DpopBoundFamilies1765511000000 } from './1765511000000-dpop-bound-families';
import { DpopProofs1765512000000 } from './1765512000000-dpop-proofs';
import { PushedAuthorizationRequests1765520000000 } from './1765520000000-pushed-authorization-requests';
import { TokenExchange1765530000000 } from './1765530000000-token-exchange';
import { SharedSignals1765540000000 } from './1765540000000-shared-signals';
import { PushedRequestCompletion1765550000000 } from './1765550000000-pushed-request-completion';

/**
 * Every migration, oldest first: the schema's history. The data source runs them under a lock at
 * start; each is SQL written by hand, so running them needs no entity.
 */
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
  SessionHistory1765460000000,
  AuditActors1765470000000,
  DashboardIndexes1765490000000,
  DpopSettings1765510000000,
  DpopBoundFamilies1765511000000,
  DpopProofs1765512000000,
  PushedAuthorizationRequests1765520000000,
  TokenExchange1765530000000,
  SharedSignals1765540000000,
  PushedRequestCompletion1765550000000,
];
