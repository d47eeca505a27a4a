import { TesseraAuthGuard } from '@tessera/nest-guards';
import {
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
  signedOutViewSchema,
  updateUserSchema,
  userListQuerySchema,
  userPermissionsSchema,
  userPermissionViewSchema,
  userViewSchema,
  type CreateUserInput,
  type UpdateUserInput,
  type UserPermissionInput,
  type UserPermissionView,
  type UserView,
} from '@tessera/contracts';
import { z } from 'zod';
import type { Tenant } from '../tenants';
import { UsersService, userView } from '../users';
import { AdminTenantGuard, Caller, TenantParam, type AdminCaller } from './admin-auth.guard';
import { AdminBody, AdminRoute } from './admin-route';
import { AdminRoles } from './admin-roles.service';

@Controller('admin/api/tenants/:tenant/users')
@UseGuards(TesseraAuthGuard, AdminTenantGuard)
export class AdminUsersController {
  constructor(
    private readonly users: UsersService,
    private readonly roles: AdminRoles,
  ) {}

  @Get()
  @AdminRoute({
    operationId: 'listUsers',
    summary: 'Users of a tenant (filter: ?email=)',
    scope: 'admin:users:read',
    query: userListQuerySchema,
    response: z.array(userViewSchema),
    paging: { kind: 'keyset', key: (u: UserView) => u.email, order: 'asc' },
  })
  async list(@TenantParam() tenant: Tenant, @Query('email') email?: string): Promise<UserView[]> {
    return (await this.users.list(tenant.id, email)).map(userView);
  }

  @Post()
  @AdminRoute({
    operationId: 'createUser',
    summary: 'Create a user',
    scope: 'admin:users:write',
    body: createUserSchema,
    response: userViewSchema,
    audit: { type: 'admin.user_created', target: 'user', id: { response: 'id' } },
  })
  async create(
    @TenantParam() tenant: Tenant,
    @AdminBody() input: CreateUserInput,
  ): Promise<UserView> {
    // `admin` makes them an administrator of this tenant: they sign in to the console here
    const user = await this.users.createOne(tenant.id, input, (em, created) =>
      this.roles.sync(em, tenant, created),
    );
    return userView(user);
  }

  @Get(':id')
  @AdminRoute({
    operationId: 'getUser',
    summary: 'A user',
    scope: 'admin:users:read',
    response: userViewSchema,
  })
  async get(@TenantParam() tenant: Tenant, @Param('id') id: string): Promise<UserView> {
    return userView(await this.users.require(tenant.id, id));
  }

  /** Disabling a user ends all their sessions in the same transaction. */
  @Patch(':id')
  @AdminRoute({
    operationId: 'updateUser',
    summary: 'Disable (ends all sessions), reset the password, change roles',
    scope: 'admin:users:write',
    body: updateUserSchema,
    response: userViewSchema,
    audit: { type: 'admin.user_updated', target: 'user' },
  })
  async update(
    @TenantParam() tenant: Tenant,
    @Param('id') id: string,
    @AdminBody() input: UpdateUserInput,
    @Caller() caller: AdminCaller,
  ): Promise<UserView> {
    return userView(
      await this.users.updateOne(
        tenant.id,
        id,
        input,
        (em, user) => this.roles.sync(em, tenant, user),
        caller.sub,
      ),
    );
  }

  /**
   * Deletes a user after ending what they held, in one transaction: their console access (as for a
   * disabled user), every session (with back-channel logouts), and the subject on the feed.
   */
  @Delete(':id')
  @HttpCode(204)
  @AdminRoute({
    operationId: 'deleteUser',
    summary: 'Delete a user (every session ends first, with back-channel logouts)',
    scope: 'admin:users:write',
    audit: { type: 'admin.user_deleted', target: 'user' },
  })
  async remove(
    @TenantParam() tenant: Tenant,
    @Param('id') id: string,
    @Caller() caller: AdminCaller,
  ): Promise<void> {
    // they administer nothing any more, and a reused id inherits nothing
    await this.users.removeOne(
      tenant.id,
      id,
      (em, user) => this.roles.sync(em, tenant, { id: user.id, roles: [], isDisabled: true }),
      caller.sub,
    );
  }

  @Get(':id/permissions')
  @AdminRoute({
    operationId: 'getUserPermissions',
    summary: 'What a user holds per resource server',
    scope: 'admin:users:read',
    response: z.array(userPermissionViewSchema),
  })
  permissions(
    @TenantParam() tenant: Tenant,
    @Param('id') id: string,
  ): Promise<UserPermissionView[]> {
    return this.users.require(tenant.id, id).then(() => this.users.permissions(tenant.id, id));
  }

  /** Replaces the permission groups and scopes the user holds, per resource server. */
  @Put(':id/permissions')
  @AdminRoute({
    operationId: 'setUserPermissions',
    summary: 'Replace what a user holds (permission groups and scopes per resource server)',
    scope: 'admin:users:write',
    body: userPermissionsSchema,
    response: z.array(userPermissionViewSchema),
    audit: { type: 'admin.user_permissions_set', target: 'user' },
  })
  async setPermissions(
    @TenantParam() tenant: Tenant,
    @Param('id') id: string,
    @AdminBody() input: UserPermissionInput[],
  ): Promise<UserPermissionView[]> {
    await this.users.setPermissions(tenant.id, id, input);
    return this.users.permissions(tenant.id, id);
  }

  /** Sign-out-everywhere: every session of the user ends, and validators cut the subject off. */
  @Post(':id/sign-out')
  @HttpCode(200)
  @AdminRoute({
    operationId: 'signOutUser',
    summary: 'Sign a user out everywhere',
    scope: 'admin:sessions:write',
    body: revokeSessionSchema,
    response: signedOutViewSchema,
    audit: { type: 'admin.user_signed_out', target: 'user' },
  })
  async signOutEverywhere(
    @TenantParam() tenant: Tenant,
    @Param('id') id: string,
    @AdminBody() { reason }: z.infer<typeof revokeSessionSchema>,
    @Caller() caller: AdminCaller,
  ): Promise<{ ended: number }> {
    return { ended: await this.users.signOutEverywhere(tenant.id, id, reason, caller.sub) };
  }
}
