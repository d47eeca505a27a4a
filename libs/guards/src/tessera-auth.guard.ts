import {
  HttpException,
  Inject,
  Injectable,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ALL_SCOPES_KEY, ANY_SCOPE_KEY, PUBLIC_KEY } from './decorators/scopes';
import { PRINCIPAL_KEY } from './decorators/principal';
import { TokenRejectedError, VerifierUnavailableError } from './errors';
import type { TesseraAuthOptions } from './options';
import { TESSERA_OPTIONS } from './tokens';
import { TesseraVerifier } from './verifier/tessera-verifier';

/** Express's response, or Fastify's reply (whose Node response is `raw`). */
interface Res {
  setHeader?(name: string, value: string): void;
  raw?: { setHeader(name: string, value: string): void };
}

const setHeader = (res: Res, name: string, value: string) =>
  res.raw ? res.raw.setHeader(name, value) : res.setHeader!(name, value);

const BEARER_RE = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/i;

/**
 * RFC 6750 protection: a missing token gets a bare `Bearer` challenge, an invalid, expired or
 * revoked one `error="invalid_token"` (no detail), a missing scope 403 `insufficient_scope` with the
 * scopes needed. The handler never runs for a refused request.
 */
@Injectable()
export class TesseraAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly verifier: TesseraVerifier,
    @Inject(TESSERA_OPTIONS) private readonly options: TesseraAuthOptions,
  ) {}

  private refuse(res: Res, status: number, challenge: string, error?: string): never {
    setHeader(res, 'WWW-Authenticate', challenge);
    setHeader(res, 'Cache-Control', 'no-store');
    throw new HttpException(error ? { error } : { error: 'unauthorized' }, status);
  }

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const targets = [ctx.getHandler(), ctx.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    const all = this.reflector.getAllAndOverride<string[] | undefined>(ALL_SCOPES_KEY, targets);
    const any = this.reflector.getAllAndOverride<string[] | undefined>(ANY_SCOPE_KEY, targets);

    const req = ctx.switchToHttp().getRequest<
      {
        headers: Record<string, string | string[] | undefined>;
        rawHeaders?: string[];
        raw?: { rawHeaders: string[] };
      } & Record<string, unknown>
    >();
    const res = ctx.switchToHttp().getResponse<Res>();
    const header = req.headers.authorization;
    if (header === undefined) this.refuse(res, 401, 'Bearer');
    // two Authorization headers are one too many (Node keeps only the first)
    const count = (req.rawHeaders ?? req.raw?.rawHeaders ?? []).filter(
      (h, i) => i % 2 === 0 && h.toLowerCase() === 'authorization',
    ).length;
    const m = typeof header === 'string' && count <= 1 ? BEARER_RE.exec(header) : null;
    if (!m) this.refuse(res, 401, 'Bearer error="invalid_token"', 'invalid_token');
    let principal;
    try {
      principal = await this.verifier.verify(m[1]);
    } catch (err) {
      if (err instanceof TokenRejectedError)
        this.refuse(res, 401, 'Bearer error="invalid_token"', 'invalid_token');
      if (err instanceof VerifierUnavailableError) {
        const status = this.options.unavailableStatus ?? 503;
        if (status === 503) setHeader(res, 'Retry-After', '5');
        this.refuse(
          res,
          status,
          'Bearer error="invalid_token"',
          status === 503 ? 'temporarily_unavailable' : 'invalid_token',
        );
      }
      throw err;
    }
    const needed = all ?? any ?? [];
    const ok = all
      ? all.every((s) => principal.scopes.includes(s))
      : any
        ? any.some((s) => principal.scopes.includes(s))
        : true;
    if (!ok)
      this.refuse(
        res,
        403,
        `Bearer error="insufficient_scope", scope="${needed.join(' ')}"`,
        'insufficient_scope',
      );
    req[PRINCIPAL_KEY] = principal;
    return true;
  }
}
