export { TenantsModule } from './tenants.module';
export { TenantsService, SYSTEM_TENANT } from './tenants.service';
export { Tenant } from './tenant.entity';
export { tenantView, issuerOf, type TenantView } from './tenant.view';
export { DEFAULT_POLICY, policyView, tenantPolicy, assertPolicyOrder } from './tenant-policy';
