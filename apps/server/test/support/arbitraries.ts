import fc from 'fast-check';
import { ON_REUSE, type EffectivePolicy } from '@tessera/contracts';

/**
 * Lifetimes an administrator can set: up to 400 days, written in seconds (at most 7 digits) or in
 * a larger unit. Every stored lifetime came from one, so it has a duration to be shown as.
 */
export const lifetimeSeconds = fc.oneof(
  fc.integer({ min: 1, max: 9_999_999 }),
  fc.integer({ min: 1, max: 400 * 1440 }).map((minutes) => minutes * 60),
);

/** Any effective policy, every field present, its lifetimes in any order. */
export const anyEffectivePolicy = fc.record<EffectivePolicy>({
  accessTokenTtl: lifetimeSeconds,
  refreshIdleTtl: lifetimeSeconds,
  refreshAbsoluteTtl: lifetimeSeconds,
  sessionIdleTtl: lifetimeSeconds,
  sessionAbsoluteTtl: lifetimeSeconds,
  sliding: fc.boolean(),
  rotation: fc.boolean(),
  reuseGraceSeconds: fc.integer({ min: 0, max: 300 }),
  onReuse: fc.constantFrom(...ON_REUSE),
});
