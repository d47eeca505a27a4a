import { applicationIssues, applicationPolicyIssues } from './application-rules';
import type { EffectivePolicy } from './policy';
import { createApplicationSchema, updateApplicationSchema } from './schemas';

describe('what an application cannot combine', () => {
  it('refuses client_credentials for a public client, which has no secret', () => {
    expect(applicationIssues({ type: 'public', grantTypes: ['client_credentials'] })).toEqual([
      {
        path: 'grantTypes',
        message:
          'A public client has no secret, so it cannot use machine to machine (client_credentials)',
      },
    ]);
    expect(applicationIssues({ type: 'confidential', grantTypes: ['client_credentials'] })).toEqual(
      [],
    );
  });

  it('asks authorization_code for a redirect URI, but only when the URIs are given', () => {
    const grantTypes = ['authorization_code'] as const;
    expect(applicationIssues({ grantTypes: [...grantTypes], redirectUris: [] })).toEqual([
      { path: 'redirectUris', message: 'Sign-in needs at least one redirect URI' },
    ]);
    expect(applicationIssues({ grantTypes: [...grantTypes] })).toEqual([]); // an update without them
    expect(
      applicationIssues({ grantTypes: [...grantTypes], redirectUris: ['https://a.example/cb'] }),
    ).toEqual([]);
  });

  it('is the rule the create schema applies, with the same pointer and words', () => {
    const r = createApplicationSchema.safeParse({
      name: 'SPA',
      type: 'public',
      grantTypes: ['authorization_code', 'client_credentials'],
      redirectUris: [],
    });
    expect(r.success).toBe(false);
    const issues = r.error!.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
    expect(issues).toEqual(
      applicationIssues({
        type: 'public',
        grantTypes: ['authorization_code', 'client_credentials'],
        redirectUris: [],
      }),
    );
  });

  it('leaves an update that names no type to the server, which knows the stored one', () => {
    expect(updateApplicationSchema.safeParse({ grantTypes: ['client_credentials'] }).success).toBe(
      true,
    );
  });
});

describe("an application's policy on the tenant's defaults", () => {
  const policy: EffectivePolicy = {
    accessTokenTtl: 900,
    refreshIdleTtl: 86400,
    refreshAbsoluteTtl: 86400 * 14,
    sessionIdleTtl: 86400,
    sessionAbsoluteTtl: 86400 * 30,
    sliding: true,
    rotation: false,
    reuseGraceSeconds: 0,
    onReuse: 'revoke-family',
  };

  it('refuses unrotated refresh tokens for a public client (RFC 9700 §2.2.2)', () => {
    const app = { type: 'public' as const, grantTypes: ['authorization_code', 'refresh_token'] };
    expect(applicationPolicyIssues(app, policy).map((i) => i.path)).toEqual(['rotation']);
    expect(applicationPolicyIssues(app, { ...policy, rotation: true })).toEqual([]);
    expect(applicationPolicyIssues({ ...app, type: 'confidential' }, policy)).toEqual([]);
  });
});
