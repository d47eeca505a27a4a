import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { SYSTEM_TENANT, TenantsService, type Tenant } from '../tenants';
import { TenantAdminsRepository } from './tenant-admins.repository';

/**
 * Which tenants a principal of the system tenant administers. Administering `system` means
 * administering every tenant.
 */
@Injectable()
export class TenantAccessService {
  constructor(
    private readonly repo: TenantAdminsRepository,
    private readonly tenants: TenantsService,
  ) {}

  async isSuperAdmin(subject: string): Promise<boolean> {
    const system = await this.tenants.require(SYSTEM_TENANT);
    return (await this.repo.tenantIdsOf(subject)).includes(system.id);
  }

  async administered(subject: string): Promise<Tenant[]> {
    const ids = await this.repo.tenantIdsOf(subject);
    const system = await this.tenants.require(SYSTEM_TENANT);
    return ids.includes(system.id) ? this.tenants.list() : this.tenants.listByIds(ids);
  }

  async canAdminister(subject: string, tenant: Tenant): Promise<boolean> {
    const ids = await this.repo.tenantIdsOf(subject);
    if (ids.includes(tenant.id)) return true;
    const system = await this.tenants.bySlug(SYSTEM_TENANT);
    return !!system && ids.includes(system.id);
  }

  grant(tenant: Tenant, subject: string, em?: EntityManager): Promise<void> {
    return this.repo.add(em, tenant.id, subject);
  }

  revoke(tenant: Tenant, subject: string, em?: EntityManager): Promise<void> {
    return this.repo.remove(tenant.id, subject, em);
  }

  async list(tenant: Tenant): Promise<Array<{ subject: string; createdAt: string }>> {
    return (await this.repo.listFor(tenant.id)).map((r) => ({
      subject: r.subject,
      createdAt: r.createdAt.toISOString(),
    }));
  }

  /** A deleted system principal administers nothing, and a new one reusing its id inherits nothing. */
  forget(subject: string): Promise<void> {
    return this.repo.removeSubjectEverywhere(subject);
  }
}
