import { z } from 'zod';
import { durationSchema, durationToSeconds } from './duration';

export const ON_REUSE = ['revoke-session', 'revoke-family'] as const;
export type OnReuse = (typeof ON_REUSE)[number];

/**
 * The longest an access token may live, wherever its lifetime is set (tenant, application or
 * resource server): validators that ignore the revocation feed cannot refuse it before it expires.
 */
export const MAX_ACCESS_TOKEN_TTL_SECONDS = 86400;

/** An access-token lifetime, within the one cap every lifetime that reaches a token obeys. */
export const accessTokenTtlSchema = durationSchema.refine(
  (v) => !/^\d+[smhd]$/.test(v) || durationToSeconds(v) <= MAX_ACCESS_TOKEN_TTL_SECONDS,
  'At most 1d',
);

/** The longest a just-rotated refresh token may come back without counting as reuse. */
export const MAX_REUSE_GRACE_SECONDS = 300;

/** The reuse grace window, in whole seconds (a second tab refreshing at the same moment). */
export const reuseGraceSecondsSchema = z
  .number()
  .int('Must be a whole number of seconds')
  .min(0, 'Must not be negative')
  .max(MAX_REUSE_GRACE_SECONDS, `At most ${MAX_REUSE_GRACE_SECONDS} seconds`);

/** Token and session policy; every field optional so an application can override some of the tenant's. */
export const policyFields = {
  accessTokenTtl: accessTokenTtlSchema.optional(),
  refreshIdleTtl: durationSchema.optional(),
  refreshAbsoluteTtl: durationSchema.optional(),
  sessionIdleTtl: durationSchema.optional(),
  sessionAbsoluteTtl: durationSchema.optional(),
  sliding: z.boolean().optional(),
  rotation: z.boolean().optional(),
  reuseGraceSeconds: reuseGraceSecondsSchema.optional(),
  onReuse: z.enum(ON_REUSE).optional(),
};
export const policySchema = z.object(policyFields).strict();
export type PolicyInput = z.infer<typeof policySchema>;

/** A complete policy, in seconds, as the server applies it. */
export interface EffectivePolicy {
  accessTokenTtl: number;
  refreshIdleTtl: number;
  refreshAbsoluteTtl: number;
  sessionIdleTtl: number;
  sessionAbsoluteTtl: number;
  sliding: boolean;
  rotation: boolean;
  reuseGraceSeconds: number;
  onReuse: OnReuse;
}

export const POLICY_DURATION_FIELDS = [
  'accessTokenTtl',
  'refreshIdleTtl',
  'refreshAbsoluteTtl',
  'sessionIdleTtl',
  'sessionAbsoluteTtl',
] as const;

export interface PolicyIssue {
  path: string;
  message: string;
}

/**
 * The orderings that make a policy meaningful. A refresh family lives inside its session, so a
 * refresh lifetime beyond the session's could never be reached: refusing it says so plainly.
 */
export function checkPolicyOrder(p: EffectivePolicy): PolicyIssue[] {
  const issues: PolicyIssue[] = [];
  const rule = (ok: boolean, path: string, message: string) => ok || issues.push({ path, message });
  rule(
    p.accessTokenTtl <= p.refreshAbsoluteTtl,
    'accessTokenTtl',
    'Must not be longer than the refresh token absolute lifetime',
  );
  rule(
    p.refreshIdleTtl <= p.refreshAbsoluteTtl,
    'refreshIdleTtl',
    'Must not be longer than the refresh token absolute lifetime',
  );
  rule(
    p.refreshAbsoluteTtl <= p.sessionAbsoluteTtl,
    'refreshAbsoluteTtl',
    'Must not be longer than the session absolute lifetime: a refresh token dies with its session',
  );
  rule(
    p.sessionIdleTtl <= p.sessionAbsoluteTtl,
    'sessionIdleTtl',
    'Must not be longer than the session absolute lifetime',
  );
  return issues;
}

/** Overlays an input policy (duration strings) onto a complete one (seconds). */
export function applyPolicy(
  base: EffectivePolicy,
  input: PolicyInput | undefined,
): EffectivePolicy {
  const out: EffectivePolicy = { ...base };
  if (!input) return out;
  for (const field of POLICY_DURATION_FIELDS) {
    const v = input[field];
    if (v !== undefined) out[field] = durationToSeconds(v);
  }
  if (input.sliding !== undefined) out.sliding = input.sliding;
  if (input.rotation !== undefined) out.rotation = input.rotation;
  if (input.reuseGraceSeconds !== undefined) out.reuseGraceSeconds = input.reuseGraceSeconds;
  if (input.onReuse !== undefined) out.onReuse = input.onReuse;
  return out;
}
