import { z } from 'zod';
import {
  applicationIssues,
  CLIENT_TYPES,
  GRANT_TYPES,
  type ClientType,
  type GrantType,
} from './application-rules';
import { SESSION_END_REASONS } from './views';
import { accessTokenTtlSchema, policySchema } from './policy';
import { rateLimitsSchema } from './rate-limits';
import { redirectUriProblem, resourceIndicatorProblem } from './uris';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const slugSchema = z
  .string()
  .regex(
    /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/,
    'Use 1–63 lower-case letters, digits and hyphens, e.g. acme',
  );

export const clientIdSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._~-]{2,127}$/,
    'Use 3–128 letters, digits, ".", "_", "~" or "-", starting with a letter or digit',
  )
  // user subjects are UUIDs; a client id never looks like one, so a client cannot become a user (RFC 9700 §4.15)
  .refine((v) => !UUID_RE.test(v), 'Must not have the form of a UUID');

export const clientSecretSchema = z
  .string()
  .min(32, 'Use at least 32 characters')
  .max(256, 'Use at most 256 characters');

const uriWith = (problem: (v: string) => string | undefined) =>
  z
    .string()
    .max(2000, 'At most 2000 characters')
    .superRefine((v, ctx) => {
      const p = problem(v);
      if (p) ctx.addIssue({ code: 'custom', message: p });
    });

export const redirectUriSchema = uriWith(redirectUriProblem);
export const resourceIndicatorSchema = uriWith(resourceIndicatorProblem);

export const GRANT_FLOWS = ['user', 'client_credentials'] as const;
export type GrantFlow = (typeof GRANT_FLOWS)[number];

/** RFC 6749 §3.3 scope-token: printable ASCII without space, `"` or `\`. */
export const scopeNameSchema = z
  .string()
  .min(1, 'Required')
  .max(128, 'At most 128 characters')
  .regex(
    /^[\x21\x23-\x5B\x5D-\x7E]*$/,
    'Use printable characters without spaces, quotes or backslashes',
  );

/** A permission group's name, as users are given it. */
const groupNameSchema = z.string().min(1, 'Required').max(128, 'At most 128 characters');

export const applicationGrantSchema = z
  .object({
    resourceServer: resourceIndicatorSchema,
    scopes: z.array(scopeNameSchema).max(200).optional(),
    permissionGroups: z.array(groupNameSchema).max(100).optional(),
    flows: z
      .array(z.enum(GRANT_FLOWS))
      .min(1, 'Choose at least one flow')
      .default(['user', 'client_credentials']),
  })
  .strict();
export type ApplicationGrantInput = z.infer<typeof applicationGrantSchema>;

/** RFC 8693: how deep a delegation chain may be (`act` levels of an issued token), at most. */
export const MAX_TOKEN_EXCHANGE_DEPTH = 5;

/**
 * What an application may exchange a user's access token for (RFC 8693): the resource servers it
 * may ask a token for, the scopes it may carry there, and how many `act` levels the issued token
 * may have (1: the application acts directly for the user). Null: it exchanges nothing.
 */
export const tokenExchangePolicySchema = z
  .object({
    targets: z
      .array(
        z
          .object({
            resourceServer: resourceIndicatorSchema,
            scopes: z.array(scopeNameSchema).max(200),
          })
          .strict(),
      )
      .max(50),
    maxDepth: z.number().int().min(1).max(MAX_TOKEN_EXCHANGE_DEPTH).default(1),
  })
  .strict()
  .superRefine((p, ctx) => {
    const seen = new Set<string>();
    p.targets.forEach((t, i) => {
      if (seen.has(t.resourceServer))
        ctx.addIssue({
          code: 'custom',
          path: ['targets', i, 'resourceServer'],
          message: 'Name each resource server once',
        });
      seen.add(t.resourceServer);
    });
  });
export type TokenExchangePolicy = z.infer<typeof tokenExchangePolicySchema>;

const applicationShape = {
  name: z.string().trim().min(1, 'Required').max(200, 'At most 200 characters'),
  type: z.enum(CLIENT_TYPES),
  redirectUris: z.array(redirectUriSchema).max(50).default([]),
  postLogoutRedirectUris: z.array(redirectUriSchema).max(50).default([]),
  backchannelLogoutUri: z.string().max(2000).nullable().optional(),
  grantTypes: z.array(z.enum(GRANT_TYPES)).min(1, 'Choose at least one grant type'),
  policy: policySchema.optional(),
  grants: z.array(applicationGrantSchema).max(100).optional(),
  defaultResource: resourceIndicatorSchema.nullable().optional(),
  /** RFC 9126 §6: authorization requests only by request_uri from a pushed request (default false). */
  requirePushedAuthorizationRequests: z.boolean().optional(),
  /** RFC 9449: token requests without a DPoP proof are refused. */
  requireDpop: z.boolean().optional(),
  /** RFC 9449 §8: DPoP proofs must carry a nonce the server issued. */
  dpopNonces: z.boolean().optional(),
  tokenExchange: tokenExchangePolicySchema.nullable().optional(),
};

