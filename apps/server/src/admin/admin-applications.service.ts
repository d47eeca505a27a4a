import { Injectable } from '@nestjs/common';
import type {
  ApplicationView,
  ClientType,
  CreateApplicationInput,
  CreatedApplicationView,
  UpdateApplicationInput,
} from '@tessera/contracts';
import { ApplicationsService } from '../applications';
import { Forbidden } from '../errors';
import type { Tenant } from '../tenants';
import { TenantAccessService } from './tenant-access.service';
import { CONSOLE_CLIENT_ID } from './tenant-built-ins.service';

/**
 * The console's built-in client is how the tenant's administrators sign in: without it they are
 * locked out of their tenant (its tokens may still be revoked, its policy tuned).
 */
function refuseForConsole(clientId: string, what: 'deleted' | 'disabled'): void {
  if (clientId === CONSOLE_CLIENT_ID)
    throw new Forbidden(
      `${CONSOLE_CLIENT_ID} is the admin console's own client, built in: it cannot be ${what}, or this tenant's administrators could not sign in`,
    );
}

/**
 * What an administrator does to a tenant's applications: the rules an administrator's change must
 * pass on top of the applications' own (coherent settings, the console's client kept), and what an
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
    if (input.isDisabled === true) refuseForConsole(clientId, 'disabled');
    const current = await this.applications.view(
      tenant,
      await this.applications.require(tenant, clientId),
    );
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
    refuseForConsole(clientId, 'deleted');
    // with it: a later application with the same client id inherits nothing
    await this.applications.remove(tenant, clientId, (em) =>
      this.access.revoke(tenant, clientId, em),
    );
  }
}
