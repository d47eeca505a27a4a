import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { calculateJwkThumbprint, EmbeddedJWK, jwtVerify, type JWK } from 'jose';
import { DataSource } from 'typeorm';
import type { Application } from '../applications';
import { Clock } from '../clock';
import { InvalidDpopProof, UseDpopNonce } from '../errors';
import type { HttpRequest } from '../http';
import { digestsEqual, SecretsService } from '../secrets';
import { TenantsService, type Tenant } from '../tenants';

/**
 * The proof algorithms accepted (and advertised as `dpop_signing_alg_values_supported`): asymmetric
 * only, never `none` nor an HMAC (RFC 9449 §4.3 point 5). `Ed25519` is EdDSA's fully specified
 * name (RFC 9864), which openid-client signs with; RSA keys are at least 2048 bits (jose).
 */
export const DPOP_SIGNING_ALGS = ['ES256', 'EdDSA', 'Ed25519', 'PS256', 'RS256'];

/**
 * RFC 9449 §4.3 point 11: a proof's `iat` may be this far from the server's clock, either way
 * (client clocks drift; a proof is made right before its request). Its `jti` is remembered for two
 * such windows, the longest a proof can pass this check.
 */
export const DPOP_PROOF_WINDOW_SECONDS = 60;

/**
 * RFC 9449 §8: a server nonce names a window of this length; the current and the previous one are
 * accepted, so a nonce is good for 5 to 10 minutes and every instance checks it without a read.
 */
export const DPOP_NONCE_WINDOW_SECONDS = 300;

/** JWK members of a private or symmetric key (RFC 7518 §6): never in a proof's header. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

/** A DPoP proof that checked out: the RFC 7638 thumbprint of its key, for `cnf.jkt`. */
export interface DpopKey {
  jkt: string;
}

/** RFC 9449 §4.3 point 9 normalisation: scheme and host lower case, default port dropped, no query nor fragment. */
function endpointOf(url: string): string | undefined {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return undefined;
  }
}

/** The DPoP proof of a token request (RFC 9449 §4.3, §5) and the server's nonces (§8). */
@Injectable()
export class DpopProofs {
  constructor(
    private readonly secrets: SecretsService,
    private readonly tenants: TenantsService,
    private readonly clock: Clock,
    private readonly dataSource: DataSource,
  ) {}

  /**
   * The request's proof checked against the token endpoint; null when it has none and the
   * application does not require one. Every check runs before the grant, so a refused proof
   * spends nothing; the `jti` is recorded last, once the proof is good.
   */
  async check(tenant: Tenant, app: Application, req: HttpRequest): Promise<DpopKey | null> {
    const header = req.headers.dpop;
    if (header === undefined) {
      if (app.requireDpop)
        throw new InvalidDpopProof({
          description: 'A DPoP proof is required',
          detail: `${app.clientId} requires DPoP`,
        });
      return null;
    }
    // several DPoP headers arrive joined by commas (a JWT has none) or as an array
    if (typeof header !== 'string' || header.includes(','))
      throw new InvalidDpopProof({ detail: 'not exactly one DPoP header' });
    let verified;
    try {
      verified = await jwtVerify(header, EmbeddedJWK, {
        typ: 'dpop+jwt',
        algorithms: DPOP_SIGNING_ALGS,
      });
    } catch (err) {
      throw new InvalidDpopProof({ detail: `proof: ${(err as Error).name}` });
    }
    const { payload, protectedHeader } = verified;
    // jose compares typ leniently (case, an `application/` prefix); RFC 9449 §4.2 names it exactly
    if (protectedHeader.typ !== 'dpop+jwt') throw new InvalidDpopProof({ detail: 'typ' });
    const jwk = protectedHeader.jwk as JWK;
    // EmbeddedJWK already refuses a private key; a stray private member is refused all the same
    if (PRIVATE_MEMBERS.some((m) => m in jwk))
      throw new InvalidDpopProof({ detail: 'private key material in jwk' });
    if (payload.htm !== 'POST') throw new InvalidDpopProof({ detail: 'htm is not POST' });
    const expected = endpointOf(`${this.tenants.issuer(tenant)}/token`);
    if (typeof payload.htu !== 'string' || endpointOf(payload.htu) !== expected)
      throw new InvalidDpopProof({ detail: 'htu is not this token endpoint' });
    const now = this.clock.epochSeconds();
    if (typeof payload.iat !== 'number' || Math.abs(payload.iat - now) > DPOP_PROOF_WINDOW_SECONDS)
      throw new InvalidDpopProof({ detail: 'iat outside the window' });
    if (typeof payload.jti !== 'string' || payload.jti.length < 1 || payload.jti.length > 256)
      throw new InvalidDpopProof({ detail: 'no usable jti' });
    if (app.dpopNonces && !this.isCurrentNonce(tenant, app, payload.nonce))
      throw new UseDpopNonce(this.nonce(tenant, app), {
        detail: payload.nonce === undefined ? 'no nonce' : 'stale nonce',
      });
    const jkt = await calculateJwkThumbprint(jwk, 'sha256');
    await this.remember(tenant.id, jkt, payload.jti);
    return { jkt };
  }

  /**
   * RFC 9449 §11.1: a proof is accepted once. Its key's thumbprint and its jti, hashed, are
   * inserted for the tenant; a second insert finds the row, on any instance, until the retention
   * job deletes it once the proof could no longer pass the `iat` check anyway.
   */
  private async remember(tenantId: string, jkt: string, jti: string): Promise<void> {
    const proofHash = createHash('sha256').update(`${jkt}\0${jti}`).digest();
    // iat may lie up to the window ahead: kept until the window after that has passed too
    const rows: unknown[] = await this.dataSource.query(
      `INSERT INTO dpop_proofs (tenant_id, proof_hash, expires_at)
       VALUES ($1, $2, now() + $3::int * interval '1 second')
       ON CONFLICT DO NOTHING RETURNING 1`,
      [tenantId, proofHash, 2 * DPOP_PROOF_WINDOW_SECONDS],
    );
    if (rows.length === 0) throw new InvalidDpopProof({ detail: 'jti replayed' });
  }

  /**
   * A nonce for the application's next proofs: its window and an HMAC under the server's token
   * key over the tenant, the client and that window, so any instance verifies it without a read.
   */
  nonce(tenant: Tenant, app: Application): string {
    return this.nonceFor(
      tenant,
      app,
      Math.floor(this.clock.epochSeconds() / DPOP_NONCE_WINDOW_SECONDS),
    );
  }

  private nonceFor(tenant: Tenant, app: Application, window: number): string {
    const win = Buffer.alloc(4);
    win.writeUInt32BE(window);
    const mac = this.secrets.tokenHash(`dpop-nonce\0${tenant.id}\0${app.clientId}\0${window}`);
    return Buffer.concat([win, mac.subarray(0, 16)]).toString('base64url');
  }

  private isCurrentNonce(tenant: Tenant, app: Application, nonce: unknown): boolean {
    if (typeof nonce !== 'string' || nonce.length > 64) return false;
    const raw = Buffer.from(nonce, 'base64url');
    if (raw.length !== 20) return false;
    const window = raw.readUInt32BE(0);
    const current = Math.floor(this.clock.epochSeconds() / DPOP_NONCE_WINDOW_SECONDS);
    if (window !== current && window !== current - 1) return false;
    return digestsEqual(raw, Buffer.from(this.nonceFor(tenant, app, window), 'base64url'));
  }
}
