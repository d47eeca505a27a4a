// Response shapes of the admin API as the console reads them. Request bodies are the contracts'
// zod types (@tessera/contracts); these mirror the server's views (apps/server/src/*/*.view.ts).
import type { PolicyInput } from '@tessera/contracts';

export type WirePolicy = Required<PolicyInput>;

export interface Tenant {
  id: string;
  slug: string;
  name: string;
  issuer: string;
  signingAlg: string;
  policy: WirePolicy;
  createdAt: string;
  updatedAt: string;
}

export interface Grant {
  resourceServer: string;
  scopes: string[];
  permissionGroups: string[];
  flows: string[];
}

export interface Application {
  clientId: string;
  name: string;
  type: 'confidential' | 'public';
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  backchannelLogoutUri: string | null;
  grantTypes: string[];
  defaultResource: string | null;
  policy: PolicyInput;
  effectivePolicy: WirePolicy;
  grants: Grant[];
  createdAt: string;
  updatedAt: string;
}

export interface CreatedApplication {
  application: Application;
  clientSecret?: string;
}

export interface ResourceServer {
  id: string;
  identifier: string;
  name: string;
  baseUrls: string[];
  scopes: Array<{ name: string; description: string }>;
  permissionGroups: Array<{ name: string; scopes: string[] }>;
  accessTokenTtl: string | null;
  allowsOfflineAccess: boolean;
  clientId: string | null;
  isSystem: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface User {
  id: string;
  email: string;
  roles: string[];
  isDisabled: boolean;
  createdAt: string;
}

export interface UserPermission {
  resourceServer: string;
  permissionGroups: string[];
  scopes: string[];
}

export interface Session {
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

export interface SessionPage {
  items: Session[];
  nextCursor: string | null;
}

export interface RefreshToken {
  generation: number;
  issuedAt: string;
  usedAt: string | null;
  idleExpiresAt: string;
  graceReplays: number;
}

export interface RefreshFamily {
  id: string;
  clientId: string;
  createdAt: string;
  absoluteExpiresAt: string;
  revokedAt: string | null;
  revocationReason: string | null;
  scopes: string[];
  resources: Array<{ identifier: string; scopes: string[] }>;
  tokens: RefreshToken[];
}

export interface SessionDetail extends Session {
  revokedAt: string | null;
  revocationReason: string | null;
  families: RefreshFamily[];
}

export interface Delivery {
  id: string;
  clientId: string;
  sessionId: string;
  status: 'pending' | 'delivered' | 'failed' | string;
  attempts: number;
  nextAttemptAt: string;
  lastError: string | null;
  createdAt: string;
  deliveredAt: string | null;
}

export interface AuditEvent {
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

export interface SigningKey {
  kid: string;
  alg: string;
  state: string;
  createdAt: string;
  activatedAt: string | null;
  retiredAt: string | null;
  publishUntil: string | null;
  isPublished: boolean;
}

/** RFC 9457 problem details, as every admin API error answers. */
export interface ProblemBody {
  type: string;
  status: number;
  code: string;
  detail: string;
  errors?: Array<{ pointer: string; detail: string }>;
}

export interface Overview {
  activeSessions: number;
  hours: Array<{ hour: string; signIns: number; refreshes: number }>;
}
