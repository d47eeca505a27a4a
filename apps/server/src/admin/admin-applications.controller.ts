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
import { createApplicationSchema, updateApplicationSchema } from '@tessera/contracts';
import { ApplicationsService, type ApplicationView } from '../applications';
import { parseBody } from '../http';
import { SYSTEM_TENANT, type Tenant } from '../tenants';
import { TenantAccessService } from './tenant-access.service';
import { AdminTenantGuard, RequireScopes, TenantParam } from './admin-auth.guard';

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
  ): Promise<{ application: ApplicationView; clientSecret?: string }> {
    const created = await this.applications.create(
      tenant,
      parseBody(createApplicationSchema, body),
    );
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
    await this.applications.update(tenant, clientId, parseBody(updateApplicationSchema, body));
    return this.applications.view(tenant, await this.applications.require(tenant, clientId));
  }

  @Delete(':clientId')
  @HttpCode(204)
  @RequireScopes('admin:applications:write')
  async remove(@TenantParam() tenant: Tenant, @Param('clientId') clientId: string): Promise<void> {
    await this.applications.remove(tenant, clientId);
    if (tenant.slug === SYSTEM_TENANT) await this.access.forget(clientId);
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
