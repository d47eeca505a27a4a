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
  pageQuerySchema,
  tenantAdminViewSchema,
  tenantViewSchema,
  updateTenantSchema,
  type TenantAdminView,
  type TenantView,
  type UpdateTenantInput,
} from '@tessera/contracts';
import { z } from 'zod';
import { APP_CONFIG, type AppConfig } from '../config';
import { Inject } from '@nestjs/common';
import { ApplicationsService } from '../applications';
import { Conflict, Forbidden, ValidationFailed } from '../errors';
import { isUuid, parseBody } from '../http';
import { TenantsService, tenantView, type Tenant } from '../tenants';
import { UsersService } from '../users';
import { AdminTenantGuard, Caller, TenantParam, type AdminCaller } from './admin-auth.guard';
import { AdminBody, AdminRoute } from './admin-route';
import { AdminRoles } from './admin-roles.service';
import { TenantAccessService } from './tenant-access.service';
import { TenantBuiltIns } from './tenant-built-ins.service';
import { TenantRemoval } from './tenant-removal.service';

@Controller('admin/api/tenants')
@UseGuards(TesseraAuthGuard, AdminTenantGuard)
export class AdminTenantsController {
  constructor(
    private readonly tenants: TenantsService,
    private readonly access: TenantAccessService,
    private readonly builtIns: TenantBuiltIns,
    private readonly users: UsersService,
    private readonly applications: ApplicationsService,
    private readonly roles: AdminRoles,
    private readonly removal: TenantRemoval,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  private async requireSuperAdmin(caller: AdminCaller): Promise<void> {
    if (!(await this.access.isSuperAdmin(caller)))
      throw new Forbidden('Only administrators of the system tenant can do this');
  }

  @Get()
  @AdminRoute({
    operationId: 'listTenants',
    summary: 'Tenants the caller administers',
    scope: 'admin:tenants:read',
    query: pageQuerySchema,
    response: z.array(tenantViewSchema),
    paging: { kind: 'keyset', key: (t: TenantView) => t.slug, order: 'asc' },
  })
  async list(@Caller() caller: AdminCaller): Promise<TenantView[]> {
    return (await this.access.administered(caller)).map((t) =>
      tenantView(t, this.config.publicUrl),
    );
  }

  @Post()
  @AdminRoute({
    operationId: 'createTenant',
    summary: 'Create a tenant (system administrators)',
    scope: 'admin:tenants:write',
    body: createTenantSchema,
    response: tenantViewSchema,
    audit: { type: 'admin.tenant_created', target: 'tenant', id: { response: 'slug' } },
  })
  async create(@Caller() caller: AdminCaller, @Body() body: unknown): Promise<TenantView> {
    // who may comes first: a caller who may not learns nothing from a field problem
    await this.requireSuperAdmin(caller);
    return tenantView(
      await this.builtIns.createTenant(parseBody(createTenantSchema, body)),
      this.config.publicUrl,
    );
  }

  @Get(':tenant')
  @AdminRoute({
    operationId: 'getTenant',
    summary: 'A tenant and its policy defaults',
    scope: 'admin:tenants:read',
    response: tenantViewSchema,
  })
  get(@TenantParam() tenant: Tenant): TenantView {
    return tenantView(tenant, this.config.publicUrl);
  }

  @Patch(':tenant')
  @AdminRoute({
    operationId: 'updateTenant',
    summary: 'Change a tenant name or policy defaults',
    scope: 'admin:tenants:write',
    body: updateTenantSchema,
    response: tenantViewSchema,
    audit: { type: 'admin.tenant_updated', target: 'tenant' },
  })
  async update(
    @TenantParam() tenant: Tenant,
    @AdminBody() input: UpdateTenantInput,
  ): Promise<TenantView> {
    const { tenant: updated } = await this.tenants.update(tenant, input);
    return tenantView(updated, this.config.publicUrl);
  }

  /**
   * Deletes a tenant (system administrators): its issuer is gone at once and everything it held
   * ends (sessions with back-channel logouts, applications, tokens); see TenantRemoval.
   */
  @Delete(':tenant')
  @HttpCode(204)
  @AdminRoute({
    operationId: 'deleteTenant',
    summary:
      'Delete a tenant (system administrators): its issuer goes at once, everything it held ends',
    scope: 'admin:tenants:write',
    audit: { type: 'admin.tenant_deleted', target: 'tenant', log: 'actor' },
  })
  async remove(@Caller() caller: AdminCaller, @TenantParam() tenant: Tenant): Promise<void> {
    await this.requireSuperAdmin(caller);
    await this.removal.remove(tenant, caller.sub);
  }

  @Get(':tenant/admins')
  @AdminRoute({
    operationId: 'listTenantAdmins',
    summary: 'Administrators of a tenant',
    scope: 'admin:tenants:read',
    query: pageQuerySchema,
    response: z.array(tenantAdminViewSchema),
    paging: {
      kind: 'keyset',
      key: (a: { subject: string; createdAt: string }) => `${a.createdAt} ${a.subject}`,
      order: 'asc',
    },
  })
  async admins(@TenantParam() tenant: Tenant): Promise<TenantAdminView[]> {
    const admins = await this.access.list(tenant);
    return Promise.all(
      admins.map(async (a) => {
        if (isUuid(a.subject)) {
          const user = await this.users.byId(tenant.id, a.subject);
          return { ...a, kind: 'user' as const, name: user?.email ?? null };
        }
        const app = await this.applications.byClientId(tenant.id, a.subject);
        return { ...a, kind: 'application' as const, name: app?.name ?? null };
      }),
    );
  }

  /**
   * Makes a principal **of this tenant** an administrator of it: a user (their `admin` role) or a
   * confidential application using client_credentials. Nobody of another tenant can be named.
   */
  @Put(':tenant/admins')
  @HttpCode(204)
  @AdminRoute({
    operationId: 'addTenantAdmin',
    summary:
      'Make a user, or a client_credentials application, of the tenant one of its administrators',
    scope: 'admin:tenants:write',
    body: grantAdminSchema,
    audit: { type: 'admin.tenant_admin_added', target: 'administrator', id: { body: 'subject' } },
  })
  async addAdmin(
    @TenantParam() tenant: Tenant,
    @AdminBody() body: z.infer<typeof grantAdminSchema>,
  ): Promise<void> {
    await this.setAdmin(tenant, body.subject, true);
  }

  @Delete(':tenant/admins/:subject')
  @HttpCode(204)
  @AdminRoute({
    operationId: 'removeTenantAdmin',
    summary:
      'Remove an administrator; removing yourself is refused (409) while no other user administers the tenant',
    scope: 'admin:tenants:write',
    audit: { type: 'admin.tenant_admin_removed', target: 'administrator' },
  })
  async removeAdmin(
    @Caller() caller: AdminCaller,
    @TenantParam() tenant: Tenant,
    @Param('subject') subject: string,
  ): Promise<void> {
    // nobody locks themselves out of a tenant that nobody else administers
    if (subject === caller.sub && caller.tenant.id === tenant.id) {
      const others = (await this.access.list(tenant)).filter((a) => a.subject !== subject);
      if (!others.some((a) => isUuid(a.subject)))
        throw new Conflict(
          'You are the only administrator of this tenant: make someone else an administrator before removing yourself',
        );
    }
    await this.setAdmin(tenant, subject, false);
  }

  private async setAdmin(tenant: Tenant, subject: string, isAdmin: boolean): Promise<void> {
    if (isUuid(subject)) {
      const user = await this.users.byId(tenant.id, subject);
      if (user) {
        await this.users.updateOne(
          tenant.id,
          user.id,
          { roles: isAdmin ? ['admin'] : [] }, // `admin` is the only role there is
          (em, changed) => this.roles.sync(em, tenant, changed),
        );
        return;
      }
    } else {
      const app = await this.applications.byClientId(tenant.id, subject);
      if (app?.type === 'confidential' && app.grantTypes.includes('client_credentials')) {
        await (isAdmin ? this.access.grant(tenant, subject) : this.access.revoke(tenant, subject));
        return;
      }
    }
    // removing what is not there changes nothing; naming someone who is not of this tenant is refused
    if (!isAdmin) return this.access.revoke(tenant, subject);
    throw new ValidationFailed([
      {
        path: ['subject'],
        detail:
          'Name a user id, or the client id of a confidential application using client_credentials, of this tenant',
      },
    ]);
  }
}
