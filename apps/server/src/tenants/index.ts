export { TenantsModule, TENANTS_ENTITIES } from './tenants.module';
export { TenantsService, SYSTEM_TENANT } from './tenants.service';
export { Tenant } from './tenant.entity';
export { tenantView, issuerOf } from './tenant.view';
export {
  DEFAULT_POLICY,
  DEFAULT_RATE_LIMITS,
  policyView,
  tenantPolicy,
  tenantRateLimits,
  assertPolicyOrder,
} from './tenant-policy';
