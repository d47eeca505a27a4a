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
  createApplicationSchema,
  updateApplicationSchema,
  type ApplicationView,
  type CreatedApplicationView,
  type EndedSignInsView,
} from '@tessera/contracts';
import { ApplicationsService } from '../applications';
import { parseBody } from '../http';
import type { Tenant } from '../tenants';
import { AdminApplications } from './admin-applications.service';
import { AdminTenantGuard, RequireScopes, TenantParam } from './admin-auth.guard';

@Controller('admin/api/tenants/:tenant/applications')
@UseGuards(TesseraAuthGuard, AdminTenantGuard)
export class AdminApplicationsController {
  constructor(
    private readonly applications: ApplicationsService,
    private readonly admin: AdminApplications,
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
    return this.admin.create(tenant, parseBody(createApplicationSchema, body));
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
    return this.admin.update(tenant, clientId, parseBody(updateApplicationSchema, body));
  }

  /** Ends everything it held first: its sign-ins to sessions, its families and tokens. */
  @Delete(':clientId')
  @HttpCode(204)
  @RequireScopes('admin:applications:write')
  async remove(@TenantParam() tenant: Tenant, @Param('clientId') clientId: string): Promise<void> {
    await this.admin.remove(tenant, clientId);
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
