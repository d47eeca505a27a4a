import type { TenantView } from '@tessera/contracts';
import type { Tenant } from './tenant.entity';
import { policyView, rateLimitsView, tenantPolicy, tenantRateLimits } from './tenant-policy';

export function issuerOf(publicUrl: string, slug: string): string {
  return `${publicUrl}/t/${slug}`;
}

export function tenantView(t: Tenant, publicUrl: string): TenantView {
  return {
    id: t.id,
    slug: t.slug,
    name: t.name,
    issuer: issuerOf(publicUrl, t.slug),
    signingAlg: t.signingAlg,
    policy: policyView(tenantPolicy(t)),
    rateLimits: rateLimitsView(tenantRateLimits(t)),
    createdAt: t.createdAt.toISOString(),
    updatedAt: t.updatedAt.toISOString(),
  };
}
