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
import { DpopProofRejectedError, TokenRejectedError, VerifierUnavailableError } from './errors';
import type { TesseraAuthOptions } from './options';
import { TESSERA_OPTIONS } from './tokens';
import { DPOP_ALGORITHMS } from './verifier/dpop-proof';
import { TesseraVerifier } from './verifier/tessera-verifier';

/** Express's response, or Fastify's reply (whose Node response is `raw`). */
interface Res {
  setHeader?(name: string, value: string | string[]): void;
  raw?: { setHeader(name: string, value: string | string[]): void };
}

const setHeader = (res: Res, name: string, value: string | string[]) =>
  res.raw ? res.raw.setHeader(name, value) : res.setHeader!(name, value);

const BEARER_RE = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/i;
const DPOP_RE = /^DPoP ([A-Za-z0-9\-._~+/]+=*)$/i;
// the proof algorithms this guard verifies (RFC 9449 §7.1), in every DPoP challenge
const ALGS = `algs="${DPOP_ALGORITHMS.join(' ')}"`;

type Scheme = 'Bearer' | 'DPoP';

/** An RFC 6750 §3 / RFC 9449 §7.1 challenge of the scheme the caller used. */
const challenge = (scheme: Scheme, params: string) =>
  scheme === 'DPoP' ? `DPoP ${params}, ${ALGS}` : `Bearer ${params}`;

type Req = {
  headers: Record<string, string | string[] | undefined>;
  rawHeaders?: string[];
  raw?: { rawHeaders: string[] };
  method?: string;
  url?: string;
  originalUrl?: string;
  protocol?: string;
  socket?: { encrypted?: boolean };
} & Record<string, unknown>;

/** How many times the request carried this header (Node keeps the first Authorization only). */
const countOf = (req: Req, name: string) =>
  (req.rawHeaders ?? req.raw?.rawHeaders ?? []).filter(
    (h, i) => i % 2 === 0 && h.toLowerCase() === name,
  ).length;

/**
 * RFC 6750 protection, and RFC 9449 §7 for DPoP-bound tokens (`Authorization: DPoP` with one
 * `DPoP` proof header): a missing token gets a bare `Bearer` challenge and a `DPoP algs="…"` one
 * (only the latter with `requireDpop`), an invalid, expired or revoked token `error="invalid_token"`
 * (no detail), a bad proof `DPoP error="invalid_dpop_proof"`, a missing scope 403
 * `insufficient_scope` with the scopes needed. A bound token sent as Bearer, and an unbound one sent
 * as DPoP, are invalid tokens. The handler never runs for a refused request. Server-provided
 * nonces (RFC 9449 §9) are not used: proofs are bounded by their `iat` window and the replay cache.
 */
@Injectable()
export class TesseraAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly verifier: TesseraVerifier,
    @Inject(TESSERA_OPTIONS) private readonly options: TesseraAuthOptions,
  ) {}

  private refuse(res: Res, status: number, challenges: string | string[], error?: string): never {
    setHeader(res, 'WWW-Authenticate', challenges);
    setHeader(res, 'Cache-Control', 'no-store');
    throw new HttpException(error ? { error } : { error: 'unauthorized' }, status);
  }

  /**
   * The URL the caller used, for the proof's `htu`. Behind a proxy the request's Host and protocol
   * are the proxy's view (and the Host header is whatever the caller sent), hence `publicUrl`.
   */
  private requestUrl(req: Req): string {
    const path = (req.originalUrl ?? req.url ?? '/').split('?')[0];
    if (this.options.publicUrl) return `${this.options.publicUrl.replace(/\/+$/, '')}${path}`;
    const protocol = req.protocol ?? (req.socket?.encrypted ? 'https' : 'http');
    return `${protocol}://${String(req.headers.host)}${path}`;
  }

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const targets = [ctx.getHandler(), ctx.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    const all = this.reflector.getAllAndOverride<string[] | undefined>(ALL_SCOPES_KEY, targets);
    const any = this.reflector.getAllAndOverride<string[] | undefined>(ANY_SCOPE_KEY, targets);

    const req = ctx.switchToHttp().getRequest<Req>();
    const res = ctx.switchToHttp().getResponse<Res>();
    const header = req.headers.authorization;
    if (header === undefined)
      this.refuse(res, 401, this.options.requireDpop ? `DPoP ${ALGS}` : ['Bearer', `DPoP ${ALGS}`]);
    // two Authorization headers are one too many
    const one = typeof header === 'string' && countOf(req, 'authorization') <= 1;
    const bearer = one ? BEARER_RE.exec(header) : null;
    const dpop = one ? DPOP_RE.exec(header) : null;
    let scheme: Scheme = dpop || this.options.requireDpop ? 'DPoP' : 'Bearer';
    if (!bearer && !dpop)
      this.refuse(res, 401, challenge(scheme, 'error="invalid_token"'), 'invalid_token');
    const proof = req.headers.dpop;
    // exactly one proof (RFC 9449 §4.3 check 1); a JWS has no comma, so a joined pair shows too
    if (dpop && (typeof proof !== 'string' || proof.includes(',') || countOf(req, 'dpop') !== 1))
      this.refuse(res, 401, challenge('DPoP', 'error="invalid_dpop_proof"'), 'invalid_dpop_proof');
    let principal;
    try {
      principal = dpop
        ? await this.verifier.verifyDpop(dpop[1], proof as string, {
            method: req.method ?? '',
            url: this.requestUrl(req),
          })
        : await this.verifier.verify(bearer![1]);
    } catch (err) {
      if (err instanceof DpopProofRejectedError)
        this.refuse(
          res,
          401,
          challenge('DPoP', 'error="invalid_dpop_proof"'),
          'invalid_dpop_proof',
        );
      if (err instanceof TokenRejectedError) {
        // a bound token sent as Bearer (RFC 9449 §7.2): the scheme it needs
        if (err.code === 'ERR_TOKEN_DPOP_BOUND') scheme = 'DPoP';
        this.refuse(res, 401, challenge(scheme, 'error="invalid_token"'), 'invalid_token');
      }
      if (err instanceof VerifierUnavailableError) {
        const status = this.options.unavailableStatus ?? 503;
        if (status === 503) setHeader(res, 'Retry-After', '5');
        this.refuse(
          res,
          status,
          challenge(scheme, 'error="invalid_token"'),
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
        challenge(scheme, `error="insufficient_scope", scope="${needed.join(' ')}"`),
        'insufficient_scope',
      );
    req[PRINCIPAL_KEY] = principal;
    return true;
  }
}
