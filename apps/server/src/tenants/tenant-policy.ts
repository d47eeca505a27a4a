import {
  applyPolicy,
  secondsToDuration,
  type EffectivePolicy,
  type PolicyInput,
} from '@tessera/contracts';
import {
  applyRateLimits,
  RATE_LIMIT_NAMES,
  rateLimitsView,
  type EffectiveRateLimits,
  type RateLimitsInput,
} from '@tessera/contracts';
import type { Tenant } from './tenant.entity';

/** What a new tenant starts with: short access tokens, rotation with a 10 s grace (a lost response is recovered, the family never branches). */
export const DEFAULT_POLICY: EffectivePolicy = {
  accessTokenTtl: 300,
  refreshIdleTtl: 14 * 86400,
  refreshAbsoluteTtl: 90 * 86400,
  sessionIdleTtl: 14 * 86400,
  sessionAbsoluteTtl: 90 * 86400,
  sliding: true,
  rotation: true,
  reuseGraceSeconds: 10,
  onReuse: 'revoke-session',
};

/**
 * Generous enough that no legitimate client meets them (the test suite does not; `npm run bench`,
 * one client at a single process's full speed, raises its tenants' own); a tenant lowers or raises
 * them through the admin API or its bootstrap file.
 */
export const DEFAULT_RATE_LIMITS: EffectiveRateLimits = {
  token: { limit: 200_000, windowSeconds: 60 },
  introspection: { limit: 200_000, windowSeconds: 60 },
  // a few tries, then a short lock (long locks would let anyone lock anyone out)
  signInAccount: { limit: 5, windowSeconds: 900, lockoutSeconds: 300 },
  // more room per address (shared NATs), longer lock
  signInAddress: { limit: 30, windowSeconds: 900, lockoutSeconds: 900 },
};

export function tenantRateLimits(t: Pick<Tenant, 'rateLimits'>): EffectiveRateLimits {
  return { ...DEFAULT_RATE_LIMITS, ...t.rateLimits };
}

/** The overrides to store after applying `input` over what the tenant has. */
export function rateLimitOverrides(
  current: Partial<EffectiveRateLimits>,
  input: RateLimitsInput | undefined,
): Partial<EffectiveRateLimits> {
  const next: Partial<EffectiveRateLimits> = { ...current };
  const applied = applyRateLimits(DEFAULT_RATE_LIMITS, input);
  for (const name of RATE_LIMIT_NAMES) if (input?.[name]) next[name] = applied[name] as never; // same name, same shape
  return next;
}

/** Equal limits whatever the key order (jsonb reorders keys). */
export function sameRateLimits(
  a: Partial<EffectiveRateLimits>,
  b: Partial<EffectiveRateLimits>,
): boolean {
  const canon = (l: Partial<EffectiveRateLimits>) =>
    JSON.stringify(RATE_LIMIT_NAMES.map((n) => [n, l[n] ? Object.entries(l[n]).sort() : null]));
  return canon(a) === canon(b);
}

export { rateLimitsView };

export function tenantPolicy(t: Tenant): EffectivePolicy {
  return {
    accessTokenTtl: t.accessTokenTtl,
    refreshIdleTtl: t.refreshIdleTtl,
    refreshAbsoluteTtl: t.refreshAbsoluteTtl,
    sessionIdleTtl: t.sessionIdleTtl,
    sessionAbsoluteTtl: t.sessionAbsoluteTtl,
    sliding: t.isSliding,
    rotation: t.isRotating,
    reuseGraceSeconds: t.reuseGraceSeconds,
    onReuse: t.onReuse,
  };
}

export function policyColumns(p: EffectivePolicy): Partial<Tenant> {
  return {
    accessTokenTtl: p.accessTokenTtl,
    refreshIdleTtl: p.refreshIdleTtl,
    refreshAbsoluteTtl: p.refreshAbsoluteTtl,
    sessionIdleTtl: p.sessionIdleTtl,
    sessionAbsoluteTtl: p.sessionAbsoluteTtl,
    isSliding: p.sliding,
    isRotating: p.rotation,
    reuseGraceSeconds: p.reuseGraceSeconds,
    onReuse: p.onReuse,
  };
}

/** The wire form of a complete policy: durations as `15m`, `14d`. */
export function policyView(p: EffectivePolicy): Required<PolicyInput> {
  return {
    accessTokenTtl: secondsToDuration(p.accessTokenTtl),
    refreshIdleTtl: secondsToDuration(p.refreshIdleTtl),
    refreshAbsoluteTtl: secondsToDuration(p.refreshAbsoluteTtl),
    sessionIdleTtl: secondsToDuration(p.sessionIdleTtl),
    sessionAbsoluteTtl: secondsToDuration(p.sessionAbsoluteTtl),
    sliding: p.sliding,
    rotation: p.rotation,
    reuseGraceSeconds: p.reuseGraceSeconds,
    onReuse: p.onReuse,
  };
}

export { applyPolicy };

import { checkPolicyOrder } from '@tessera/contracts';
import { ValidationFailed, type FieldPath } from '../errors';

/** Refuses a policy whose lifetimes contradict each other, naming each field (400). */
export function assertPolicyOrder(p: EffectivePolicy, at: FieldPath = ['policy']): void {
  const issues = checkPolicyOrder(p);
  if (issues.length) {
    throw new ValidationFailed(
      issues.map((i) => ({ path: [...at, i.path], detail: i.message })),
      'The policy contradicts itself',
    );
  }
}
