import type { ApplicationView, EffectivePolicy, GrantView } from '@tessera/contracts';
import { policyView } from '../tenants';
import type { Application } from './application.entity';
import { effectivePolicy, overridesView } from './application-policy';

export function applicationView(
  a: Application,
  tenantDefaults: EffectivePolicy,
  defaultResource: string | null,
  grants: GrantView[],
  isSystem: boolean,
): ApplicationView {
  return {
    clientId: a.clientId,
    name: a.name,
    type: a.type,
    redirectUris: a.redirectUris,
    postLogoutRedirectUris: a.postLogoutRedirectUris,
    backchannelLogoutUri: a.backchannelLogoutUri,
    grantTypes: a.grantTypes,
    defaultResource,
    policy: overridesView(a),
    effectivePolicy: policyView(effectivePolicy(tenantDefaults, a)),
    grants,
    isDisabled: a.isDisabled,
    isSystem,
    requireDpop: a.requireDpop,
    dpopNonces: a.dpopNonces,
    createdAt: a.createdAt.toISOString(),
    updatedAt: a.updatedAt.toISOString(),
    requirePushedAuthorizationRequests: a.requirePushedAuthorizationRequests,
    tokenExchange: a.tokenExchange ?? null,
  };
}
