import { TesseraAuthGuard } from '@tessera/nest-guards';
import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Patch,
  Post,
  UseGuards,
} from '@nestjs/common';
import {
  applicationPolicyIssues,
  applyPolicy,
  createApplicationSchema,
  updateApplicationSchema,
  type ApplicationView,
  type ClientType,
  type CreatedApplicationView,
  type EndedSignInsView,
  type PolicyInput,
} from '@tessera/contracts';
import { ApplicationsService } from '../applications';
import { parseBody, Problem } from '../http';
import { tenantPolicy, type Tenant } from '../tenants';
import { TenantAccessService } from './tenant-access.service';
import { CONSOLE_CLIENT_ID } from './tenant-built-ins.service';
import { AdminTenantGuard, RequireScopes, TenantParam } from './admin-auth.guard';

/** Refuses settings that contradict each other on the tenant's defaults, naming each field. */
function assertCoherent(
  tenant: Tenant,
  app: { type: ClientType; grantTypes: string[] },
  policy: PolicyInput | undefined,
): void {
  const issues = applicationPolicyIssues(app, applyPolicy(tenantPolicy(tenant), policy));
  if (issues.length)
    throw Problem.validation(
      issues.map((i) => ({ pointer: `/policy/${i.path}`, detail: i.message })),
      'The settings contradict each other',
    );
}

/**
 * The console's built-in client is how the tenant's administrators sign in: without it they are
 * locked out of their tenant (its tokens may still be revoked, its policy tuned).
 */
function refuseForConsole(clientId: string, what: 'deleted' | 'disabled'): void {
  if (clientId === CONSOLE_CLIENT_ID)
    throw new Problem(
      'forbidden',
      `${CONSOLE_CLIENT_ID} is the admin console's own client, built in: it cannot be ${what}, or this tenant's administrators could not sign in`,
    );
}

@Controller('admin/api/tenants/:tenant/applications')
@UseGuards(TesseraAuthGuard, AdminTenantGuard)
export class AdminApplicationsController {
  constructor(
    private readonly applications: ApplicationsService,
    private readonly access: TenantAccessService,
  ) {}

  @Get()
  @RequireScopes('admin:applications:read')
  list(@TenantParam() tenant: Tenant): Promise<ApplicationView[]> {
    return this.applications.list(tenant);
  }

  /** The generated client secret is in this response only. */
  @Post()
  @RequireScopes('admin:applications:write')
  async create(
    @TenantParam() tenant: Tenant,
    @Body() body: unknown,
  ): Promise<CreatedApplicationView> {
    const input = parseBody(createApplicationSchema, body);
    assertCoherent(tenant, input, input.policy);
    const created = await this.applications.create(tenant, input);
    return {
      application: await this.applications.view(tenant, created.application),
      clientSecret: created.clientSecret,
    };
  }

  @Get(':clientId')
  @RequireScopes('admin:applications:read')
  async get(
    @TenantParam() tenant: Tenant,
    @Param('clientId') clientId: string,
  ): Promise<ApplicationView> {
    return this.applications.view(tenant, await this.applications.require(tenant, clientId));
  }

  @Patch(':clientId')
  @RequireScopes('admin:applications:write')
  async update(
    @TenantParam() tenant: Tenant,
    @Param('clientId') clientId: string,
    @Body() body: unknown,
  ): Promise<ApplicationView> {
    const input = parseBody(updateApplicationSchema, body);
    if (input.isDisabled === true) refuseForConsole(clientId, 'disabled');
    const current = await this.applications.view(
      tenant,
      await this.applications.require(tenant, clientId),
    );
    // PATCH replaces the overrides when it names a policy, so check what will apply
    assertCoherent(
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
  @Delete(':clientId')
  @HttpCode(204)
  @RequireScopes('admin:applications:write')
  async remove(@TenantParam() tenant: Tenant, @Param('clientId') clientId: string): Promise<void> {
    refuseForConsole(clientId, 'deleted');
    // with it: a later application with the same client id inherits nothing
    await this.applications.remove(tenant, clientId, (em) =>
      this.access.revoke(tenant, clientId, em),
    );
  }

  /**
   * Every token of the application ends (a leaked client secret is the common case: regenerate it
   * too); the application stays. Answers what ended.
   */
  @Post(':clientId/revoke-tokens')
  @HttpCode(200)
  @RequireScopes('admin:applications:write')
  revokeTokens(
    @TenantParam() tenant: Tenant,
    @Param('clientId') clientId: string,
  ): Promise<EndedSignInsView> {
    return this.applications.revokeTokens(tenant, clientId);
  }

  /** A new secret, shown once; the old one stops working at once. */
  @Post(':clientId/secret')
  @HttpCode(200)
  @RequireScopes('admin:applications:write')
  async regenerate(
    @TenantParam() tenant: Tenant,
    @Param('clientId') clientId: string,
  ): Promise<{ clientSecret: string }> {
    return { clientSecret: await this.applications.regenerateSecret(tenant, clientId) };
  }
}
