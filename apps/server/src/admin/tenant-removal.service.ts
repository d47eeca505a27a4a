import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ApplicationsService } from '../applications';
import { AuditService } from '../audit';
import { Forbidden, NotFound } from '../errors';
import { SessionsService } from '../sessions';
import { SYSTEM_TENANT, TenantsService, type Tenant } from '../tenants';
import { TenantAccessService } from './tenant-access.service';

/**
 * Deleting a tenant, in one transaction: its issuer goes (every endpoint of it answers 404 from the
 * commit, so no token of it is active at introspection and none is minted), every session ends
 * (its event, its back-channel logouts), every application is disabled and the tokens it obtained
 * on its own behalf are cut off, and nobody administers it any more. Its rows stay until every
 * token it issued has expired (TenantsService.purgeDeleted): the back-channel logouts go out, and
 * the feed streams already open deliver the events, so following validators refuse at once.
 */
@Injectable()
export class TenantRemoval {
  constructor(
    private readonly dataSource: DataSource,
    private readonly tenants: TenantsService,
    private readonly sessions: SessionsService,
    private readonly applications: ApplicationsService,
    private readonly access: TenantAccessService,
    private readonly audit: AuditService,
  ) {}

  async remove(tenant: Tenant, by: string): Promise<void> {
    if (tenant.slug === SYSTEM_TENANT) throw new Forbidden('The system tenant cannot be deleted');
    const system = await this.tenants.require(SYSTEM_TENANT);
    // read before the transaction, which may query through its own manager only
    const admins = await this.access.list(tenant);
    await this.dataSource.transaction(async (em) => {
      if (!(await this.tenants.markDeleted(em, tenant))) throw new NotFound('Tenant');
      const sessionsEnded = await this.sessions.revokeAllOfTenant(em, tenant.id, 'tenant_deleted');
      await this.applications.endAllIn(em, tenant);
      for (const a of admins) await this.access.revoke(tenant, a.subject, em);
      // in the system tenant's log: the tenant's own goes with it
      await this.audit.record(em, {
        tenantId: system.id,
        type: 'tenant_deleted',
        detail: { tenant: tenant.slug, tenantId: tenant.id, by, sessionsEnded },
      });
    });
    this.tenants.forget(tenant);
  }
}
