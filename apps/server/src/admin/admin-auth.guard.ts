import {
  createParamDecorator,
  Injectable,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import type { TesseraPrincipal } from '@tessera/nest-guards';
import { Problem, type HttpRequest } from '../http';
import { TenantsService, type Tenant } from '../tenants';
import { TenantAccessService } from './tenant-access.service';

export { RequireScopes } from '@tessera/nest-guards';

/** The caller of the admin API as the guard library verified it. */
export type AdminPrincipal = TesseraPrincipal;

interface AdminRequest extends HttpRequest {
  tesseraPrincipal?: TesseraPrincipal;
  tenant?: Tenant;
}

/** The tenant named by `:tenant`, which AdminTenantGuard has checked the caller administers. */
export const TenantParam = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): Tenant =>
    ctx.switchToHttp().getRequest<AdminRequest>().tenant!,
); // set by AdminTenantGuard before any handler runs

export const Caller = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): AdminPrincipal =>
    ctx.switchToHttp().getRequest<AdminRequest>().tesseraPrincipal!,
); // set by TesseraAuthGuard

/**
 * Runs after TesseraAuthGuard (@tessera/nest-guards): for routes under a tenant, the caller must
 * administer it; a tenant they do not administer does not exist for them (404).
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
    if (!principal) throw new Problem('unauthenticated', 'An admin access token is required');
    const slug = req.params?.tenant;
    if (typeof slug === 'string') {
      const tenant = await this.tenants.bySlug(slug);
      if (!tenant || !(await this.access.canAdminister(principal.sub, tenant)))
        throw Problem.notFound('Tenant');
      req.tenant = tenant;
    }
    return true;
  }
}
