import { Injectable } from '@nestjs/common';
import type {
  ApplicationView,
  ClientType,
  CreateApplicationInput,
  CreatedApplicationView,
  UpdateApplicationInput,
} from '@tessera/contracts';
import { ApplicationsService, builtInClientUse, type Application } from '../applications';
import { Conflict } from '../errors';
import type { Tenant } from '../tenants';
import { TenantAccessService } from './tenant-access.service';

/**
 * A built-in client is how Tessera itself is administered: the console's client signs the tenant's
 * administrators in (without it they are locked out of their tenant), the automation client calls
 * the admin API for scripts and deployments. Neither is deleted by mistake; the console's is never
 * disabled either (its tokens may still be revoked, its policy tuned; the automation client may be
 * disabled, or its secret regenerated).
 */
function refuseForBuiltIn(tenant: Tenant, app: Application, what: 'deleted' | 'disabled'): void {
  const use = builtInClientUse(tenant.slug, app);
  if (use === 'console')
    throw new Conflict(
      `${app.clientId} is a system client: the admin console signs this tenant's administrators in with it. It cannot be ${what}, or the administrators could not sign in; revoke its tokens instead`,
    );
  if (use === 'automation' && what === 'deleted')
    throw new Conflict(
      `${app.clientId} is a system client: scripts and deployments call the admin API with it. It cannot be deleted; regenerate its secret, revoke its tokens or disable it instead`,
    );
}

/**
 * What an administrator does to a tenant's applications: the rules an administrator's change must
 * pass on top of the applications' own (coherent settings, the built-in clients kept), and what an
 * application meant to the admin API (its tenant access) going with it.
 */
@Injectable()
export class AdminApplications {
  constructor(
    private readonly applications: ApplicationsService,
    private readonly access: TenantAccessService,
  ) {}

  /** The generated client secret is in this answer only. */
  async create(tenant: Tenant, input: CreateApplicationInput): Promise<CreatedApplicationView> {
    this.applications.assertCoherent(tenant, input, input.policy);
    const created = await this.applications.create(tenant, input);
    return {
      application: await this.applications.view(tenant, created.application),
      clientSecret: created.clientSecret,
    };
  }

  async update(
    tenant: Tenant,
    clientId: string,
    input: UpdateApplicationInput,
  ): Promise<ApplicationView> {
    const app = await this.applications.require(tenant, clientId);
    if (input.isDisabled === true) refuseForBuiltIn(tenant, app, 'disabled');
    const current = await this.applications.view(tenant, app);
    // PATCH replaces the overrides when it names a policy, so check what will apply
    this.applications.assertCoherent(
      tenant,
      {
        type: current.type as ClientType,
        grantTypes: input.grantTypes ?? current.grantTypes,
      },
      input.policy ?? current.policy,
    );
    await this.applications.update(tenant, clientId, input);
    return this.applications.view(tenant, await this.applications.require(tenant, clientId));
  }

  /** Ends everything it held first: its sign-ins to sessions, its families and tokens. */
  async remove(tenant: Tenant, clientId: string): Promise<void> {
    refuseForBuiltIn(tenant, await this.applications.require(tenant, clientId), 'deleted');
    // with it: a later application with the same client id inherits nothing
    await this.applications.remove(tenant, clientId, (em) =>
      this.access.revoke(tenant, clientId, em),
    );
  }
}
