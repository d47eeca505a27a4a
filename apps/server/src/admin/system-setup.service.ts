import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { redirectUriProblem, type CreateApplicationInput } from '@tessera/contracts';
import { APP_CONFIG, type AppConfig } from '../config';
import { ApplicationsService } from '../applications';
import { ResourceServersService } from '../resource-servers';
import { randomToken } from '../secrets';
import { SYSTEM_TENANT, TenantsService, type Tenant } from '../tenants';
import { UsersService } from '../users';
import { ADMIN_API_AUDIENCE, ADMIN_SCOPES } from './admin-scopes';
import { TenantAccessService } from './tenant-access.service';

export const AUTOMATION_CLIENT_ID = 'tessera-automation';
/** The admin console: a public client (code + PKCE, rotating refresh tokens) of the system tenant. */
export const CONSOLE_CLIENT_ID = 'tessera-console';
const SETUP_LOCK_KEY = 7_238_016_453;

export interface FirstStart {
  adminEmail: string;
  /** Only when generated: printed once, never stored in clear. */
  generatedAdminPassword?: string;
  automationClientId: string;
  automationClientSecret: string;
}

/**
 * The system tenant: the admin API's resource server with its scopes, the first administrator and
 * a machine client for automation. Created once, on the first start of an empty database.
 */
@Injectable()
export class SystemSetup {
  constructor(
    private readonly dataSource: DataSource,
    private readonly tenants: TenantsService,
    private readonly resourceServers: ResourceServersService,
    private readonly applications: ApplicationsService,
    private readonly users: UsersService,
    private readonly access: TenantAccessService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Returns the first-start credentials when this call created the system tenant. */
  async ensure(): Promise<FirstStart | undefined> {
    return this.dataSource.transaction(async (em) => {
      // instances starting together: one creates, the others then find it
      await em.query('SELECT pg_advisory_xact_lock($1)', [SETUP_LOCK_KEY]);
      const adminApi = {
        identifier: ADMIN_API_AUDIENCE,
        name: 'Tessera admin API',
        baseUrls: [`${this.config.publicUrl}/admin/api`],
        scopes: ADMIN_SCOPES.map((s) => ({ ...s })),
        permissionGroups: [],
      };
      const existing = await this.tenants.lookup(SYSTEM_TENANT, em);
      if (existing) {
        await this.resourceServers.upsert(em, existing.id, adminApi, true); // scopes added by upgrades
        await this.ensureConsole(em, existing); // databases from before the console get it too
        return undefined;
      }
      const system = await this.tenants.create(
        { slug: SYSTEM_TENANT, name: 'Tessera system', signingAlg: 'ES256' },
        em,
      );
      await this.resourceServers.upsert(em, system.id, adminApi, true);
      const adminEmail = this.config.adminEmail ?? 'admin@tessera.local';
      const generatedAdminPassword = this.config.adminPassword ? undefined : randomToken(18);
      const admin = await this.users.create(em, system.id, {
        email: adminEmail,
        password: this.config.adminPassword ?? generatedAdminPassword!,
        roles: ['admin'],
      }); // one of the two is set
      // the first administrator holds every admin scope (tokens carry what the user holds)
      await this.resourceServers.setUserPermissions(em, system.id, admin.id, [
        { resourceServer: ADMIN_API_AUDIENCE, scopes: ADMIN_SCOPES.map((s) => s.name) },
      ]);
      await this.access.grant(system, admin.id, em);
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
      await this.ensureConsole(em, system);
      return {
        adminEmail,
        generatedAdminPassword,
        automationClientId: AUTOMATION_CLIENT_ID,
        automationClientSecret: created.clientSecret!,
      }; // generated for a confidential client
    });
  }

  /**
   * Registers the console, or brings its URIs and grant in line with this start's PUBLIC_URL (the
   * policy stays as an administrator may have tuned it). A PUBLIC_URL that cannot carry a redirect
   * URI (plain http off loopback) leaves the console unregistered, with a warning, rather than
   * stopping the server.
   */
  private async ensureConsole(em: EntityManager, system: Tenant): Promise<void> {
    const base = `${this.config.publicUrl}/admin`;
    const problem = redirectUriProblem(`${base}/callback`);
    if (problem) {
      new Logger('SystemSetup').warn(
        `The admin console cannot sign in at ${base}: ${problem}. Set PUBLIC_URL to an https URL.`,
      );
      return;
    }
    const shape = {
      name: 'Tessera admin console',
      grantTypes: ['authorization_code', 'refresh_token'],
      redirectUris: [`${base}/callback`],
      postLogoutRedirectUris: [`${base}/`],
      grants: [
        {
          resourceServer: ADMIN_API_AUDIENCE,
          scopes: ADMIN_SCOPES.map((s) => s.name),
          flows: ['user'],
        },
      ],
      defaultResource: ADMIN_API_AUDIENCE,
    } satisfies Partial<CreateApplicationInput>;
    if (await this.applications.byClientIdIn(em, system.id, CONSOLE_CLIENT_ID)) {
      await this.applications.update(system, CONSOLE_CLIENT_ID, shape, em);
      return;
    }
    await this.applications.create(
      system,
      {
        clientId: CONSOLE_CLIENT_ID,
        type: 'public',
        backchannelLogoutUri: null,
        // an admin's session: short tokens, rotation with a small grace, a working day of idleness
        policy: {
          accessTokenTtl: '5m',
          refreshIdleTtl: '12h',
          refreshAbsoluteTtl: '7d',
          sessionIdleTtl: '12h',
          sessionAbsoluteTtl: '7d',
          rotation: true,
          reuseGraceSeconds: 10,
          onReuse: 'revoke-session',
        },
        ...shape,
      },
      em,
    );
  }
}
