// Response shapes of the admin API: the server's views return them, the OpenAPI document describes
// them and the console's generated client reads them, so a field renamed on one side fails the
// other's typecheck. Dates travel as ISO strings.
import { z } from 'zod';
import { policySchema } from './policy';
import { rateLimitsSchema } from './rate-limits';

const isoDate = z.string().describe('ISO 8601 date-time');

export const tenantViewSchema = z.object({
  id: z.string(),
  slug: z.string(),
  name: z.string(),
  issuer: z.string(),
  signingAlg: z.string(),
  /** The tenant's defaults, every field present. */
  policy: policySchema.required(),
  rateLimits: rateLimitsSchema.required(),
  createdAt: isoDate,
  updatedAt: isoDate,
});
export type TenantView = z.infer<typeof tenantViewSchema>;

/** What an application may ask of one resource server. */
export const grantViewSchema = z.object({
  resourceServer: z.string(),
  scopes: z.array(z.string()),
  permissionGroups: z.array(z.string()),
  flows: z.array(z.string()),
});
export type GrantView = z.infer<typeof grantViewSchema>;

export const applicationViewSchema = z.object({
  clientId: z.string(),
  name: z.string(),
  type: z.enum(['confidential', 'public']),
  redirectUris: z.array(z.string()),
  postLogoutRedirectUris: z.array(z.string()),
  backchannelLogoutUri: z.string().nullable(),
  grantTypes: z.array(z.string()),
  defaultResource: z.string().nullable(),
  /** Only what this application overrides. */
  policy: policySchema,
  /** What applies: the overrides on the tenant's defaults. */
  effectivePolicy: policySchema.required(),
  grants: z.array(grantViewSchema),
  /** Authenticates nowhere and starts no sign-in. */
  isDisabled: z.boolean(),
  /** Built in, used by Tessera itself (the console's client, the automation client): never deleted. */
  isSystem: z.boolean(),
  /** RFC 9449: token requests without a DPoP proof are refused. */
  requireDpop: z.boolean(),
  /** RFC 9449 §8: DPoP proofs must carry a nonce the server issued. */
  dpopNonces: z.boolean(),
  createdAt: isoDate,
  updatedAt: isoDate,
  /** RFC 9126 §6: its authorization requests come only by request_uri, from a pushed request. */
  requirePushedAuthorizationRequests: z.boolean(),
  /** RFC 8693: what it may exchange a user's access token for; null: nothing. */
  tokenExchange: z
    .object({
      targets: z.array(z.object({ resourceServer: z.string(), scopes: z.array(z.string()) })),
      maxDepth: z.number().int(),
    })
    .nullable(),
});
export type ApplicationView = z.infer<typeof applicationViewSchema>;

/** What revoking every token of an application (or disabling, or deleting it) ended. */
export const endedSignInsViewSchema = z.object({
  /** Sessions the application was signed in to: its sign-in to each ended. */
  sessions: z.number().int(),
  /** Of those, the sessions that ended whole: it was the only application signed in to them. */
  sessionsEnded: z.number().int(),
  /** Refresh-token families revoked. */
  families: z.number().int(),
});
export type EndedSignInsView = z.infer<typeof endedSignInsViewSchema>;

/** The answer to creating an application: its secret is shown this once (confidential only). */
export const createdApplicationViewSchema = z.object({
  application: applicationViewSchema,
  clientSecret: z.string().optional(),
});
export type CreatedApplicationView = z.infer<typeof createdApplicationViewSchema>;

/** A secret shown once: a regenerated client secret. */
export const clientSecretViewSchema = z.object({ clientSecret: z.string() });

/** Introspection credentials of a resource server; the secret is shown once. */
export const credentialsViewSchema = z.object({ clientId: z.string(), clientSecret: z.string() });

export const resourceServerViewSchema = z.object({
  id: z.string(),
  identifier: z.string(),
  name: z.string(),
  baseUrls: z.array(z.string()),
  scopes: z.array(z.object({ name: z.string(), description: z.string() })),
  permissionGroups: z.array(z.object({ name: z.string(), scopes: z.array(z.string()) })),
  accessTokenTtl: z.string().nullable(),
  allowsOfflineAccess: z.boolean(),
  /** Its introspection client id, once credentials were issued (never the secret). */
  clientId: z.string().nullable(),
  isSystem: z.boolean(),
  createdAt: isoDate,
  updatedAt: isoDate,
});
export type ResourceServerView = z.infer<typeof resourceServerViewSchema>;

