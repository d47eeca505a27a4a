import {
  createParamDecorator,
  Injectable,
  SetMetadata,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { jwtVerify, type JWTPayload } from 'jose';
import { KeysService } from '../keys';
import { Problem } from '../http';
import { SYSTEM_TENANT, TenantsService, type Tenant } from '../tenants';
import { ADMIN_API_AUDIENCE, type AdminScope } from './admin-scopes';
import { TenantAccessService } from './tenant-access.service';

export interface AdminPrincipal {
  sub: string;
  clientId: string;
  scopes: string[];
}

interface AdminRequest extends Request {
  principal?: AdminPrincipal;
  tenant?: Tenant;
}

const SCOPES_KEY = 'tessera:admin-scopes';

/** All of these scopes are needed. */
export const RequireScopes = (...scopes: AdminScope[]) => SetMetadata(SCOPES_KEY, scopes);

/** The tenant named by `:tenant`, which the guard has checked the caller administers. */
export const TenantParam = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): Tenant =>
    ctx.switchToHttp().getRequest<AdminRequest>().tenant!,
); // set by AdminAuthGuard before any handler runs

export const Caller = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): AdminPrincipal =>
    ctx.switchToHttp().getRequest<AdminRequest>().principal!,
); // set by AdminAuthGuard

const challenge = (extra = '') => ({ 'WWW-Authenticate': `Bearer realm="tessera-admin"${extra}` });

/**
 * Admin API access: an RFC 9068 access token of the system tenant for the admin API (RFC 6750
 * challenges), the route's scopes, and — for routes under a tenant — membership of that tenant.
 */
@Injectable()
export class AdminAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly keys: KeysService,
    private readonly tenants: TenantsService,
    private readonly access: TenantAccessService,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const req = ctx.switchToHttp().getRequest<AdminRequest>();
    const header = req.headers.authorization;
    if (!header)
      throw new Problem('unauthenticated', 'An admin access token is required', [], challenge());
    const m = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/.exec(header);
    if (!m)
      throw new Problem(
        'unauthenticated',
        'The access token is invalid',
        [],
        challenge(', error="invalid_token"'),
      );
    const principal = await this.verify(m[1]);
    if (!principal)
      throw new Problem(
        'unauthenticated',
        'The access token is invalid',
        [],
        challenge(', error="invalid_token"'),
      );

    const needed =
      this.reflector.getAllAndOverride<AdminScope[] | undefined>(SCOPES_KEY, [
        ctx.getHandler(),
        ctx.getClass(),
      ]) ?? [];
    const missing = needed.filter((s) => !principal.scopes.includes(s));
    if (missing.length) {
      throw new Problem(
        'forbidden',
        `This needs the scope ${missing.join(' ')}`,
        [],
        challenge(`, error="insufficient_scope", scope="${needed.join(' ')}"`),
      );
    }
    req.principal = principal;

    const slug = req.params?.tenant;
    if (typeof slug === 'string') {
      const tenant = await this.tenants.bySlug(slug);
      // a tenant the caller does not administer does not exist for them
      if (!tenant || !(await this.access.canAdminister(principal.sub, tenant)))
        throw Problem.notFound('Tenant');
      req.tenant = tenant;
    }
    return true;
  }

  private async verify(token: string): Promise<AdminPrincipal | undefined> {
    const system = await this.tenants.bySlug(SYSTEM_TENANT);
    if (!system) return undefined;
    try {
      const { payload } = await jwtVerify<JWTPayload & { client_id?: string; scope?: string }>(
        token,
        async (header) => {
          const found = header.kid
            ? await this.keys.verificationKey(system.id, header.kid)
            : undefined;
          if (!found || found.alg !== header.alg) throw new Error('unknown key');
          return found.key;
        },
        {
          issuer: this.tenants.issuer(system),
          audience: ADMIN_API_AUDIENCE,
          typ: 'at+jwt',
          algorithms: ['ES256', 'EdDSA'],
          requiredClaims: ['sub', 'exp', 'iat', 'jti'],
        },
      );
      if (typeof payload.sub !== 'string' || typeof payload.client_id !== 'string')
        return undefined;
      return {
        sub: payload.sub,
        clientId: payload.client_id,
        scopes: typeof payload.scope === 'string' && payload.scope ? payload.scope.split(' ') : [],
      };
    } catch {
      return undefined;
    }
  }
}
