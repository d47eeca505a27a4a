import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { SYSTEM_TENANT, TenantsService, type Tenant } from '../tenants';
import { TenantAdminsRepository } from './tenant-admins.repository';

/**
 * A caller of the admin API: a principal (`sub`) of the tenant whose issuer signed its token. No
 * identity spans tenants: a user of tenant A is nobody in tenant B, whatever their email.
 */
export interface AdminCaller {
  sub: string;
  /** The tenant that issued the caller's token: the only one whose administrators it can be among. */
  tenant: Tenant;
}

/**
 * Which tenants a caller administers: its own, when it is recorded as one of its administrators;
 * every tenant, when its own is `system`.
 */
@Injectable()
export class TenantAccessService {
  constructor(
    private readonly repo: TenantAdminsRepository,
    private readonly tenants: TenantsService,
  ) {}

  private administersOwn(caller: AdminCaller): Promise<boolean> {
    return this.repo.isAdmin(caller.tenant.id, caller.sub);
  }

  async isSuperAdmin(caller: AdminCaller): Promise<boolean> {
    return caller.tenant.slug === SYSTEM_TENANT && (await this.administersOwn(caller));
  }

  async administered(caller: AdminCaller): Promise<Tenant[]> {
    if (!(await this.administersOwn(caller))) return [];
    return caller.tenant.slug === SYSTEM_TENANT ? this.tenants.list() : [caller.tenant];
  }

  async canAdminister(caller: AdminCaller, tenant: Tenant): Promise<boolean> {
    if (caller.tenant.id !== tenant.id && caller.tenant.slug !== SYSTEM_TENANT) return false;
    return this.administersOwn(caller);
  }

  /** `subject` must be a principal of `tenant` (the caller checks). */
  grant(tenant: Tenant, subject: string, em?: EntityManager): Promise<void> {
    return this.repo.add(em, tenant.id, subject);
  }

  revoke(tenant: Tenant, subject: string, em?: EntityManager): Promise<void> {
    return this.repo.remove(tenant.id, subject, em);
  }

  async list(
    tenant: Tenant,
    em?: EntityManager,
  ): Promise<Array<{ subject: string; createdAt: string }>> {
    return (await this.repo.listFor(tenant.id, em)).map((r) => ({
      subject: r.subject,
      createdAt: r.createdAt.toISOString(),
    }));
  }
}
