import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import {
  redirectUriProblem,
  type CreateApplicationInput,
  type CreateTenantInput,
} from '@tessera/contracts';
import { ApplicationsService, CONSOLE_CLIENT_ID } from '../applications';
import { APP_CONFIG, type AppConfig } from '../config';
import { isUuid } from '../http';
import { ACCOUNT_API_AUDIENCE, ACCOUNT_SCOPES } from '../logout';
import { ResourceServersService } from '../resource-servers';
import { SSF_API_AUDIENCE, SSF_SCOPES } from '../revocation';
import { TenantsService, type Tenant } from '../tenants';
import { ADMIN_API_AUDIENCE, ADMIN_SCOPES } from './admin-scopes';
import { TenantAccessService } from './tenant-access.service';

export { CONSOLE_CLIENT_ID };

const ADMIN_SCOPE_DEFS = ADMIN_SCOPES.map((s) => ({ ...s }));
const ADMIN_SCOPE_NAMES = ADMIN_SCOPES.map((s) => s.name);
const ACCOUNT_SCOPE_DEFS = ACCOUNT_SCOPES.map((s) => ({ ...s }));
const SSF_SCOPE_DEFS = SSF_SCOPES.map((s) => ({ ...s }));

/**
 * What every tenant has built in: the admin API and the console's client, so that the tenant's
 * administrators — its own users — sign in to the console at their own issuer, and the account
 * API. Created with the tenant, and brought in line at start-up for tenants that lack them or
 * whose copy is out of date (a database from before, a new PUBLIC_URL, an upgrade's new scopes).
 */
@Injectable()
export class TenantBuiltIns {
  private readonly logger = new Logger('TenantBuiltIns');
  private hasWarned = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly tenants: TenantsService,
    private readonly resourceServers: ResourceServersService,
    private readonly applications: ApplicationsService,
    private readonly access: TenantAccessService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  private get consoleBase(): string {
    return `${this.config.publicUrl}/admin`;
  }

  private consoleShape() {
    return {
      name: 'Tessera admin console',
      grantTypes: ['authorization_code', 'refresh_token'],
      redirectUris: [`${this.consoleBase}/callback`],
      postLogoutRedirectUris: [`${this.consoleBase}/`],
      grants: [{ resourceServer: ADMIN_API_AUDIENCE, scopes: ADMIN_SCOPE_NAMES, flows: ['user'] }],
      defaultResource: ADMIN_API_AUDIENCE,
    } satisfies Partial<CreateApplicationInput>;
  }

  /** A new tenant with its built-ins, in one transaction. */
  async createTenant(input: CreateTenantInput, em?: EntityManager): Promise<Tenant> {
    const run = async (m: EntityManager) => {
      const tenant = await this.tenants.create(input, m);
      await this.ensure(m, tenant);
      return tenant;
    };
    return em ? run(em) : this.dataSource.transaction(run);
  }

  /** Creates the tenant's built-ins or brings them in line; idempotent. */
  async ensure(em: EntityManager, tenant: Tenant): Promise<void> {
    await this.resourceServers.upsert(
      em,
      tenant.id,
      {
        identifier: ADMIN_API_AUDIENCE,
        name: 'Tessera admin API',
        baseUrls: [`${this.config.publicUrl}/admin/api`],
        scopes: ADMIN_SCOPE_DEFS,
        permissionGroups: [],
      },
      { heldByEveryUser: false },
    );
    await this.resourceServers.upsert(
      em,
      tenant.id,
      {
        identifier: ACCOUNT_API_AUDIENCE,
        name: 'Account (the signed-in user’s own sessions)',
        baseUrls: [`${this.config.publicUrl}/t/${tenant.slug}/account`],
        scopes: ACCOUNT_SCOPE_DEFS,
        permissionGroups: [],
      },
      { heldByEveryUser: true },
    );
    // the Shared Signals API: applications' own tokens (client_credentials), by their grants
    await this.resourceServers.upsert(
      em,
      tenant.id,
      {
        identifier: SSF_API_AUDIENCE,
        name: 'Shared Signals (event streams)',
        baseUrls: [`${this.config.publicUrl}/t/${tenant.slug}/ssf`],
        scopes: SSF_SCOPE_DEFS,
        permissionGroups: [],
      },
      { heldByEveryUser: false },
    );
    await this.ensureConsole(em, tenant);
    // its administrators hold every admin scope (tokens carry what the user holds)
    for (const a of await this.access.list(tenant, em))
      if (isUuid(a.subject)) await this.holdAdminScopes(em, tenant, a.subject, true);
  }

  /** The admin API's scopes for an administrator of the tenant, or none. */
  holdAdminScopes(em: EntityManager, tenant: Tenant, userId: string, isAdmin: boolean) {
    return this.resourceServers.holdBuiltIn(
      em,
      tenant.id,
      userId,
      ADMIN_API_AUDIENCE,
      isAdmin ? ADMIN_SCOPE_NAMES : null,
    );
  }

  /** Ids of the tenants whose built-ins are missing or differ from what this start would make. */
  async outdated(): Promise<string[]> {
    const ids = new Set([
      ...(await this.resourceServers.tenantsLackingBuiltIn(ADMIN_API_AUDIENCE, ADMIN_SCOPE_DEFS)),
      ...(await this.resourceServers.tenantsLackingBuiltIn(
        ACCOUNT_API_AUDIENCE,
        ACCOUNT_SCOPE_DEFS,
      )),
      ...(await this.resourceServers.tenantsLackingBuiltIn(SSF_API_AUDIENCE, SSF_SCOPE_DEFS)),
      ...(await this.applications.tenantsLacking(CONSOLE_CLIENT_ID, this.consoleShape())),
    ]);
    return [...ids];
  }

  /**
   * Registers the console, or brings its URIs and grant in line with this start's PUBLIC_URL (the
   * policy stays as an administrator may have tuned it). A PUBLIC_URL that cannot carry a redirect
   * URI (plain http off loopback) leaves the console unregistered, with a warning, rather than
   * stopping the server.
   */
  private async ensureConsole(em: EntityManager, tenant: Tenant): Promise<void> {
    const shape = this.consoleShape();
    const problem = redirectUriProblem(shape.redirectUris[0]);
    if (problem) {
      if (this.hasWarned) return;
      this.hasWarned = true;
      this.logger.warn(
        `The admin console cannot sign in at ${this.consoleBase}: ${problem}. Set PUBLIC_URL to an https URL.`,
      );
      return;
    }
    const existing = await this.applications.byClientIdIn(em, tenant.id, CONSOLE_CLIENT_ID);
    if (existing?.type === 'public') {
      await this.applications.update(tenant, CONSOLE_CLIENT_ID, shape, em);
      return;
    }
    if (existing) {
      // an application of the tenant's own took the id before the console was built in
      this.logger.warn(
        `Tenant ${tenant.slug} has a confidential application ${CONSOLE_CLIENT_ID}: its administrators cannot sign in to the console until it is renamed`,
      );
      return;
    }
    await this.applications.create(
      tenant,
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
