import { TesseraAuthGuard } from '@tessera/nest-guards';
import { Controller, Delete, Get, HttpCode, Param, Post, Put, UseGuards } from '@nestjs/common';
import {
  credentialsViewSchema,
  pageQuerySchema,
  resourceServerSchema,
  resourceServerViewSchema,
  type ResourceServerInput,
  type ResourceServerView,
} from '@tessera/contracts';
import { z } from 'zod';
import { ResourceServersService, resourceServerView } from '../resource-servers';
import type { Tenant } from '../tenants';
import { AdminTenantGuard, TenantParam } from './admin-auth.guard';
import { AdminBody, AdminRoute } from './admin-route';

@Controller('admin/api/tenants/:tenant/resource-servers')
@UseGuards(TesseraAuthGuard, AdminTenantGuard)
export class AdminResourceServersController {
  constructor(private readonly resourceServers: ResourceServersService) {}

  @Get()
  @AdminRoute({
    operationId: 'listResourceServers',
    summary: 'Resource servers of a tenant',
    scope: 'admin:resource-servers:read',
    query: pageQuerySchema,
    response: z.array(resourceServerViewSchema),
    paging: { kind: 'keyset', key: (r: ResourceServerView) => r.identifier, order: 'asc' },
  })
  async list(@TenantParam() tenant: Tenant): Promise<ResourceServerView[]> {
    return (await this.resourceServers.list(tenant.id)).map(resourceServerView);
  }

  @Post()
  @AdminRoute({
    operationId: 'createResourceServer',
    summary: 'Register a resource server with its scopes and permission groups',
    scope: 'admin:resource-servers:write',
    body: resourceServerSchema,
    response: resourceServerViewSchema,
    audit: {
      type: 'admin.resource_server_created',
      target: 'resource_server',
      id: { response: 'id' },
    },
  })
  async create(
    @TenantParam() tenant: Tenant,
    @AdminBody() input: ResourceServerInput,
  ): Promise<ResourceServerView> {
    return resourceServerView(await this.resourceServers.create(tenant.id, input));
  }

  @Get(':id')
  @AdminRoute({
    operationId: 'getResourceServer',
    summary: 'A resource server',
    scope: 'admin:resource-servers:read',
    response: resourceServerViewSchema,
  })
  async get(@TenantParam() tenant: Tenant, @Param('id') id: string): Promise<ResourceServerView> {
    return resourceServerView(await this.resourceServers.require(tenant.id, id));
  }

  /** Replaces the definition; a scope removed here simply stops being issued. */
  @Put(':id')
  @AdminRoute({
    operationId: 'replaceResourceServer',
    summary: 'Replace a resource server definition (the identifier stays)',
    scope: 'admin:resource-servers:write',
    body: resourceServerSchema,
    response: resourceServerViewSchema,
    audit: { type: 'admin.resource_server_replaced', target: 'resource_server' },
  })
  async replace(
    @TenantParam() tenant: Tenant,
    @Param('id') id: string,
    @AdminBody() input: ResourceServerInput,
  ): Promise<ResourceServerView> {
    return resourceServerView(await this.resourceServers.replace(tenant.id, id, input));
  }

  @Delete(':id')
  @HttpCode(204)
  @AdminRoute({
    operationId: 'deleteResourceServer',
    summary: 'Delete a resource server',
    scope: 'admin:resource-servers:write',
    audit: { type: 'admin.resource_server_deleted', target: 'resource_server' },
  })
  remove(@TenantParam() tenant: Tenant, @Param('id') id: string): Promise<void> {
    return this.resourceServers.remove(tenant.id, id);
  }

  /** Credentials for the introspection endpoint; the secret is in this response only. */
  @Post(':id/credentials')
  @HttpCode(200)
  @AdminRoute({
    operationId: 'issueResourceServerCredentials',
    summary: 'Issue introspection credentials for a resource server (secret shown once)',
    scope: 'admin:resource-servers:write',
    response: credentialsViewSchema,
    audit: {
      type: 'admin.resource_server_credentials_issued',
      target: 'resource_server',
      secrets: ['clientSecret'],
    },
  })
  credentials(
    @TenantParam() tenant: Tenant,
    @Param('id') id: string,
  ): Promise<{ clientId: string; clientSecret: string }> {
    return this.resourceServers.issueCredentials(tenant.id, id);
  }
}