export const userViewSchema = z.object({
  id: z.string(),
  email: z.string(),
  roles: z.array(z.string()),
  isDisabled: z.boolean(),
  createdAt: isoDate,
});
export type UserView = z.infer<typeof userViewSchema>;

export const userPermissionViewSchema = z.object({
  resourceServer: z.string(),
  permissionGroups: z.array(z.string()),
  scopes: z.array(z.string()),
});
export type UserPermissionView = z.infer<typeof userPermissionViewSchema>;

/** How many sessions signing a user out everywhere ended. */
export const signedOutViewSchema = z.object({ ended: z.number().int() });

/** An administrator of a tenant: a user id, or the client id of a client_credentials application. */
export const tenantAdminViewSchema = z.object({
  subject: z.string(),
  kind: z.enum(['user', 'application']),
  /** The user's email or the application's name, as the console shows them; null once gone. */
  name: z.string().nullable(),
  createdAt: isoDate,
});
export type TenantAdminView = z.infer<typeof tenantAdminViewSchema>;

/** How a session ended (the `reason` filter of the session history). */
export const SESSION_END_REASONS = [
  'logout',
  'admin',
  'sign_out_everywhere',
  'reuse_detected',
  'user_disabled',
  'expired',
  'code_reuse',
  'revoked',
  'application_deleted',
  'application_disabled',
  'tokens_revoked',
  'resource_server_deleted',
  'user_deleted',
  'tenant_deleted',
] as const;
export type SessionEndReason = (typeof SESSION_END_REASONS)[number];

export const sessionViewSchema = z.object({
  id: z.string(),
  userId: z.string(),
  /** The user's email, read with the session (the console names users by it). */
  userEmail: z.string(),
  applications: z.array(
    z.object({ clientId: z.string(), firstSeenAt: isoDate, lastSeenAt: isoDate }),
  ),
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
  createdAt: isoDate,
  lastSeenAt: isoDate,
  authTime: isoDate,
  idleExpiresAt: isoDate,
  absoluteExpiresAt: isoDate,
});
export type SessionView = z.infer<typeof sessionViewSchema>;

export const sessionPageViewSchema = z.object({
  items: z.array(sessionViewSchema),
  nextCursor: z.string().nullable(),
});
export type SessionPageView = z.infer<typeof sessionPageViewSchema>;

/**
 * Who ended a session: an administrator (by the admin API), or the user signing out of it. `email`
 * names a user subject; a client's subject (an automation client) has none.
 */
export const endedByViewSchema = z.object({
  subject: z.string(),
  email: z.string().nullable(),
});
export type EndedByView = z.infer<typeof endedByViewSchema>;

/** A session that ended: when, why (`reason`) and by whom. */
export const endedSessionViewSchema = sessionViewSchema.extend({
  endedAt: isoDate,
  reason: z.string(),
  endedBy: endedByViewSchema.nullable(),
});
export type EndedSessionView = z.infer<typeof endedSessionViewSchema>;

export const sessionHistoryPageViewSchema = z.object({
  items: z.array(endedSessionViewSchema),
  nextCursor: z.string().nullable(),
  /** How long an ended session is kept (the retention job deletes it after that). */
  keptDays: z.number(),
});
export type SessionHistoryPageView = z.infer<typeof sessionHistoryPageViewSchema>;

export const refreshTokenViewSchema = z.object({
  generation: z.number().int(),
  issuedAt: isoDate,
  usedAt: isoDate.nullable(),
  idleExpiresAt: isoDate,
  graceReplays: z.number().int(),
});
export type RefreshTokenView = z.infer<typeof refreshTokenViewSchema>;

export const refreshFamilyViewSchema = z.object({
  id: z.string(),
  clientId: z.string(),
  createdAt: isoDate,
  absoluteExpiresAt: isoDate,
  revokedAt: isoDate.nullable(),
  revocationReason: z.string().nullable(),
  scopes: z.array(z.string()),
  resources: z.array(z.object({ identifier: z.string(), scopes: z.array(z.string()) })),
  tokens: z.array(refreshTokenViewSchema),
});
export type RefreshFamilyView = z.infer<typeof refreshFamilyViewSchema>;

