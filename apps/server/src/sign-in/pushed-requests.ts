import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { SecretsService, randomToken } from '../secrets';
import type { Params } from './authorization-request';

/** RFC 9126 §2.2: the request_uri is a URN of this form; only its random part is secret. */
export const REQUEST_URI_PREFIX = 'urn:ietf:params:oauth:request_uri:';
/** RFC 9126 §2.2 `expires_in`: long enough to redirect the browser, short enough to be spent. */
export const PUSHED_REQUEST_TTL_SECONDS = 60;

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
   */
  async consume(
    tenantId: string,
    applicationId: string,
    requestUri: string,
  ): Promise<Params | undefined> {
    if (!requestUri.startsWith(REQUEST_URI_PREFIX)) return undefined;
    const result: unknown = await this.dataSource.query(
      `UPDATE pushed_authorization_requests SET used_at = now()
       WHERE request_uri_hash = $1 AND tenant_id = $2 AND application_id = $3
         AND used_at IS NULL AND expires_at > now()
       RETURNING params`,
      [this.hash(requestUri.slice(REQUEST_URI_PREFIX.length)), tenantId, applicationId],
    );
    // an UPDATE … RETURNING answers [rows, affected count]
    const rows = Array.isArray(result) && Array.isArray(result[0]) ? result[0] : [];
    const params = (rows[0] as { params: Array<[string, string[]]> } | undefined)?.params;
    return params ? new Map(params) : undefined;
  }
}
