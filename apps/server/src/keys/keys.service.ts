import { Injectable } from '@nestjs/common';
import type { KeyView } from '@tessera/contracts';
import { decodeProtectedHeader, type JWTPayload } from 'jose';
import { createHash, createPublicKey, randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import { AuditService } from '../audit';
import { isUnavailable, KEYS_CHANNEL, NotifyBus, SharedLoads } from '../database';
import { RevocationService } from '../revocation';
import { SecretsService } from '../secrets';
import {
  generateKeyPair,
  privateKeyFromDer,
  signJwt,
  verifyJws,
  type Signer,
  type SigningAlg,
} from './jwt';
import { KeysRepository } from './keys.repository';
import { SigningKey } from './signing-key.entity';

// How long an instance may keep signing with a key another instance has just retired, should the
// NOTIFY that drops the cache at once not reach it (its listener reconnecting).
const CACHE_MS = 5000;
const UNKNOWN_KID_RELOAD_MS = 1000;
/** The JWS compact serialization, nothing around or inside it (RFC 7515 §7.1). */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
// Beyond the longest token lifetime: clock tolerance of validators and the cache above.
const RETIRE_MARGIN_S = 120;
/**
 * A next key must have been in the JWKS this long before it may sign: discovery and JWKS are served
 * with max-age 60, validators refetch on an unknown kid at most every 30 s, plus our own cache.
 */
export const MIN_PUBLISHED_S = 95;
/** Verified signatures remembered (about 1 kB each): the live tokens a busy instance sees again. */
const VERIFIED_SIGNATURES_MAX = 20_000;
const VERIFIED_TOKEN_MAX_LENGTH = 2048;

export class RotationTooEarlyError extends Error {
  constructor(readonly waitSeconds: number) {
    super(`The next key has been published for less than ${MIN_PUBLISHED_S} s`);
  }
}

export interface Jwk extends Record<string, string> {
  kid: string;
  alg: string;
  use: string;
}

export type { KeyView };

/** A tenant's published keys as this instance caches them. */
interface PublishedKeys {
  keys: Jwk[];
  verifiers: Map<string, KeyObject>;
  loadedAt: number;
  until: number;
}

@Injectable()
export class KeysService {
  private readonly signers = new Map<string, { signer: Signer; until: number }>();
  private readonly jwksCache = new Map<string, PublishedKeys>();
  private readonly signerLoads = new SharedLoads<string, Signer>();
  private readonly publishedLoads = new SharedLoads<string, PublishedKeys>();
  /** By tenant and token digest: see verifiedSignature. Insertion order is age order. */
  private readonly verifiedSignatures = new Map<string, VerifiedSignature>();

  constructor(
    private readonly repo: KeysRepository,
    private readonly secrets: SecretsService,
    private readonly dataSource: DataSource,
    private readonly revocation: RevocationService,
    private readonly audit: AuditService,
    bus: NotifyBus,
  ) {
    // a rotation or a withdrawal on any instance, this one included, announced at its commit
    bus.on(KEYS_CHANNEL, (tenantId: string) => this.forget(tenantId));
    // the listener reconnected: it may have missed some
    bus.on('resync', () => {
      this.signers.clear();
      this.jwksCache.clear();
      this.signerLoads.clear();
      this.publishedLoads.clear();
    });
  }

  /**
   * Drops what this instance cached of a tenant's keys: the signer and the published keys. The
   * verified-signature memo checks its key against the published keys on every use, so a token
   * of a key that left the JWKS is refused, and forgotten, at its next presentation.
   */
  private forget(tenantId: string): void {
    this.signers.delete(tenantId);
    this.jwksCache.delete(tenantId);
    this.signerLoads.forget(tenantId);
    this.publishedLoads.forget(tenantId);
  }

  private newKey(tenantId: string, alg: SigningAlg, state: 'next' | 'active'): SigningKey {
    const kid = randomBytes(12).toString('base64url');
    const { privateDer, publicJwk } = generateKeyPair(alg);
    return Object.assign(new SigningKey(), {
      id: randomUUID(),
      tenantId,
      kid,
      alg,
      state,
      publicJwk: { ...publicJwk, kid, alg, use: 'sig' },
      privateKeyEnc: this.secrets.sealPrivateKey(privateDer, kid),
      activatedAt: state === 'active' ? new Date() : null,
      retiredAt: null,
      publishUntil: null,
      withdrawnAt: null,
    });
  }

  /** A new tenant's keys: one active, and the next one already published. */
  async initialize(em: EntityManager, tenantId: string, alg: SigningAlg): Promise<void> {
    await this.repo.insert(em, this.newKey(tenantId, alg, 'active'));
    await this.repo.insert(em, this.newKey(tenantId, alg, 'next'));
  }

  /**
   * next → active, active → retired (published until every token it signed has expired: the
   * caller's `longestTokenTtl` covers every kind it signs, ID and logout tokens included), and a
   * fresh next key, published now and signing only at the following rotation.
   */
  async rotate(
    tenantId: string,
    alg: SigningAlg,
    longestTokenTtl: number,
    o: { force?: boolean } = {},
  ): Promise<void> {
    await this.dataSource.transaction(async (em) => {
      await this.repo.lockTenantKeys(em, tenantId);
      await this.rotateIn(em, tenantId, alg, longestTokenTtl, o);
      await this.repo.announce(em, tenantId);
    });
    this.forget(tenantId);
  }

  /** The rotation's changes, in the caller's transaction holding the tenant's key lock. */
  private async rotateIn(
    em: EntityManager,
    tenantId: string,
    alg: SigningAlg,
    longestTokenTtl: number,
    o: { force?: boolean },
  ): Promise<void> {
    const active = await this.repo.byState(em, tenantId, 'active');
    const next = await this.repo.byState(em, tenantId, 'next');
    // an emergency (a leaked key) may force it; otherwise validators must have seen the key first
    const age = next ? (Date.now() - next.createdAt.getTime()) / 1000 : Infinity;
    if (!o.force && next && next.alg === alg && age < MIN_PUBLISHED_S)
      throw new RotationTooEarlyError(Math.ceil(MIN_PUBLISHED_S - age));
    if (active) {
      await this.repo.setState(em, active.id, {
        state: 'retired',
        retiredAt: new Date(),
        publishUntil: new Date(Date.now() + (longestTokenTtl + RETIRE_MARGIN_S) * 1000),
      });
    }
    if (next && next.alg === alg) {
      await this.repo.setState(em, next.id, { state: 'active', activatedAt: new Date() });
    } else {
      // the tenant's algorithm changed: the waiting key is of the old kind; retire it unused
      if (next)
        await this.repo.setState(em, next.id, {
          state: 'retired',
          retiredAt: new Date(),
          publishUntil: new Date(),
        });
      await this.repo.insert(em, this.newKey(tenantId, alg, 'active'));
    }
    await this.repo.insert(em, this.newKey(tenantId, alg, 'next'));
  }

  /**
   * Withdraws a key (it leaked): it leaves the JWKS at once on every instance (NOTIFY at the
   * commit), and a revocation event naming its kid makes introspection refuse every token it
   * signed at once and feed-following validators within the feed's latency. Sessions and refresh
   * tokens live on: the next refresh gets a token signed by another key. The tenant always keeps
   * an active and a next key: withdrawing the active one first activates the next one (a forced
   * rotation: validators that have not fetched it yet refuse new tokens until they do), and a
   * withdrawn next key is replaced by a fresh one. False when the tenant has no such key;
   * withdrawing a withdrawn key changes nothing.
   */
  async withdraw(
    tenantId: string,
    kid: string,
    o: { alg: SigningAlg; longestTokenTtl: number; by: string },
  ): Promise<boolean> {
    const found = await this.dataSource.transaction(async (em) => {
      await this.repo.lockTenantKeys(em, tenantId);
      const key = await this.repo.byKid(em, tenantId, kid);
      if (!key) return false;
      if (key.state === 'withdrawn') return true;
      if (key.state === 'active')
        await this.rotateIn(em, tenantId, o.alg, o.longestTokenTtl, { force: true });
      const now = new Date();
      await this.repo.setState(em, key.id, {
        state: 'withdrawn',
        withdrawnAt: now,
        publishUntil: now,
      });
      // after the withdrawal: the tenant has at most one next key
      if (key.state === 'next') await this.repo.insert(em, this.newKey(tenantId, o.alg, 'next'));
      await this.revocation.keyWithdrawn(em, tenantId, { kid });
      await this.audit.record(em, {
        tenantId,
        type: 'key_withdrawn',
        detail: { kid, state: key.state, byAdmin: o.by },
      });
      await this.repo.announce(em, tenantId);
      return true;
    });
    this.forget(tenantId);
    return found;
  }

  async signer(tenantId: string): Promise<Signer> {
    const hit = this.signers.get(tenantId);
    if (hit && hit.until > Date.now()) return hit.signer;
    return this.signerLoads.load(
      tenantId,
      async () => {
        const key = await this.repo.byState(undefined, tenantId, 'active');
        if (!key) throw new Error(`Tenant ${tenantId} has no active signing key`);
        return {
          kid: key.kid,
          alg: key.alg,
          privateKey: privateKeyFromDer(this.secrets.openPrivateKey(key.privateKeyEnc, key.kid)),
        };
      },
      (signer) => this.signers.set(tenantId, { signer, until: Date.now() + CACHE_MS }),
    );
  }

  async sign(
    tenantId: string,
    header: Record<string, unknown>,
    payload: Record<string, unknown>,
  ): Promise<string> {
    return signJwt(await this.signer(tenantId), header, payload);
  }

  private async published(tenantId: string): Promise<PublishedKeys> {
    const hit = this.jwksCache.get(tenantId);
    if (hit && hit.until > Date.now()) return hit;
    return this.publishedLoads.load(
      tenantId,
      async () => {
        const rows = await this.repo.published(tenantId);
        return {
          keys: rows.map((k) => k.publicJwk as Jwk),
          verifiers: new Map(
            rows.map((k) => [k.kid, createPublicKey({ key: k.publicJwk, format: 'jwk' })]),
          ),
          loadedAt: Date.now(),
          until: Date.now() + CACHE_MS,
        };
      },
      (entry) => this.jwksCache.set(tenantId, entry),
    );
  }

  async jwks(tenantId: string): Promise<{ keys: Jwk[] }> {
    return { keys: (await this.published(tenantId)).keys };
  }

  /** A published key of this tenant, for verifying our own tokens; never another tenant's. */
  async verificationKey(
    tenantId: string,
    kid: string,
  ): Promise<{ key: KeyObject; alg: string } | undefined> {
    let entry = await this.published(tenantId);
    // a key another instance activated after our cache was filled: reload, at most once a second
    if (!entry.verifiers.has(kid) && Date.now() - entry.loadedAt > UNKNOWN_KID_RELOAD_MS) {
      this.jwksCache.delete(tenantId);
      this.publishedLoads.forget(tenantId);
      entry = await this.published(tenantId);
    }
    const key = entry.verifiers.get(kid);
    const jwk = entry.keys.find((k) => k.kid === kid);
    return key && jwk ? { key, alg: jwk.alg } : undefined;
  }

  async list(tenantId: string): Promise<KeyView[]> {
    const now = Date.now();
    return (await this.repo.list(tenantId)).map((k) => ({
      kid: k.kid,
      alg: k.alg,
      state: k.state,
      createdAt: k.createdAt.toISOString(),
      activatedAt: k.activatedAt?.toISOString() ?? null,
      retiredAt: k.retiredAt?.toISOString() ?? null,
      publishUntil: k.publishUntil?.toISOString() ?? null,
      withdrawnAt: k.withdrawnAt?.toISOString() ?? null,
      isPublished:
        k.state === 'next' ||
        k.state === 'active' ||
        (k.state === 'retired' && k.publishUntil !== null && k.publishUntil.getTime() > now),
    }));
  }

  /**
   * Verifies a JWT this tenant signed: signature by one of its published keys with the key's own
   * algorithm (RFC 8725 §3.1), the expected `typ` (case-insensitive, with or without application/),
   * and `iss`. Time claims are checked unless allowExpired (an expired id_token_hint is still a hint).
   */
  async verifyOwn(
    tenantId: string,
    issuer: string,
    token: string,
    o: { typ: string; allowExpired?: boolean; nowSeconds: number; leewaySeconds?: number },
  ): Promise<JWTPayload | undefined> {
    return (await this.verifyOwnSigned(tenantId, issuer, token, o))?.claims;
  }

  /** verifyOwn, with the kid of the key that signed it (a withdrawn key's event cuts its tokens). */
  async verifyOwnSigned(
    tenantId: string,
    issuer: string,
    token: string,
    o: { typ: string; allowExpired?: boolean; nowSeconds: number; leewaySeconds?: number },
  ): Promise<{ claims: JWTPayload; kid: string } | undefined> {
    if (token.length > 8192 || !COMPACT_JWS.test(token)) return undefined;
    try {
      const signed = await this.verifiedSignature(
        tenantId,
        token,
        o.typ.toLowerCase(),
        o.nowSeconds,
      );
      if (!signed) return undefined;
      const claims = signed.claims;
      if (claims.iss !== issuer) return undefined;
      const leeway = o.leewaySeconds ?? 0;
      if (
        !o.allowExpired &&
        (typeof claims.exp !== 'number' || claims.exp + leeway <= o.nowSeconds)
      )
        return undefined;
      if (typeof claims.nbf === 'number' && claims.nbf - leeway > o.nowSeconds) return undefined;
      if (typeof claims.iat === 'number' && claims.iat - 60 > o.nowSeconds) return undefined;
      return { claims, kid: signed.kid };
    } catch (err) {
      // the keys could not be read now: no verdict on the token (an RFC 7009 revocation must not
      // answer 200 for a token it could not look at)
      if (isUnavailable(err)) throw err;
      return undefined;
    }
  }

  /**
   * The claims of a token of the expected `typ` (normalized) whose signature verifies under a key
   * of this tenant that is published now, with that key's own algorithm. A resource server
   * introspects the same token on each of its requests, so a verified signature is remembered, by
   * the token's digest (never the token), until the token expires; each use still checks that its
   * key is published, so a revoked key ends it at once.
   */
  private async verifiedSignature(
    tenantId: string,
    token: string,
    typ: string,
    nowSeconds: number,
  ): Promise<VerifiedSignature | undefined> {
    const digest = `${tenantId}:${createHash('sha256').update(token).digest('base64url')}`;
    const known = this.verifiedSignatures.get(digest);
    if (known) {
      const found = await this.verificationKey(tenantId, known.kid);
      if (found?.alg !== known.alg) {
        this.verifiedSignatures.delete(digest); // its key left the JWKS
        return undefined;
      }
      if (known.expiresAt > nowSeconds) return known.typ === typ ? known : undefined;
      // expired: forgotten here, and checked afresh below (an expired id_token_hint is still a hint)
      this.verifiedSignatures.delete(digest);
    }
    // the cheap checks first: a token of another type or key costs no signature check
    const header = decodeProtectedHeader(token);
    if ((header.typ ?? '').toLowerCase().replace(/^application\//, '') !== typ) return undefined;
    if (typeof header.kid !== 'string' || header.kid.length > 100) return undefined;
    // RFC 7515 §4.1.11: we never issue critical extensions; a token naming one is not ours
    if (header.crit !== undefined) return undefined;
    const found = await this.verificationKey(tenantId, header.kid);
    if (!found || found.alg !== header.alg) return undefined;
    const payload = await verifyJws(token, found.key, found.alg);
    if (!payload) return undefined;
    const claims = JSON.parse(payload.toString('utf8')) as JWTPayload;
    if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) return undefined;
    const verified: VerifiedSignature = {
      kid: header.kid,
      alg: found.alg,
      typ,
      expiresAt: typeof claims.exp === 'number' ? claims.exp : 0,
      claims: deepFreeze(claims),
    };
    // live access tokens, the ones presented again and again; larger tokens are not kept
    if (verified.expiresAt > nowSeconds && token.length <= VERIFIED_TOKEN_MAX_LENGTH) {
      // bounded: oldest first out (tokens of one lifetime expire in about that order)
      if (this.verifiedSignatures.size >= VERIFIED_SIGNATURES_MAX) {
        const oldest = this.verifiedSignatures.keys().next().value;
        if (oldest !== undefined) this.verifiedSignatures.delete(oldest);
      }
      this.verifiedSignatures.set(digest, verified);
    }
    return verified;
  }
}

interface VerifiedSignature {
  kid: string;
  alg: string;
  typ: string;
  /** `exp`, epoch seconds (0 without one: such a token is never remembered). */
  expiresAt: number;
  claims: Readonly<JWTPayload>;
}

/** Claims shared by every caller that presents the same token: nobody may change them. */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
