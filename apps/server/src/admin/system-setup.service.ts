import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config';
import { AUTOMATION_CLIENT_ID, ApplicationsService } from '../applications';
import { randomToken } from '../secrets';
import { SYSTEM_TENANT, TenantsService } from '../tenants';
import { UsersService } from '../users';
import { ADMIN_API_AUDIENCE, ADMIN_SCOPES } from './admin-scopes';
import { TenantAccessService } from './tenant-access.service';
import { TenantBuiltIns } from './tenant-built-ins.service';

export { AUTOMATION_CLIENT_ID };
export { CONSOLE_CLIENT_ID } from './tenant-built-ins.service';
const SETUP_LOCK_KEY = 7_238_016_453;

export interface FirstStart {
  adminEmail: string;
  /** Only when generated: printed once, never stored in clear. */
  generatedAdminPassword?: string;
  automationClientId: string;
  automationClientSecret: string;
}

/**
 * The system tenant, whose administrators administer every tenant: the first administrator and a
 * machine client for automation, created once, on the first start of an empty database. Every
 * start then brings each tenant's built-ins (admin API, console client, account API) in line.
 */
@Injectable()
export class SystemSetup {
  constructor(
    private readonly dataSource: DataSource,
    private readonly tenants: TenantsService,
    private readonly builtIns: TenantBuiltIns,
    private readonly applications: ApplicationsService,
    private readonly users: UsersService,
    private readonly access: TenantAccessService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Returns the first-start credentials when this call created the system tenant. */
  async ensure(): Promise<FirstStart | undefined> {
    const first = await this.dataSource.transaction(async (em) => {
      // instances starting together: one creates, the others then find it
      await em.query('SELECT pg_advisory_xact_lock($1)', [SETUP_LOCK_KEY]);
      if (await this.tenants.lookup(SYSTEM_TENANT, em)) return undefined;
      const system = await this.builtIns.createTenant(
        { slug: SYSTEM_TENANT, name: 'Tessera system', signingAlg: 'ES256' },
        em,
      );
      const adminEmail = this.config.adminEmail ?? 'admin@tessera.local';
      const generatedAdminPassword = this.config.adminPassword ? undefined : randomToken(18);
      const admin = await this.users.create(em, system.id, {
        email: adminEmail,
        password: this.config.adminPassword ?? generatedAdminPassword!,
        roles: ['admin'],
      }); // one of the two is set
      await this.access.grant(system, admin.id, em);
      await this.builtIns.holdAdminScopes(em, system, admin.id, true);
      const created = await this.applications.create(
        system,
        {
          clientId: AUTOMATION_CLIENT_ID,
          name: 'Automation (admin API)',
          type: 'confidential',
          grantTypes: ['client_credentials'],
          redirectUris: [],
          postLogoutRedirectUris: [],
          grants: [
            {
              resourceServer: ADMIN_API_AUDIENCE,
              scopes: ADMIN_SCOPES.map((s) => s.name),
              flows: ['client_credentials'],
            },
          ],
        },
        em,
      );
      await this.access.grant(system, AUTOMATION_CLIENT_ID, em);
      return {
        adminEmail,
        generatedAdminPassword,
        automationClientId: AUTOMATION_CLIENT_ID,
        automationClientSecret: created.clientSecret!,
      }; // generated for a confidential client
    });
    // usually none: a database from before the built-ins, a new PUBLIC_URL, an upgrade's scopes
    for (const id of await this.builtIns.outdated()) {
      await this.dataSource.transaction(async (em) => {
        await em.query('SELECT pg_advisory_xact_lock($1)', [SETUP_LOCK_KEY]);
        const tenant = await this.tenants.lookupById(id, em);
        if (tenant) await this.builtIns.ensure(em, tenant);
      });
    }
    return first;
  }
}
