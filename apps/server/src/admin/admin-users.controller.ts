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
  Query,
  UseGuards,
} from '@nestjs/common';
import {
  createUserSchema,
  revokeSessionSchema,
  updateUserSchema,
  userPermissionsSchema,
  type UserPermissionView,
  type UserView,
} from '@tessera/contracts';
import { parseBody } from '../http';
import type { Tenant } from '../tenants';
import { UsersService, userView } from '../users';
import { AdminTenantGuard, RequireScopes, TenantParam } from './admin-auth.guard';
import { AdminRoles } from './admin-roles.service';

@Controller('admin/api/tenants/:tenant/users')
@UseGuards(TesseraAuthGuard, AdminTenantGuard)
export class AdminUsersController {
  constructor(
    private readonly users: UsersService,
    private readonly roles: AdminRoles,
  ) {}

  @Get()
  @RequireScopes('admin:users:read')
  async list(@TenantParam() tenant: Tenant, @Query('email') email?: string): Promise<UserView[]> {
    return (await this.users.list(tenant.id, email)).map(userView);
  }

  @Post()
  @RequireScopes('admin:users:write')
  async create(@TenantParam() tenant: Tenant, @Body() body: unknown): Promise<UserView> {
    const input = parseBody(createUserSchema, body);
    // `admin` makes them an administrator of this tenant: they sign in to the console here
    const user = await this.users.createOne(tenant.id, input, (em, created) =>
      this.roles.sync(em, tenant, created),
    );
    return userView(user);
  }

  @Get(':id')
  @RequireScopes('admin:users:read')
  async get(@TenantParam() tenant: Tenant, @Param('id') id: string): Promise<UserView> {
    return userView(await this.users.require(tenant.id, id));
  }

  /** Disabling a user ends all their sessions in the same transaction. */
  @Patch(':id')
  @RequireScopes('admin:users:write')
  async update(
    @TenantParam() tenant: Tenant,
    @Param('id') id: string,
    @Body() body: unknown,
  ): Promise<UserView> {
    const input = parseBody(updateUserSchema, body);
    return userView(
      await this.users.updateOne(tenant.id, id, input, (em, user) =>
        this.roles.sync(em, tenant, user),
      ),
    );
  }

  /**
   * Deletes a user after ending what they held, in one transaction: their console access (as for a
   * disabled user), every session (with back-channel logouts), and the subject on the feed.
   */
  @Delete(':id')
  @HttpCode(204)
  @RequireScopes('admin:users:write')
  async remove(@TenantParam() tenant: Tenant, @Param('id') id: string): Promise<void> {
    // they administer nothing any more, and a reused id inherits nothing
    await this.users.removeOne(tenant.id, id, (em, user) =>
      this.roles.sync(em, tenant, { id: user.id, roles: [], isDisabled: true }),
    );
  }

  @Get(':id/permissions')
  @RequireScopes('admin:users:read')
  permissions(
    @TenantParam() tenant: Tenant,
    @Param('id') id: string,
  ): Promise<UserPermissionView[]> {
    return this.users.require(tenant.id, id).then(() => this.users.permissions(tenant.id, id));
  }

  /** Replaces the permission groups and scopes the user holds, per resource server. */
  @Put(':id/permissions')
  @RequireScopes('admin:users:write')
  async setPermissions(
    @TenantParam() tenant: Tenant,
    @Param('id') id: string,
    @Body() body: unknown,
  ): Promise<UserPermissionView[]> {
    await this.users.setPermissions(tenant.id, id, parseBody(userPermissionsSchema, body));
    return this.users.permissions(tenant.id, id);
  }

  /** Sign-out-everywhere: every session of the user ends, and validators cut the subject off. */
  @Post(':id/sign-out')
  @HttpCode(200)
  @RequireScopes('admin:sessions:write')
  async signOutEverywhere(
    @TenantParam() tenant: Tenant,
    @Param('id') id: string,
    @Body() body: unknown,
  ): Promise<{ ended: number }> {
    const { reason } = parseBody(revokeSessionSchema, body);
    return { ended: await this.users.signOutEverywhere(tenant.id, id, reason) };
  }
}
