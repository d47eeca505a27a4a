import {
  applyDecorators,
  Inject,
  Injectable,
  SetMetadata,
  UseGuards,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { HttpRequest } from '../http';
import type { Tenant } from '../tenants';
import { RateLimitService } from './rate-limit.service';

export type RequestLimit = 'token' | 'introspection';

/**
 * Who a request counts against. Provided by the module that knows how callers authenticate
 * (tokens), so this module depends on nobody's controllers.
 */
export interface RateLimitSubjects {
  /** The authenticated subject, or undefined when the caller is refused anyway (not counted). */
  identify(
    limit: RequestLimit,
    req: HttpRequest,
  ): Promise<{ tenant: Tenant; subject: string } | undefined>;
}
export const RATE_LIMIT_SUBJECTS = Symbol('RATE_LIMIT_SUBJECTS');

const LIMIT = 'tessera:rate-limit';

@Injectable()
export class RateLimitGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly limits: RateLimitService,
    @Inject(RATE_LIMIT_SUBJECTS) private readonly subjects: RateLimitSubjects,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const limit = this.reflector.get<RequestLimit | undefined>(LIMIT, ctx.getHandler());
    if (!limit) return true;
    const found = await this.subjects.identify(limit, ctx.switchToHttp().getRequest<HttpRequest>());
    if (found) await this.limits.consume(found.tenant, limit, found.subject);
    return true;
  }
}

/** Counts each request of the authenticated caller against the tenant's `limit` (429 beyond it). */
export const RateLimit = (limit: RequestLimit) =>
  applyDecorators(SetMetadata(LIMIT, limit), UseGuards(RateLimitGuard));
