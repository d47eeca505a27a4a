import { Controller, Get, HttpCode, Post, UseGuards } from '@nestjs/common';
import { ApplicationsService } from '../applications';
import { KeysService, type KeyView } from '../keys';
import type { Tenant } from '../tenants';
import { AdminAuthGuard, RequireScopes, TenantParam } from './admin-auth.guard';

@Controller('admin/api/tenants/:tenant/keys')
@UseGuards(AdminAuthGuard)
export class AdminKeysController {
  constructor(
    private readonly keys: KeysService,
    private readonly applications: ApplicationsService,
  ) {}

  @Get()
  @RequireScopes('admin:keys:read')
  list(@TenantParam() tenant: Tenant): Promise<KeyView[]> {
    return this.keys.list(tenant.id);
  }

  /** next → active, active → retired (still published until its tokens expire), new next. */
  @Post('rotate')
  @HttpCode(200)
  @RequireScopes('admin:keys:write')
  async rotate(@TenantParam() tenant: Tenant): Promise<KeyView[]> {
    await this.keys.rotate(
      tenant.id,
      tenant.signingAlg,
      await this.applications.longestAccessTtl(tenant),
    );
    return this.keys.list(tenant.id);
  }
}
