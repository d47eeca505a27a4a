import fc from 'fast-check';
import {
  applyPolicy,
  ON_REUSE,
  secondsToDuration,
  type EffectivePolicy,
  type PolicyInput,
} from '@tessera/contracts';
import { effectivePolicy, overrideColumns, overridesView } from './application-policy';
import { anyEffectivePolicy, lifetimeSeconds } from '../../test/support/arbitraries';

const seconds = lifetimeSeconds;
const duration = seconds.map(secondsToDuration);
const tenantDefaults = anyEffectivePolicy;
/** What an application may send: any subset of the fields. */
const overrides = fc.record<PolicyInput>(
  {
    accessTokenTtl: duration,
    refreshIdleTtl: duration,
    refreshAbsoluteTtl: duration,
    sessionIdleTtl: duration,
    sessionAbsoluteTtl: duration,
    sliding: fc.boolean(),
    rotation: fc.boolean(),
    reuseGraceSeconds: fc.integer({ min: 0, max: 300 }),
    onReuse: fc.constantFrom(...ON_REUSE),
  },
  { requiredKeys: [] },
);

describe('application policy over the tenant defaults', () => {
  it('follows the tenant in every field the application leaves out', () => {
    fc.assert(
      fc.property(tenantDefaults, (d) => {
        expect(effectivePolicy(d, overrideColumns(undefined))).toEqual(d);
        expect(effectivePolicy(d, overrideColumns({}))).toEqual(d);
      }),
    );
  });

  it('is the tenant defaults with the fields the application sent laid over them', () => {
    fc.assert(
      fc.property(tenantDefaults, overrides, (d, input) => {
        expect(effectivePolicy(d, overrideColumns(input))).toEqual(applyPolicy(d, input));
      }),
    );
  });

  it('shows back exactly the fields the application overrides, and they store the same', () => {
    fc.assert(
      fc.property(overrides, (input) => {
        const columns = overrideColumns(input);
        const shown = overridesView(columns);
        expect(Object.keys(shown).sort()).toEqual(Object.keys(input).sort());
        expect(overrideColumns(shown)).toEqual(columns);
      }),
    );
  });

  it('keeps following a tenant default that changes later', () => {
    fc.assert(
      fc.property(tenantDefaults, tenantDefaults, overrides, (before, after, input) => {
        const columns = overrideColumns(input);
        const now = effectivePolicy(after, columns);
        for (const [field, value] of Object.entries(now) as Array<[keyof EffectivePolicy, unknown]>)
          if (!(field in input)) expect(value).toEqual(after[field]);
        expect(effectivePolicy(before, columns)).toEqual(applyPolicy(before, input));
      }),
    );
  });
});
