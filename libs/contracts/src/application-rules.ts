import { checkPolicyOrder, type EffectivePolicy, type PolicyIssue } from './policy';
import type { ClientType } from './schemas';

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
        'A public client cannot keep a refresh token unrotated (it has no secret to bind it): turn rotation on, or drop the refresh_token grant',
    });
  return issues;
}
