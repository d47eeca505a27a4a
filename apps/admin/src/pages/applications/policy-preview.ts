import {
  applicationPolicyIssues,
  applyPolicy,
  type ClientType,
  type EffectivePolicy,
  type PolicyInput,
} from '@tessera/contracts';
import type { WirePolicy } from '../../api/types';
import { humanSeconds } from '../../components/format';

/** The tenant's defaults as the server sends them (`15m`) → seconds. */
export function policySeconds(p: WirePolicy): EffectivePolicy {
  return applyPolicy(
    {
      accessTokenTtl: 0,
      refreshIdleTtl: 0,
      refreshAbsoluteTtl: 0,
      sessionIdleTtl: 0,
      sessionAbsoluteTtl: 0,
      sliding: p.sliding,
      rotation: p.rotation,
      reuseGraceSeconds: p.reuseGraceSeconds,
      onReuse: p.onReuse,
    },
    p,
  );
}

export function effective(tenantDefaults: WirePolicy, overrides: PolicyInput): EffectivePolicy {
  return applyPolicy(policySeconds(tenantDefaults), overrides);
}

export function issuesOf(
  app: { type: ClientType; grantTypes: string[] },
  tenantDefaults: WirePolicy,
  overrides: PolicyInput,
) {
  return applicationPolicyIssues(app, effective(tenantDefaults, overrides));
}

const until = (seconds: number, now: number) =>
  new Date(now + seconds * 1000).toLocaleString(undefined, {
    dateStyle: 'medium',
    timeStyle: 'short',
  });

/** What a policy means, in words and worst cases, for the policy preview. */
export function previewSentences(p: EffectivePolicy, now = Date.now()): string[] {
  const h = humanSeconds;
  const out: string[] = [];
  const idle = Math.min(p.sessionIdleTtl, p.refreshIdleTtl);
  out.push(
    `An idle user is signed out after ${h(idle)} without using the application.`,
    p.sliding
      ? `Activity keeps a session going ${h(p.sessionIdleTtl)} past the last use, but never beyond ${h(p.sessionAbsoluteTtl)} after sign-in: everyone signs in again by then.`
      : `Activity does not extend a session: it ends ${h(Math.min(p.sessionIdleTtl, p.sessionAbsoluteTtl))} after sign-in at the latest.`,
  );
  const refreshWindow = Math.min(p.refreshAbsoluteTtl, p.sessionAbsoluteTtl);
  if (p.rotation) {
    const consequence =
      p.onReuse === 'revoke-session'
        ? 'the whole session is signed out'
        : "that sign-in's token family is revoked (other applications stay signed in)";
    out.push(
      `A stolen refresh token works only until either side uses the same token again: ${p.reuseGraceSeconds > 0 ? `after a ${p.reuseGraceSeconds} s grace for a second tab, ` : ''}reuse is detected and ${consequence}.`,
      `Worst case, when the rightful user never comes back, a stolen refresh token works at most until ${until(refreshWindow, now)} (${h(refreshWindow)} after a sign-in now), and stops after ${h(p.refreshIdleTtl)} without use.`,
    );
  } else {
    out.push(
      `Rotation is off: a stolen refresh token cannot be told apart from the real one. It works at most until ${until(refreshWindow, now)} (${h(refreshWindow)} after a sign-in now) unless the session is revoked.`,
    );
  }
  out.push(
    `An access token lives ${h(p.accessTokenTtl)}. A revoked session's access tokens are refused by feed-following APIs within ~1 s, by others after at most ${h(p.accessTokenTtl)}.`,
  );
  return out;
}
