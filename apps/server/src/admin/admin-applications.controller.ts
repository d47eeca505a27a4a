import { TesseraAuthGuard } from '@tessera/nest-guards';
import { Controller, Delete, Get, HttpCode, Param, Patch, Post, UseGuards } from '@nestjs/common';
import {
  applicationPolicyIssues,
  applicationViewSchema,
  applyPolicy,
  clientSecretViewSchema,
  createApplicationSchema,
  createdApplicationViewSchema,
  endedSignInsViewSchema,
  pageQuerySchema,
  updateApplicationSchema,
  type ApplicationView,
  type ClientType,
  type CreateApplicationInput,
  type CreatedApplicationView,
  type EndedSignInsView,
  type PolicyInput,
  type UpdateApplicationInput,
} from '@tessera/contracts';
import { z } from 'zod';
import { ApplicationsService } from '../applications';
import { Problem } from '../http';
import { tenantPolicy, type Tenant } from '../tenants';
import { TenantAccessService } from './tenant-access.service';
import { CONSOLE_CLIENT_ID } from './tenant-built-ins.service';
import { AdminTenantGuard, TenantParam } from './admin-auth.guard';
import { AdminBody, AdminRoute } from './admin-route';

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
  @AdminRoute({
    operationId: 'listApplications',
    summary: 'Applications of a tenant',
    scope: 'admin:applications:read',
    query: pageQuerySchema,
    response: z.array(applicationViewSchema),
    paging: { kind: 'keyset', key: (a: ApplicationView) => a.clientId, order: 'asc' },
  })
  list(@TenantParam() tenant: Tenant): Promise<ApplicationView[]> {
    return this.applications.list(tenant);
  }

  /** The generated client secret is in this response only. */
  @Post()
  @AdminRoute({
    operationId: 'createApplication',
    summary: 'Create an application; the client secret is shown once',
    scope: 'admin:applications:write',
    body: createApplicationSchema,
    response: createdApplicationViewSchema,
  })
  async create(
    @TenantParam() tenant: Tenant,
    @AdminBody() input: CreateApplicationInput,
  ): Promise<CreatedApplicationView> {
    assertCoherent(tenant, input, input.policy);
    const created = await this.applications.create(tenant, input);
    return {
      application: await this.applications.view(tenant, created.application),
      clientSecret: created.clientSecret,
    };
  }

  @Get(':clientId')
  @AdminRoute({
    operationId: 'getApplication',
    summary: 'An application with its effective policy',
    scope: 'admin:applications:read',
    response: applicationViewSchema,
  })
  async get(
    @TenantParam() tenant: Tenant,
    @Param('clientId') clientId: string,
  ): Promise<ApplicationView> {
    return this.applications.view(tenant, await this.applications.require(tenant, clientId));
  }

  @Patch(':clientId')
  @AdminRoute({
    operationId: 'updateApplication',
    summary: 'Change an application; isDisabled: true ends everything it held',
    scope: 'admin:applications:write',
    body: updateApplicationSchema,
    response: applicationViewSchema,
  })
  async update(
    @TenantParam() tenant: Tenant,
    @Param('clientId') clientId: string,
    @AdminBody() input: UpdateApplicationInput,
  ): Promise<ApplicationView> {
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
  @AdminRoute({
    operationId: 'deleteApplication',
    summary: 'Delete an application (everything it held ends first: sign-ins, families, tokens)',
    scope: 'admin:applications:write',
  })
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
  @AdminRoute({
    operationId: 'revokeApplicationTokens',
    summary:
      'Revoke every token of an application (its sign-ins end, with back-channel logouts); answers what ended',
    scope: 'admin:applications:write',
    response: endedSignInsViewSchema,
  })
  revokeTokens(
    @TenantParam() tenant: Tenant,
    @Param('clientId') clientId: string,
  ): Promise<EndedSignInsView> {
    return this.applications.revokeTokens(tenant, clientId);
  }

  /** A new secret, shown once; the old one stops working at once. */
  @Post(':clientId/secret')
  @HttpCode(200)
  @AdminRoute({
    operationId: 'regenerateApplicationSecret',
    summary: 'Regenerate the client secret (shown once)',
    scope: 'admin:applications:write',
    response: clientSecretViewSchema,
  })
  async regenerate(
    @TenantParam() tenant: Tenant,
    @Param('clientId') clientId: string,
  ): Promise<{ clientSecret: string }> {
    return { clientSecret: await this.applications.regenerateSecret(tenant, clientId) };
  }
}
