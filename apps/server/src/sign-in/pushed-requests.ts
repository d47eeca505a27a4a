import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import { SecretsService, randomToken } from '../secrets';
import type { Params } from './authorization-request';

/** RFC 9126 §2.2: the request_uri is a URN of this form; only its random part is secret. */
export const REQUEST_URI_PREFIX = 'urn:ietf:params:oauth:request_uri:';
/** RFC 9126 §2.2 `expires_in`: long enough to redirect the browser, short enough to be spent. */
export const PUSHED_REQUEST_TTL_SECONDS = 60;
/**
 * How long the sign-in form of a used request_uri stays good: the minute to reach /authorize is no
 * time to type a password (and retry a wrong one), so the form gets ten minutes from the use.
 */
export const PUSHED_FORM_TTL_SECONDS = 600;

/** A used pushed request: its row, its parameters, and its sign-in form's deadline (Unix seconds). */
export interface UsedPushedRequest {
  id: string;
  params: Params;
  expires: number;
}

/**
 * The pushed authorization requests (RFC 9126): each kept under the HMAC of its request_uri's
 * random part (as refresh tokens and codes are), used at most once, before its expiry, by the
 * client that pushed it, in the tenant it was pushed to. Expiry is the database's clock, so every
 * instance agrees on it.
 */
@Injectable()
export class PushedRequests {
  constructor(
    private readonly dataSource: DataSource,
    private readonly secrets: SecretsService,
  ) {}

  private hash(random: string): Buffer {
    return this.secrets.tokenHash(`par:${random}`);
  }

  /** Keeps a validated request; the request_uri is returned once and stored only as its hash. */
  async push(tenantId: string, applicationId: string, params: Params): Promise<string> {
    const random = randomToken();
    await this.dataSource.query(
      `INSERT INTO pushed_authorization_requests
         (id, tenant_id, application_id, request_uri_hash, params, expires_at)
       VALUES ($1, $2, $3, $4, $5::jsonb, now() + $6::int * interval '1 second')`,
      [
        randomUUID(),
        tenantId,
        applicationId,
        this.hash(random),
        JSON.stringify([...params]),
        PUSHED_REQUEST_TTL_SECONDS,
      ],
    );
    return `${REQUEST_URI_PREFIX}${random}`;
  }

  /**
   * Uses a request_uri (RFC 9126 §4, single use): marks it used and returns its parameters in one
   * statement, so of two requests racing with the same value only one gets them. Undefined when it
   * is unknown, used, expired, or another client's or another tenant's (that one stays unused).
   * Once used, `expires_at` is the deadline of the sign-in form that carries the request.
   */
  async consume(
    tenantId: string,
    applicationId: string,
    requestUri: string,
  ): Promise<UsedPushedRequest | undefined> {
    if (!requestUri.startsWith(REQUEST_URI_PREFIX)) return undefined;
    const result: unknown = await this.dataSource.query(
      `UPDATE pushed_authorization_requests
       SET used_at = now(), expires_at = now() + $4::int * interval '1 second'
       WHERE request_uri_hash = $1 AND tenant_id = $2 AND application_id = $3
         AND used_at IS NULL AND expires_at > now()
       RETURNING id, params, floor(extract(epoch FROM expires_at))::bigint AS expires`,
      [
        this.hash(requestUri.slice(REQUEST_URI_PREFIX.length)),
        tenantId,
        applicationId,
        PUSHED_FORM_TTL_SECONDS,
      ],
    );
    const row = returned<{ id: string; params: Array<[string, string[]]>; expires: string }>(
      result,
    );
    return row && { id: row.id, params: new Map(row.params), expires: Number(row.expires) };
  }

  /**
   * Marks a used pushed request completed, in the transaction that issues its code: false when a
   * code was issued for it already, its form's deadline passed, or it is gone (one request, one
   * code, however often its sign-in form is posted).
   */
  async complete(em: EntityManager, tenantId: string, id: string): Promise<boolean> {
    const result: unknown = await em.query(
      `UPDATE pushed_authorization_requests SET completed_at = now()
       WHERE id = $1 AND tenant_id = $2 AND used_at IS NOT NULL AND completed_at IS NULL
         AND expires_at > now()
       RETURNING id`,
      [id, tenantId],
    );
    return returned(result) !== undefined;
  }
}

/** The row an UPDATE … RETURNING answered, as [rows, affected count]. */
function returned<T>(result: unknown): T | undefined {
  const rows: unknown[] = Array.isArray(result) && Array.isArray(result[0]) ? result[0] : [];
  return rows[0] as T | undefined;
}
