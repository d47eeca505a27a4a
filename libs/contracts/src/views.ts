// Response shapes of the admin API: the server's views return them and the console reads them, so a
// field renamed on one side fails the other's typecheck. Types only; dates travel as ISO strings.
import type { PolicyInput } from './policy';
import type { RateLimitsInput } from './rate-limits';

export interface TenantView {
  id: string;
  slug: string;
  name: string;
  issuer: string;
  signingAlg: string;
  /** The tenant's defaults, every field present. */
  policy: Required<PolicyInput>;
  rateLimits: Required<RateLimitsInput>;
  createdAt: string;
  updatedAt: string;
}

/** What an application may ask of one resource server. */
export interface GrantView {
  resourceServer: string;
  scopes: string[];
  permissionGroups: string[];
  flows: string[];
}

export interface ApplicationView {
  clientId: string;
  name: string;
  type: 'confidential' | 'public';
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  backchannelLogoutUri: string | null;
  grantTypes: string[];
  defaultResource: string | null;
  /** Only what this application overrides. */
  policy: PolicyInput;
  /** What applies: the overrides on the tenant's defaults. */
  effectivePolicy: Required<PolicyInput>;
  grants: GrantView[];
  /** Authenticates nowhere and starts no sign-in. */
  isDisabled: boolean;
  createdAt: string;
  updatedAt: string;
}

/** What revoking every token of an application (or disabling, or deleting it) ended. */
export interface EndedSignInsView {
  /** Sessions the application was signed in to: its sign-in to each ended. */
  sessions: number;
  /** Of those, the sessions that ended whole: it was the only application signed in to them. */
  sessionsEnded: number;
  /** Refresh-token families revoked. */
  families: number;
}

/** The answer to creating an application: its secret is shown this once (confidential only). */
export interface CreatedApplicationView {
  application: ApplicationView;
  clientSecret?: string;
}

export interface ResourceServerView {
  id: string;
  identifier: string;
  name: string;
  baseUrls: string[];
  scopes: Array<{ name: string; description: string }>;
  permissionGroups: Array<{ name: string; scopes: string[] }>;
  accessTokenTtl: string | null;
  allowsOfflineAccess: boolean;
  /** Its introspection client id, once credentials were issued (never the secret). */
  clientId: string | null;
  isSystem: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface UserView {
  id: string;
  email: string;
  roles: string[];
  isDisabled: boolean;
  createdAt: string;
}

export interface UserPermissionView {
  resourceServer: string;
  permissionGroups: string[];
  scopes: string[];
}

export interface SessionView {
  id: string;
  userId: string;
  applications: Array<{ clientId: string; firstSeenAt: string; lastSeenAt: string }>;
  ip: string | null;
  userAgent: string | null;
  createdAt: string;
  lastSeenAt: string;
  authTime: string;
  idleExpiresAt: string;
  absoluteExpiresAt: string;
}

export interface SessionPageView {
  items: SessionView[];
  nextCursor: string | null;
}

export interface RefreshTokenView {
  generation: number;
  issuedAt: string;
  usedAt: string | null;
  idleExpiresAt: string;
  graceReplays: number;
}

export interface RefreshFamilyView {
  id: string;
  clientId: string;
  createdAt: string;
  absoluteExpiresAt: string;
  revokedAt: string | null;
  revocationReason: string | null;
  scopes: string[];
  resources: Array<{ identifier: string; scopes: string[] }>;
  tokens: RefreshTokenView[];
}

export interface SessionDetailView extends SessionView {
  revokedAt: string | null;
  revocationReason: string | null;
  families: RefreshFamilyView[];
}

/** One back-channel logout delivery in the outbox. */
export interface DeliveryView {
  id: string;
  clientId: string;
  sessionId: string;
  status: string;
  attempts: number;
  nextAttemptAt: string;
  lastError: string | null;
  createdAt: string;
  deliveredAt: string | null;
}

export interface AuditView {
  id: string;
  type: string;
  sessionId: string | null;
  userId: string | null;
  clientId: string | null;
  ip: string | null;
  userAgent: string | null;
  detail: Record<string, unknown>;
  createdAt: string;
}

export interface KeyView {
  kid: string;
  alg: string;
  state: string;
  createdAt: string;
  activatedAt: string | null;
  retiredAt: string | null;
  publishUntil: string | null;
  /** When the key was withdrawn (it leaked): out of the JWKS, every token it signed refused. */
  withdrawnAt: string | null;
  isPublished: boolean;
}

export interface OverviewView {
  activeSessions: number;
  /** 24 hourly buckets, oldest first; the last is the current hour so far. */
  hours: Array<{ hour: string; signIns: number; refreshes: number }>;
}
