import type { EffectivePolicy, PolicyInput } from '@tessera/contracts';
import type { GrantView } from '../resource-servers';
import { policyView } from '../tenants';
import type { Application } from './application.entity';
import { effectivePolicy, overridesView } from './application-policy';

export interface ApplicationView {
  clientId: string;
  name: string;
  type: string;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  backchannelLogoutUri: string | null;
  grantTypes: string[];
  defaultResource: string | null;
  /** Only what this application overrides. */
  policy: PolicyInput;
  /** What applies: the overrides on the tenant's defaults. */
  effectivePolicy: ReturnType<typeof policyView>;
  grants: GrantView[];
  createdAt: string;
  updatedAt: string;
}

export function applicationView(
  a: Application,
  tenantDefaults: EffectivePolicy,
  defaultResource: string | null,
  grants: GrantView[],
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
    createdAt: a.createdAt.toISOString(),
    updatedAt: a.updatedAt.toISOString(),
  };
}
