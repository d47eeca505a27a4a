import { TesseraAuthGuard } from '@tessera/nest-guards';
import { Controller, Delete, Get, HttpCode, Param, Patch, Post, UseGuards } from '@nestjs/common';
import {
  applicationViewSchema,
  clientSecretViewSchema,
  createApplicationSchema,
  createdApplicationViewSchema,
  endedSignInsViewSchema,
  pageQuerySchema,
  updateApplicationSchema,
  type ApplicationView,
  type CreateApplicationInput,
  type CreatedApplicationView,
  type EndedSignInsView,
  type UpdateApplicationInput,
} from '@tessera/contracts';
import { z } from 'zod';
import { ApplicationsService } from '../applications';
import type { Tenant } from '../tenants';
import { AdminApplications } from './admin-applications.service';
import { AdminTenantGuard, TenantParam } from './admin-auth.guard';
import { AdminBody, AdminRoute } from './admin-route';

@Controller('admin/api/tenants/:tenant/applications')
@UseGuards(TesseraAuthGuard, AdminTenantGuard)
export class AdminApplicationsController {
  constructor(
    private readonly applications: ApplicationsService,
    private readonly admin: AdminApplications,
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
    audit: {
      type: 'admin.application_created',
      target: 'application',
      id: { response: 'application.clientId' },
      secrets: ['clientSecret'],
    },
  })
  async create(
    @TenantParam() tenant: Tenant,
    @AdminBody() input: CreateApplicationInput,
  ): Promise<CreatedApplicationView> {
    return this.admin.create(tenant, input);
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
    audit: { type: 'admin.application_updated', target: 'application' },
  })
  async update(
    @TenantParam() tenant: Tenant,
    @Param('clientId') clientId: string,
    @AdminBody() input: UpdateApplicationInput,
  ): Promise<ApplicationView> {
    return this.admin.update(tenant, clientId, input);
  }

  /** Ends everything it held first: its sign-ins to sessions, its families and tokens. */
  @Delete(':clientId')
  @HttpCode(204)
  @AdminRoute({
    operationId: 'deleteApplication',
    summary: 'Delete an application (everything it held ends first: sign-ins, families, tokens)',
    scope: 'admin:applications:write',
    audit: { type: 'admin.application_deleted', target: 'application' },
  })
  async remove(@TenantParam() tenant: Tenant, @Param('clientId') clientId: string): Promise<void> {
    await this.admin.remove(tenant, clientId);
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
    audit: { type: 'admin.application_tokens_revoked', target: 'application' },
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
    audit: {
      type: 'admin.application_secret_regenerated',
      target: 'application',
      secrets: ['clientSecret'],
    },
  })
  async regenerate(
    @TenantParam() tenant: Tenant,
    @Param('clientId') clientId: string,
  ): Promise<{ clientSecret: string }> {
    return { clientSecret: await this.applications.regenerateSecret(tenant, clientId) };
  }
}