function checkApplication(
  a: { type?: ClientType; grantTypes?: GrantType[]; redirectUris?: string[] },
  ctx: z.RefinementCtx,
) {
  for (const issue of applicationIssues(a))
    ctx.addIssue({ code: 'custom', path: [issue.path], message: issue.message });
}

export const createApplicationSchema = z
  .object({
    clientId: clientIdSchema.optional(),
    clientSecret: clientSecretSchema.optional(),
    ...applicationShape,
  })
  .strict()
  .superRefine((a, ctx) => {
    checkApplication(a, ctx);
    if (a.type === 'public' && a.clientSecret) {
      ctx.addIssue({
        code: 'custom',
        path: ['clientSecret'],
        message: 'A public client has no secret',
      });
    }
  });
export type CreateApplicationInput = z.infer<typeof createApplicationSchema>;

export const updateApplicationSchema = z
  .object({
    name: applicationShape.name.optional(),
    redirectUris: z.array(redirectUriSchema).max(50).optional(),
    postLogoutRedirectUris: z.array(redirectUriSchema).max(50).optional(),
    backchannelLogoutUri: applicationShape.backchannelLogoutUri,
    grantTypes: z.array(z.enum(GRANT_TYPES)).min(1, 'Choose at least one grant type').optional(),
    policy: policySchema.optional(),
    grants: applicationShape.grants,
    defaultResource: applicationShape.defaultResource,
    tokenExchange: applicationShape.tokenExchange,
    /** true ends everything it holds (sessions' sign-ins, families, tokens) and refuses it from then on. */
    isDisabled: z.boolean().optional(),
    requirePushedAuthorizationRequests: applicationShape.requirePushedAuthorizationRequests,
    requireDpop: z.boolean().optional(),
    dpopNonces: z.boolean().optional(),
  })
  .strict();
export type UpdateApplicationInput = z.infer<typeof updateApplicationSchema>;

export const SIGNING_ALGS = ['ES256', 'EdDSA'] as const;
export type SigningAlg = (typeof SIGNING_ALGS)[number];

export const createTenantSchema = z
  .object({
    slug: slugSchema,
    name: z.string().trim().min(1, 'Required').max(200, 'At most 200 characters'),
    signingAlg: z.enum(SIGNING_ALGS).default('ES256'),
    policy: policySchema.optional(),
    rateLimits: rateLimitsSchema.optional(),
  })
  .strict();
export type CreateTenantInput = z.infer<typeof createTenantSchema>;

export const updateTenantSchema = z
  .object({
    name: createTenantSchema.shape.name.optional(),
    policy: policySchema.optional(),
    rateLimits: rateLimitsSchema.optional(),
  })
  .strict();
export type UpdateTenantInput = z.infer<typeof updateTenantSchema>;

export const scopeSchema = z
  .object({
    name: scopeNameSchema,
    description: z.string().max(500, 'At most 500 characters').default(''),
  })
  .strict();
export const permissionGroupSchema = z
  .object({ name: groupNameSchema, scopes: z.array(scopeNameSchema).max(200) })
  .strict();

export const resourceServerSchema = z
  .object({
    identifier: resourceIndicatorSchema,
    name: z.string().trim().min(1, 'Required').max(200, 'At most 200 characters'),
    baseUrls: z.array(z.url('Must be an absolute URL')).max(50).default([]),
    scopes: z.array(scopeSchema).max(500).default([]),
    permissionGroups: z.array(permissionGroupSchema).max(200).default([]),
    /** Overrides the applications' access-token lifetime for tokens of this audience, within the same cap. */
    accessTokenTtl: accessTokenTtlSchema.nullable().optional(),
    /** false: sign-ins for this resource get no refresh token. */
    allowsOfflineAccess: z.boolean().optional(),
  })
  .strict()
  .superRefine((rs, ctx) => {
    const names = new Set(rs.scopes.map((s) => s.name));
    if (names.size !== rs.scopes.length)
      ctx.addIssue({ code: 'custom', path: ['scopes'], message: 'Scope names must be unique' });
    rs.permissionGroups.forEach((g, i) =>
      g.scopes.forEach((s, j) => {
        if (!names.has(s))
          ctx.addIssue({
            code: 'custom',
            path: ['permissionGroups', i, 'scopes', j],
            message: `Unknown scope ${s}`,
          });
      }),
    );
  });
export type ResourceServerInput = z.infer<typeof resourceServerSchema>;

export const userPermissionSchema = z
  .object({
    resourceServer: resourceIndicatorSchema,
    permissionGroups: z.array(groupNameSchema).max(100).optional(),
    scopes: z.array(scopeNameSchema).max(200).optional(),
  })
  .strict();
export type UserPermissionInput = z.infer<typeof userPermissionSchema>;
export const userPermissionsSchema = z.array(userPermissionSchema).max(200);

export const userSchema = z
  .object({
    email: z.email('Must be an e-mail address').max(320, 'At most 320 characters'),
    password: z.string().min(8, 'Use at least 8 characters').max(1024, 'At most 1024 characters'),
    roles: z.array(z.enum(['admin'])).default([]),
    permissions: userPermissionsSchema.default([]),
  })
  .strict();

