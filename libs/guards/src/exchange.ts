import { Inject, Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import type { TesseraAuthOptions, TesseraPrincipal } from './options';
import { TESSERA_OPTIONS } from './tokens';

const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN = 'urn:ietf:params:oauth:token-type:access_token';

/** What {@link TesseraExchange.exchange} asks for: one resource server, optionally fewer scopes. */
export interface ExchangeRequest {
  /** The resource server identifier of the API to call (RFC 8707 `resource`). */
  resource: string;
  /** The scopes wanted there (default: all the issuer allows); never more than the caller's. */
  scope?: string | string[];
  /**
   * Also present this service's own client_credentials token as `actor_token` (RFC 8693 §2.1);
   * `resource` names the audience it is requested for (default: the application's default).
   */
  actor?: boolean | { resource?: string; scope?: string };
}

/** A token for the downstream API, on the principal's behalf (its `sub`, an `act` naming us). */
export interface ExchangedToken {
  accessToken: string;
  scope: string;
  /** Seconds since the epoch. */
  expiresAt: number;
}

/** The token endpoint refused the exchange: `error` is the RFC 6749 §5.2 code, e.g. invalid_target. */
export class TokenExchangeError extends Error {
  constructor(
    readonly error: string,
    readonly status: number,
  ) {
    super(`token exchange refused: ${error}`);
  }
}

interface Cached {
  value: Promise<ExchangedToken>;
  /** Reused until then: a few seconds before the token's expiry (0 while in flight). */
  until: number;
}

const MAX_ENTRIES = 1000;
/** Renew this long before expiry: the downstream call must land while the token still lives. */
const MARGIN_SECONDS = 30;

/**
 * RFC 8693 token exchange for service-to-service calls on a user's behalf:
 * `await tessera.exchange(principal, { resource: 'https://inventory.example.com' })`. It posts the
 * caller's own access token (the principal's) to the issuer's token endpoint with this module's
 * `clientId`/`clientSecret`; the answer is cached per (token, resource, scope) until shortly before
 * its expiry, at most 1000 entries.
 */
@Injectable()
export class TesseraExchange {
  private readonly cache = new Map<string, Cached>();
  private endpoint?: Promise<string>;

  constructor(@Inject(TESSERA_OPTIONS) private readonly o: TesseraAuthOptions) {}

  exchange(principal: TesseraPrincipal, request: ExchangeRequest): Promise<ExchangedToken> {
    const subject = principal.token;
    if (!subject) throw new Error('TesseraExchange: the principal carries no token to exchange');
    const scope = Array.isArray(request.scope) ? request.scope.join(' ') : request.scope;
    const actor = request.actor ? JSON.stringify(request.actor) : '';
    // the token itself is never a key of the cache: its hash is
    const key = [sha256(subject), request.resource, scope ?? '', actor].join('\n');
    return this.cached(key, () =>
      this.request(
        {
          grant_type: TOKEN_EXCHANGE,
          subject_token: subject,
          subject_token_type: ACCESS_TOKEN,
          resource: request.resource,
          ...(scope !== undefined ? { scope } : {}),
        },
        request.actor,
      ),
    );
  }

  private async request(
    params: Record<string, string>,
    actor: ExchangeRequest['actor'],
  ): Promise<ExchangedToken> {
    if (actor) {
      const a = typeof actor === 'object' ? actor : {};
      const own = await this.cached(`actor\n${a.resource ?? ''}\n${a.scope ?? ''}`, () =>
        this.post({
          grant_type: 'client_credentials',
          ...(a.resource ? { resource: a.resource } : {}),
          ...(a.scope ? { scope: a.scope } : {}),
        }),
      );
      params.actor_token = own.accessToken;
      params.actor_token_type = ACCESS_TOKEN;
    }
    return this.post(params);
  }

  private cached(key: string, run: () => Promise<ExchangedToken>): Promise<ExchangedToken> {
    const now = Date.now() / 1000;
    const hit = this.cache.get(key);
    if (hit && (hit.until === 0 || hit.until > now)) return hit.value;
    this.cache.delete(key);
    // bounded: the oldest entry goes first (a Map iterates in insertion order)
    while (this.cache.size >= MAX_ENTRIES) this.cache.delete(this.cache.keys().next().value!);
    const entry: Cached = { value: run(), until: 0 };
    this.cache.set(key, entry);
    entry.value.then(
      (t) => {
        entry.until = t.expiresAt - Math.min(MARGIN_SECONDS, (t.expiresAt - now) / 2);
      },
      () => this.cache.get(key) === entry && this.cache.delete(key),
    );
    return entry.value;
  }

  private async post(params: Record<string, string>): Promise<ExchangedToken> {
    const { clientId, clientSecret } = this.o;
    if (!clientId || !clientSecret)
      throw new Error('TesseraExchange: clientId and clientSecret are required');
    // RFC 6749 §2.3.1: each half form-encoded before Basic
    const basic = Buffer.from(
      `${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`,
    ).toString('base64');
    const res = await fetch(await this.tokenEndpoint(), {
      method: 'POST',
      headers: {
        authorization: `Basic ${basic}`,
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      },
      body: new URLSearchParams(params).toString(),
      signal: AbortSignal.timeout(10_000),
    });
    const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
    if (res.status !== 200 || typeof body.access_token !== 'string')
      throw new TokenExchangeError(
        typeof body.error === 'string' ? body.error : 'server_error',
        res.status,
      );
    const expiresIn = typeof body.expires_in === 'number' ? body.expires_in : 60;
    return {
      accessToken: body.access_token,
      scope: typeof body.scope === 'string' ? body.scope : '',
      expiresAt: Math.floor(Date.now() / 1000) + expiresIn,
    };
  }

  /** The issuer's token endpoint, from its discovery document (read once). */
  private tokenEndpoint(): Promise<string> {
    this.endpoint ??= (async () => {
      const res = await fetch(`${this.o.issuer}/.well-known/openid-configuration`, {
        signal: AbortSignal.timeout(10_000),
      });
      const meta = (await res.json()) as { issuer?: string; token_endpoint?: string };
      if (meta.issuer !== this.o.issuer || typeof meta.token_endpoint !== 'string')
        throw new Error('TesseraExchange: discovery names another issuer or no token endpoint');
      return meta.token_endpoint;
    })().catch((err: unknown) => {
      this.endpoint = undefined;
      throw err;
    });
    return this.endpoint;
  }
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('base64url');
