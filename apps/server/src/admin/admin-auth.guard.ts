import {
  createParamDecorator,
  Injectable,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import type { TesseraPrincipal } from '@tessera/nest-guards';
import { NotFound, Unauthenticated } from '../errors';
import type { HttpRequest } from '../http';
import { TenantsService, type Tenant } from '../tenants';
import { TenantAccessService, type AdminCaller } from './tenant-access.service';

export type { AdminCaller };

interface AdminRequest extends HttpRequest {
  tesseraPrincipal?: TesseraPrincipal;
  adminCaller?: AdminCaller;
  tenant?: Tenant;
}

/** The tenant named by `:tenant`, which AdminTenantGuard has checked the caller administers. */
export const TenantParam = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): Tenant =>
    ctx.switchToHttp().getRequest<AdminRequest>().tenant!,
); // set by AdminTenantGuard before any handler runs

/** Who calls, and the tenant whose issuer vouched for them. */
export const Caller = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): AdminCaller =>
    ctx.switchToHttp().getRequest<AdminRequest>().adminCaller!,
); // set by AdminTenantGuard

/**
 * Runs after TesseraAuthGuard (@tessera/nest-guards), which accepted the token of some tenant's
 * issuer for the admin API: the caller is that tenant's principal. For routes under a tenant, the
 * caller must administer it; a tenant they do not administer does not exist for them (404).
 */
@Injectable()
export class AdminTenantGuard implements CanActivate {
  constructor(
    private readonly tenants: TenantsService,
    private readonly access: TenantAccessService,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const req = ctx.switchToHttp().getRequest<AdminRequest>();
    const principal = req.tesseraPrincipal;
    const own = principal ? await this.tenants.byIssuer(String(principal.claims.iss)) : null;
    if (!principal || !own) throw new Unauthenticated('An admin access token is required');
    const caller: AdminCaller = { sub: principal.sub, tenant: own };
    req.adminCaller = caller;
    const slug = req.params?.tenant;
    if (typeof slug === 'string') {
      const tenant = await this.tenants.bySlug(slug);
      if (!tenant || !(await this.access.canAdminister(caller, tenant)))
        throw new NotFound('Tenant');
      req.tenant = tenant;
    }
    return true;
  }
}
