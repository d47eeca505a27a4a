import { MAX_REUSE_GRACE_SECONDS, policySchema, reuseGraceSecondsSchema } from './policy';

describe('the reuse grace window', () => {
  it('takes whole seconds from 0 up to the limit', () => {
    for (const s of [0, 5, MAX_REUSE_GRACE_SECONDS])
      expect(reuseGraceSecondsSchema.safeParse(s).success).toBe(true);
  });

  it.each([
    [MAX_REUSE_GRACE_SECONDS + 1, `At most ${MAX_REUSE_GRACE_SECONDS} seconds`],
    [1.5, 'Must be a whole number of seconds'],
  ])('refuses %d: %s', (s, message) => {
    const r = reuseGraceSecondsSchema.safeParse(s);
    expect(r.error?.issues[0].message).toBe(message);
  });

  it('refuses a negative window', () => {
    expect(reuseGraceSecondsSchema.safeParse(-1).success).toBe(false);
  });

  it('is the rule of the policy the admin API takes', () => {
    expect(policySchema.safeParse({ reuseGraceSeconds: MAX_REUSE_GRACE_SECONDS }).success).toBe(
      true,
    );
    expect(policySchema.safeParse({ reuseGraceSeconds: MAX_REUSE_GRACE_SECONDS + 1 }).success).toBe(
      false,
    );
  });
});
