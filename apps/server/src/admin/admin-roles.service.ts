import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Tenant } from '../tenants';
import { TenantAccessService } from './tenant-access.service';
import { TenantBuiltIns } from './tenant-built-ins.service';

interface RoleHolder {
  id: string;
  roles: string[];
  isDisabled?: boolean;
}

/**
 * What the `admin` role of a user means: the user — of this tenant, with this tenant's credentials —
 * administers this tenant (`system`: every tenant), signing in to the console at the tenant's own
 * issuer, and holds the admin API's scopes there. Nothing is looked up by email and nothing is
 * created in another tenant: no identity spans tenants. Dropping the role, or disabling the user,
 * takes both away.
 */
@Injectable()
export class AdminRoles {
  constructor(
    private readonly access: TenantAccessService,
    private readonly builtIns: TenantBuiltIns,
  ) {}

  /** Call inside the transaction that writes the user; every query goes through `em`. */
  async sync(em: EntityManager, tenant: Tenant, user: RoleHolder): Promise<void> {
    const isAdmin = user.roles.includes('admin') && !user.isDisabled;
    if (isAdmin) await this.access.grant(tenant, user.id, em);
    else await this.access.revoke(tenant, user.id, em);
    await this.builtIns.holdAdminScopes(em, tenant, user.id, isAdmin);
  }
}
