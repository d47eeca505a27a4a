import fc from 'fast-check';
import {
  applyRateLimits,
  checkPolicyOrder,
  RATE_LIMIT_NAMES,
  type EffectiveRateLimits,
} from '@tessera/contracts';
import type { Tenant } from './tenant.entity';
import {
  applyPolicy,
  assertPolicyOrder,
  DEFAULT_POLICY,
  DEFAULT_RATE_LIMITS,
  policyColumns,
  policyView,
  rateLimitOverrides,
  rateLimitsView,
  sameRateLimits,
  tenantPolicy,
  tenantRateLimits,
} from './tenant-policy';
import { anyEffectivePolicy } from '../../test/support/arbitraries';

const anyPolicy = anyEffectivePolicy;
const rule = fc.record({
  limit: fc.integer({ min: 1, max: 1_000_000 }),
  windowSeconds: fc.integer({ min: 1, max: 86400 }),
});
const lockout = fc.record({
  limit: fc.integer({ min: 1, max: 10_000 }),
  windowSeconds: fc.integer({ min: 1, max: 86400 }),
  lockoutSeconds: fc.integer({ min: 1, max: 86400 }),
});
const anyLimits = fc.record<EffectiveRateLimits>({
  token: rule,
  introspection: rule,
  signInAccount: lockout,
  signInAddress: lockout,
});

describe('tenant policy', () => {
  it('starts every tenant with a policy that does not contradict itself', () => {
    expect(checkPolicyOrder(DEFAULT_POLICY)).toEqual([]);
    expect(() => assertPolicyOrder(DEFAULT_POLICY)).not.toThrow();
  });

  it('stores a policy in columns and reads the same policy back', () => {
    fc.assert(
      fc.property(anyPolicy, (p) => {
        expect(tenantPolicy(policyColumns(p) as Tenant)).toEqual(p);
      }),
    );
  });

  it('shows a policy on the wire in a form that reads back to the same policy', () => {
    fc.assert(
      fc.property(anyPolicy, anyPolicy, (p, base) => {
        expect(applyPolicy(base, policyView(p))).toEqual(p);
      }),
    );
  });

  it('refuses exactly the policies whose lifetimes contradict, naming each field under the prefix', () => {
    fc.assert(
      fc.property(anyPolicy, (p) => {
        const issues = checkPolicyOrder(p);
        let thrown: unknown;
        try {
          assertPolicyOrder(p, ['defaults']);
        } catch (err) {
          thrown = err;
        }
        if (!issues.length) return expect(thrown).toBeUndefined();
        expect(thrown).toMatchObject({
          code: 'validation_failed',
          fields: issues.map((i) => ({ path: ['defaults', i.path], detail: i.message })),
        });
      }),
    );
  });
});

describe('tenant rate limits', () => {
  it('gives the defaults to a tenant that overrides nothing', () => {
    expect(tenantRateLimits({ rateLimits: {} })).toEqual(DEFAULT_RATE_LIMITS);
  });

  it('replaces a named rule whole and keeps every other override', () => {
    fc.assert(
      fc.property(
        anyLimits,
        anyLimits,
        fc.subarray([...RATE_LIMIT_NAMES]),
        (current, next, names) => {
          const wire = rateLimitsView(next);
          const input = Object.fromEntries(names.map((n) => [n, wire[n]]));
          const stored = rateLimitOverrides(current, input);
          for (const n of RATE_LIMIT_NAMES)
            expect(stored[n]).toEqual(names.includes(n) ? next[n] : current[n]);
        },
      ),
    );
  });

  it('changes nothing when the input names no rule', () => {
    fc.assert(
      fc.property(anyLimits, (current) => {
        expect(rateLimitOverrides(current, undefined)).toEqual(current);
        expect(rateLimitOverrides(current, {})).toEqual(current);
      }),
    );
  });

  it('shows limits on the wire in a form that reads back to the same limits', () => {
    fc.assert(
      fc.property(anyLimits, (l) => {
        expect(applyRateLimits(DEFAULT_RATE_LIMITS, rateLimitsView(l))).toEqual(l);
      }),
    );
  });

  it('finds two overrides equal whatever their key order (jsonb reorders keys), and only then', () => {
    fc.assert(
      fc.property(anyLimits, anyLimits, fc.subarray([...RATE_LIMIT_NAMES]), (a, b, names) => {
        const picked = Object.fromEntries(names.map((n) => [n, a[n]]));
        const reordered = Object.fromEntries(
          [...names].reverse().map((n) => [n, Object.fromEntries(Object.entries(a[n]).reverse())]),
        );
        expect(sameRateLimits(picked, reordered)).toBe(true);
        const other = Object.fromEntries(names.map((n) => [n, b[n]]));
        const differs = names.some((n) => JSON.stringify(a[n]) !== JSON.stringify(b[n]));
        expect(sameRateLimits(picked, other)).toBe(!differs);
      }),
    );
  });
});