export const bootstrapApplicationSchema = z
  .object({
    clientId: clientIdSchema,
    clientSecret: clientSecretSchema.optional(),
    ...applicationShape,
  })
  .strict()
  .superRefine((a, ctx) => {
    checkApplication(a, ctx);
    if (a.type === 'confidential' && !a.clientSecret) {
      ctx.addIssue({
        code: 'custom',
        path: ['clientSecret'],
        message: 'A confidential client in the bootstrap file needs its clientSecret',
      });
    }
    if (a.type === 'public' && a.clientSecret) {
      ctx.addIssue({
        code: 'custom',
        path: ['clientSecret'],
        message: 'A public client has no secret',
      });
    }
  });

export const bootstrapSchema = z
  .object({
    tenants: z
      .array(
        z
          .object({
            slug: slugSchema,
            name: z.string().trim().min(1).max(200),
            signingAlg: z.enum(SIGNING_ALGS).optional(),
            policy: policySchema.optional(),
            rateLimits: rateLimitsSchema.optional(),
            resourceServers: z.array(resourceServerSchema).default([]),
            applications: z.array(bootstrapApplicationSchema).default([]),
            users: z.array(userSchema).default([]),
          })
          .strict(),
      )
      .default([]),
  })
  .strict();
export type BootstrapFile = z.infer<typeof bootstrapSchema>;

export const grantAdminSchema = z.object({ subject: z.string().min(1).max(200) }).strict();

export const createUserSchema = z
  .object({
    email: z.email('Must be an e-mail address').max(320, 'At most 320 characters'),
    password: z.string().min(8, 'Use at least 8 characters').max(1024, 'At most 1024 characters'),
    roles: z.array(z.enum(['admin'])).default([]),
    permissions: userPermissionsSchema.optional(),
  })
  .strict();
export type CreateUserInput = z.infer<typeof createUserSchema>;

export const updateUserSchema = z
  .object({
    password: z
      .string()
      .min(8, 'Use at least 8 characters')
      .max(1024, 'At most 1024 characters')
      .optional(),
    isDisabled: z.boolean().optional(),
    roles: z.array(z.enum(['admin'])).optional(),
  })
  .strict();
export type UpdateUserInput = z.infer<typeof updateUserSchema>;

export const sessionQuerySchema = z
  .object({
    user: z.uuid('Must be a user id').optional(),
    application: z.string().max(128).optional(),
    limit: z
      .string()
      .regex(/^\d+$/, 'Must be a whole number')
      .transform(Number)
      .pipe(z.number().int().min(1).max(200))
      .default(50),
    cursor: z.string().max(500).optional(),
  })
  .strict();

/** The session history: ended sessions, most recently ended first, within the retention window. */
export const sessionHistoryQuerySchema = z
  .object({
    user: z.uuid('Must be a user id').optional(),
    application: z.string().max(128).optional(),
    reason: z.enum(SESSION_END_REASONS, 'Not a reason a session ends for').optional(),
    from: z.iso.datetime({ offset: true, error: 'Must be an ISO 8601 date-time' }).optional(),
    to: z.iso.datetime({ offset: true, error: 'Must be an ISO 8601 date-time' }).optional(),
    limit: z
      .string()
      .regex(/^\d+$/, 'Must be a whole number')
      .transform(Number)
      .pipe(z.number().int().min(1).max(200))
      .default(50),
    cursor: z.string().max(500).optional(),
  })
  .strict();

export const rotateKeysSchema = z.object({ force: z.boolean().default(false) }).strict();

export const revokeSessionSchema = z.object({ reason: z.string().max(500).optional() }).strict();

const limitParam = z
  .string()
  .regex(/^\d+$/, 'Must be a whole number')
  .transform(Number)
  .pipe(z.number().int().min(1).max(500))
  .default(100);

const auditFilters = {
  type: z.string().max(64).optional(),
  /** Who acted: a user id or a client id (of the tenant that issued their token). */
  actor: z.string().max(200).optional(),
  /** What an event is about: its target, or the user or application it concerns. */
  subject: z.string().max(200).optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
};

export const auditQuerySchema = z
  .object({
    ...auditFilters,
    before: z.iso.datetime({ offset: true }).optional(),
    limit: limitParam,
  })
  .strict();

/** The audit log's filtered view as a file: JSON Lines or CSV, newest first, at most 10 000 rows. */
export const auditExportQuerySchema = z
  .object({ ...auditFilters, format: z.enum(['jsonl', 'csv']).default('jsonl') })
  .strict();

/** The overview's window: the last 24 hours by the hour, or the last 7 days by the day. */
export const overviewQuerySchema = z
  .object({ window: z.enum(['24h', '7d']).default('24h') })
  .strict();

export const deliveryQuerySchema = z
  .object({
    status: z.enum(['pending', 'delivered', 'failed']).optional(),
    session: z.uuid().optional(),
    limit: limitParam,
  })
  .strict();