export const sessionDetailViewSchema = sessionViewSchema.extend({
  revokedAt: isoDate.nullable(),
  revocationReason: z.string().nullable(),
  /** Who ended it, when a person did: null when the server did (expiry, reuse, a deleted client…). */
  revokedBy: endedByViewSchema.nullable(),
  families: z.array(refreshFamilyViewSchema),
});
export type SessionDetailView = z.infer<typeof sessionDetailViewSchema>;

/** One back-channel logout delivery in the outbox. */
export const deliveryViewSchema = z.object({
  id: z.string(),
  clientId: z.string(),
  sessionId: z.string(),
  status: z.string(),
  attempts: z.number().int(),
  nextAttemptAt: isoDate,
  lastError: z.string().nullable(),
  createdAt: isoDate,
  deliveredAt: isoDate.nullable(),
});
export type DeliveryView = z.infer<typeof deliveryViewSchema>;

/** Who or what an audit event names, with the name to show (an email, a client id, a name). */
export const auditPartySchema = z.object({
  kind: z.string(),
  id: z.string(),
  name: z.string().nullable(),
  /** An actor's tenant (slug): the tenant that issued their token, not always this one. */
  tenant: z.string().nullable().optional(),
});
export type AuditParty = z.infer<typeof auditPartySchema>;

/** One field an administrative change changed; a secret's values are never recorded. */
export const auditChangeSchema = z.object({
  field: z.string(),
  from: z.unknown().optional(),
  to: z.unknown().optional(),
  isSecret: z.boolean().optional(),
});
export type AuditChange = z.infer<typeof auditChangeSchema>;

export const auditViewSchema = z.object({
  id: z.string(),
  type: z.string(),
  /** The administrator who made the change; none for what a user or the server did. */
  actor: auditPartySchema.nullable(),
  /** What the event is about: the target of a change, else its user, else its application. */
  subject: auditPartySchema.nullable(),
  /** The fields an administrative change changed, old → new. */
  changes: z.array(auditChangeSchema),
  sessionId: z.string().nullable(),
  userId: z.string().nullable(),
  clientId: z.string().nullable(),
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
  detail: z.record(z.string(), z.unknown()),
  createdAt: isoDate,
});
export type AuditView = z.infer<typeof auditViewSchema>;

export const keyViewSchema = z.object({
  kid: z.string(),
  alg: z.string(),
  state: z.string(),
  createdAt: isoDate,
  activatedAt: isoDate.nullable(),
  retiredAt: isoDate.nullable(),
  publishUntil: isoDate.nullable(),
  /** When the key was withdrawn (it leaked): out of the JWKS, every token it signed refused. */
  withdrawnAt: isoDate.nullable(),
  isPublished: z.boolean(),
});
export type KeyView = z.infer<typeof keyViewSchema>;

/** The security signals of the overview, in the order it shows them. */
export const OVERVIEW_SIGNALS = [
  'reuse',
  'failedSignIns',
  'throttledSignIns',
  'revokedSessions',
  'revokedFamilies',
  'backchannelFailures',
] as const;
export type OverviewSignal = (typeof OVERVIEW_SIGNALS)[number];

const signalCounts = z.object(
  Object.fromEntries(OVERVIEW_SIGNALS.map((k) => [k, z.number().int()])) as Record<
    OverviewSignal,
    z.ZodNumber
  >,
);

export const overviewViewSchema = z.object({
  activeSessions: z.number().int(),
  /** 24 hourly buckets, oldest first; the last is the current hour so far. */
  hours: z.array(
    z.object({ hour: isoDate, signIns: z.number().int(), refreshes: z.number().int() }),
  ),
  /** The window the security signals cover: `[from, to)`. */
  window: z.object({
    name: z.enum(['24h', '7d']),
    from: isoDate,
    to: isoDate,
    /** The length of one bucket: an hour (24h) or a day (7d). */
    bucketSeconds: z.number().int(),
  }),
  /** Each signal's total over the window. */
  totals: signalCounts,
  /** Each signal per bucket, oldest first; the last bucket is the current one so far. */
  buckets: z.array(signalCounts.extend({ start: isoDate })),
});
export type OverviewView = z.infer<typeof overviewViewSchema>;
