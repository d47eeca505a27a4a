import { checkPolicyOrder, type EffectivePolicy, type PolicyIssue } from './policy';

export const GRANT_TYPES = [
  'authorization_code',
  'refresh_token',
  'client_credentials',
  'urn:ietf:params:oauth:grant-type:token-exchange',
] as const;
export type GrantType = (typeof GRANT_TYPES)[number];
/** RFC 8693 §2.1 grant type: a service trades a user's access token for one to another API. */
export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const CLIENT_TYPES = ['confidential', 'public'] as const;
export type ClientType = (typeof CLIENT_TYPES)[number];

/**
 * An application's type, grant types and redirect URIs that cannot go together: a public client
 * has no secret to authenticate client_credentials with, and authorization_code returns to a
 * registered redirect URI (RFC 6749 §3.1.2). Redirect URIs are checked only when given (an update
 * that leaves them alone). The admin API refuses these; the console shows them as the form is filled.
 */
export function applicationIssues(app: {
  type?: ClientType;
  grantTypes?: readonly GrantType[];
  redirectUris?: readonly string[];
}): PolicyIssue[] {
  const issues: PolicyIssue[] = [];
  if (app.type === 'public' && app.grantTypes?.includes('client_credentials'))
    issues.push({
      path: 'grantTypes',
      message:
        'A public client has no secret, so it cannot use machine to machine (client_credentials)',
    });
  // RFC 8693 §2.1: the exchanging client authenticates; a public one cannot
  if (app.type === 'public' && app.grantTypes?.includes(TOKEN_EXCHANGE_GRANT))
    issues.push({
      path: 'grantTypes',
      message: 'A public client has no secret, so it cannot exchange tokens (token exchange)',
    });
  if (app.grantTypes?.includes('authorization_code') && app.redirectUris?.length === 0)
    issues.push({
      path: 'redirectUris',
      message: 'Sign-in needs at least one redirect URI',
    });
  return issues;
}

/**
 * Settings of an application that contradict each other once applied on the tenant's defaults:
 * the lifetime orderings, and a public client's refresh tokens without rotation (RFC 9700 §2.2.2:
 * a public client's refresh tokens are sender-constrained or rotated; Tessera only rotates).
 * The console shows these while the form is filled in; the admin API refuses them.
 */
export function applicationPolicyIssues(
  app: { type: ClientType; grantTypes: readonly string[] },
  policy: EffectivePolicy,
): PolicyIssue[] {
  const issues = checkPolicyOrder(policy);
  if (app.type === 'public' && app.grantTypes.includes('refresh_token') && !policy.rotation)
    issues.push({
      path: 'rotation',
      message:
        'A public client cannot keep a refresh token unrotated (it has no secret to bind it): turn rotation on, or untick refresh tokens',
    });
  return issues;
}
