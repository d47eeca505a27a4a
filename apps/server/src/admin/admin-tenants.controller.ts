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
  Put,
  UseGuards,
} from '@nestjs/common';
import {
  createTenantSchema,
  grantAdminSchema,
  updateTenantSchema,
  type TenantView,
} from '@tessera/contracts';
import { APP_CONFIG, type AppConfig } from '../config';
import { Inject } from '@nestjs/common';
import { parseBody, Problem } from '../http';
import { TenantsService, tenantView, type Tenant } from '../tenants';
import {
  AdminTenantGuard,
  Caller,
  RequireScopes,
  TenantParam,
  type AdminPrincipal,
} from './admin-auth.guard';
import { TenantAccessService } from './tenant-access.service';
import { TenantRemoval } from './tenant-removal.service';

@Controller('admin/api/tenants')
@UseGuards(TesseraAuthGuard, AdminTenantGuard)
export class AdminTenantsController {
  constructor(
    private readonly tenants: TenantsService,
    private readonly access: TenantAccessService,
    private readonly removal: TenantRemoval,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  private async requireSuperAdmin(caller: AdminPrincipal): Promise<void> {
    if (!(await this.access.isSuperAdmin(caller.sub)))
      throw new Problem('forbidden', 'Only administrators of the system tenant can do this');
  }

  @Get()
  @RequireScopes('admin:tenants:read')
  async list(@Caller() caller: AdminPrincipal): Promise<TenantView[]> {
    return (await this.access.administered(caller.sub)).map((t) =>
      tenantView(t, this.config.publicUrl),
    );
  }

  @Post()
  @RequireScopes('admin:tenants:write')
  async create(@Caller() caller: AdminPrincipal, @Body() body: unknown): Promise<TenantView> {
    await this.requireSuperAdmin(caller);
    return tenantView(
      await this.tenants.create(parseBody(createTenantSchema, body)),
      this.config.publicUrl,
    );
  }

  @Get(':tenant')
  @RequireScopes('admin:tenants:read')
  get(@TenantParam() tenant: Tenant): TenantView {
    return tenantView(tenant, this.config.publicUrl);
  }

  @Patch(':tenant')
  @RequireScopes('admin:tenants:write')
  async update(@TenantParam() tenant: Tenant, @Body() body: unknown): Promise<TenantView> {
    const { tenant: updated } = await this.tenants.update(
      tenant,
      parseBody(updateTenantSchema, body),
    );
    return tenantView(updated, this.config.publicUrl);
  }

  /**
   * Deletes a tenant (system administrators): its issuer is gone at once and everything it held
   * ends (sessions with back-channel logouts, applications, tokens); see TenantRemoval.
   */
  @Delete(':tenant')
  @HttpCode(204)
  @RequireScopes('admin:tenants:write')
  async remove(@Caller() caller: AdminPrincipal, @TenantParam() tenant: Tenant): Promise<void> {
    await this.requireSuperAdmin(caller);
    await this.removal.remove(tenant, caller.sub);
  }

  @Get(':tenant/admins')
  @RequireScopes('admin:tenants:read')
  admins(@TenantParam() tenant: Tenant) {
    return this.access.list(tenant);
  }

  /** Makes a principal of the system tenant (a user id or a client id) an administrator of this tenant. */
  @Put(':tenant/admins')
  @HttpCode(204)
  @RequireScopes('admin:tenants:write')
  async addAdmin(
    @Caller() caller: AdminPrincipal,
    @TenantParam() tenant: Tenant,
    @Body() body: unknown,
  ): Promise<void> {
    await this.requireSuperAdmin(caller);
    await this.access.grant(tenant, parseBody(grantAdminSchema, body).subject);
  }

  @Delete(':tenant/admins/:subject')
  @HttpCode(204)
  @RequireScopes('admin:tenants:write')
  async removeAdmin(
    @Caller() caller: AdminPrincipal,
    @TenantParam() tenant: Tenant,
    @Param('subject') subject: string,
  ): Promise<void> {
    await this.requireSuperAdmin(caller);
    await this.access.revoke(tenant, subject);
  }
}
