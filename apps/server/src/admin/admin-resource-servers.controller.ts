import { TesseraAuthGuard } from '@tessera/nest-guards';
import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Post,
  Put,
  UseGuards,
} from '@nestjs/common';
import { resourceServerSchema, type ResourceServerView } from '@tessera/contracts';
import { parseBody } from '../http';
import { ResourceServersService, resourceServerView } from '../resource-servers';
import type { Tenant } from '../tenants';
import { AdminTenantGuard, RequireScopes, TenantParam } from './admin-auth.guard';

@Controller('admin/api/tenants/:tenant/resource-servers')
@UseGuards(TesseraAuthGuard, AdminTenantGuard)
export class AdminResourceServersController {
  constructor(private readonly resourceServers: ResourceServersService) {}

  @Get()
  @RequireScopes('admin:resource-servers:read')
  async list(@TenantParam() tenant: Tenant): Promise<ResourceServerView[]> {
    return (await this.resourceServers.list(tenant.id)).map(resourceServerView);
  }

  @Post()
  @RequireScopes('admin:resource-servers:write')
  async create(@TenantParam() tenant: Tenant, @Body() body: unknown): Promise<ResourceServerView> {
    return resourceServerView(
      await this.resourceServers.create(tenant.id, parseBody(resourceServerSchema, body)),
    );
  }

  @Get(':id')
  @RequireScopes('admin:resource-servers:read')
  async get(@TenantParam() tenant: Tenant, @Param('id') id: string): Promise<ResourceServerView> {
    return resourceServerView(await this.resourceServers.require(tenant.id, id));
  }

  /** Replaces the definition; a scope removed here simply stops being issued. */
  @Put(':id')
  @RequireScopes('admin:resource-servers:write')
  async replace(
    @TenantParam() tenant: Tenant,
    @Param('id') id: string,
    @Body() body: unknown,
  ): Promise<ResourceServerView> {
    return resourceServerView(
      await this.resourceServers.replace(tenant.id, id, parseBody(resourceServerSchema, body)),
    );
  }

  @Delete(':id')
  @HttpCode(204)
  @RequireScopes('admin:resource-servers:write')
  remove(@TenantParam() tenant: Tenant, @Param('id') id: string): Promise<void> {
    return this.resourceServers.remove(tenant.id, id);
  }

  /** Credentials for the introspection endpoint; the secret is in this response only. */
  @Post(':id/credentials')
  @HttpCode(200)
  @RequireScopes('admin:resource-servers:write')
  credentials(
    @TenantParam() tenant: Tenant,
    @Param('id') id: string,
  ): Promise<{ clientId: string; clientSecret: string }> {
    return this.resourceServers.issueCredentials(tenant.id, id);
  }
}
