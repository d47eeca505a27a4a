import { z } from 'zod';
import { durationSchema, durationToSeconds, secondsToDuration } from './duration';

const DURATION_RE = /^\d+[smhd]$/;
const atMostOneDay = (v: string) => !DURATION_RE.test(v) || durationToSeconds(v) <= 86400;

/** Requests allowed per window: the next one in the same window is answered 429. */
export const rateLimitRuleSchema = z
  .object({
    limit: z
      .number()
      .int('Must be a whole number')
      .min(1, 'At least 1')
      .max(100_000_000, 'At most 100000000'),
    window: durationSchema.refine(atMostOneDay, 'At most 1d'),
  })
  .strict();

/** Failures allowed per window; the failure that reaches the limit locks for `lockout`. */
export const lockoutRuleSchema = z
  .object({
    limit: z
      .number()
      .int('Must be a whole number')
      .min(1, 'At least 1')
      .max(10_000, 'At most 10000'),
    window: durationSchema.refine(atMostOneDay, 'At most 1d'),
    lockout: durationSchema.refine(atMostOneDay, 'At most 1d'),
  })
  .strict();

/** A tenant's limits; a rule left out keeps its default. */
export const rateLimitsSchema = z
  .object({
    token: rateLimitRuleSchema.optional(),
    introspection: rateLimitRuleSchema.optional(),
    signInAccount: lockoutRuleSchema.optional(),
    signInAddress: lockoutRuleSchema.optional(),
  })
  .strict();
export type RateLimitsInput = z.infer<typeof rateLimitsSchema>;

export interface RateLimitRule {
  limit: number;
  windowSeconds: number;
}
export interface LockoutRule extends RateLimitRule {
  lockoutSeconds: number;
}

/** Limits as the server applies them, in seconds. */
export interface EffectiveRateLimits {
  /** Token and revocation requests per client. */
  token: RateLimitRule;
  /** Introspection requests per caller (resource server or application). */
  introspection: RateLimitRule;
  /** Failed sign-ins per account (an e-mail address, known or not). */
  signInAccount: LockoutRule;
  /** Failed sign-ins per client address. */
  signInAddress: LockoutRule;
}

export const RATE_LIMIT_NAMES = [
  'token',
  'introspection',
  'signInAccount',
  'signInAddress',
] as const;
export type RateLimitName = (typeof RATE_LIMIT_NAMES)[number];

/** The stored overrides over `base`: each named rule replaces the default whole. */
export function applyRateLimits(
  base: EffectiveRateLimits,
  input: RateLimitsInput | undefined,
): EffectiveRateLimits {
  const out = { ...base };
  for (const name of RATE_LIMIT_NAMES) {
    const r = input?.[name];
    if (!r) continue;
    const rule: RateLimitRule = { limit: r.limit, windowSeconds: durationToSeconds(r.window) };
    out[name] = (
      'lockout' in r ? { ...rule, lockoutSeconds: durationToSeconds(r.lockout) } : rule
    ) as never; // each name has its own rule shape, checked by the schema
  }
  return out;
}

/** The wire form of effective limits: durations as `1m`, `15m`. */
export function rateLimitsView(l: EffectiveRateLimits): Required<RateLimitsInput> {
  const rule = (r: RateLimitRule) => ({
    limit: r.limit,
    window: secondsToDuration(r.windowSeconds),
  });
  const lockout = (r: LockoutRule) => ({
    ...rule(r),
    lockout: secondsToDuration(r.lockoutSeconds),
  });
  return {
    token: rule(l.token),
    introspection: rule(l.introspection),
    signInAccount: lockout(l.signInAccount),
    signInAddress: lockout(l.signInAddress),
  };
}
