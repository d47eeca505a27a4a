import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { Problem } from '../http';
import { ResourceServersService } from '../resource-servers';
import { SYSTEM_TENANT, TenantsService, type Tenant } from '../tenants';
import { UsersService } from '../users';
import { ADMIN_API_AUDIENCE, ADMIN_SCOPES } from './admin-scopes';
import { TenantAccessService } from './tenant-access.service';

export interface RoleHolder {
  email: string;
  roles: string[];
  isDisabled?: boolean;
  /** Only used when the console principal has to be created (it becomes its password). */
  password?: string;
}

/**
 * What the `admin` role of a user means. The console is a public client of the `system` tenant, so
 * whoever uses it signs in there: a tenant user with `roles: ["admin"]` gets a principal of the
 * system tenant with the same email (created with the same password when missing), holding the
 * admin API's scopes and recorded as an administrator of that tenant. Dropping the role, or
 * disabling the user, removes that tenant from the principal (it keeps any other tenant it
 * administers). In the system tenant the user is its own principal, and `admin` makes them an
 * administrator of every tenant.
 */
@Injectable()
export class AdminRoles {
  constructor(
    private readonly tenants: TenantsService,
    private readonly users: UsersService,
    private readonly resourceServers: ResourceServersService,
    private readonly access: TenantAccessService,
  ) {}

  /** Call inside the transaction that writes the user; every query goes through `em`. */
  async sync(em: EntityManager, tenant: Tenant, user: RoleHolder): Promise<void> {
    const system =
      tenant.slug === SYSTEM_TENANT ? tenant : await this.tenants.lookup(SYSTEM_TENANT, em);
    if (!system) throw new Error('no system tenant'); // created at start-up, before anything else
    const isAdmin = user.roles.includes('admin') && !user.isDisabled;
    let principal = await this.users.byEmail(system.id, user.email, em);
    if (!principal) {
      if (!isAdmin) return;
      if (!user.password)
        throw Problem.validation(
          [
            {
              pointer: '/password',
              detail: `Give a password with the admin role: it becomes ${user.email}'s sign-in to the admin console`,
            },
          ],
          'An administrator needs a console sign-in',
        );
      principal = await this.users.create(em, system.id, {
        email: user.email,
        password: user.password,
        roles: [],
      });
    }
    if (!isAdmin) {
      await this.access.revoke(tenant, principal.id, em);
      return;
    }
    await this.holdAdminScopes(em, system, principal.id);
    await this.access.grant(tenant, principal.id, em);
  }

  /** Tokens carry what the user holds: the admin API's scopes, next to whatever else they hold. */
  private async holdAdminScopes(em: EntityManager, system: Tenant, userId: string): Promise<void> {
    const held = await this.resourceServers.permissionViews(system.id, userId, em);
    const others = held.filter((p) => p.resourceServer !== ADMIN_API_AUDIENCE);
    await this.resourceServers.setUserPermissions(em, system.id, userId, [
      ...others,
      { resourceServer: ADMIN_API_AUDIENCE, scopes: ADMIN_SCOPES.map((s) => s.name) },
    ]);
  }
}
