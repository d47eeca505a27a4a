import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import {
  MAX_ACCESS_TOKEN_TTL_SECONDS,
  type CreateTenantInput,
  type EffectivePolicy,
  type EffectiveRateLimits,
  type UpdateTenantInput,
} from '@tessera/contracts';
import { APP_CONFIG, type AppConfig } from '../config';
import {
  CONFIG_CHANNEL,
  configChanged,
  isUniqueViolation,
  NotifyBus,
  ReadRouter,
  SharedLoads,
} from '../database';
import { Conflict, NotFound, UnknownIssuer } from '../errors';
import { KeysService } from '../keys';
import { Tenant } from './tenant.entity';
import {
  applyPolicy,
  assertPolicyOrder,
  DEFAULT_POLICY,
  policyColumns,
  rateLimitOverrides,
  sameRateLimits,
  tenantPolicy,
  tenantRateLimits,
} from './tenant-policy';
import { TenantsRepository } from './tenants.repository';
import { issuerOf } from './tenant.view';

export const SYSTEM_TENANT = 'system';
const CACHE_MS = 5000;
const CACHE_MAX = 10_000;
const SLUG_RE = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

@Injectable()
export class TenantsService {
  // slug → tenant; the token endpoint reads it on every request
  private readonly cache = new Map<string, { tenant: Tenant; until: number }>();
  private readonly loads = new SharedLoads<string, Tenant | null>();

  constructor(
    private readonly repo: TenantsRepository,
    private readonly dataSource: DataSource,
    private readonly keys: KeysService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    bus: NotifyBus,
    private readonly reads: ReadRouter,
  ) {
    // a deleted tenant leaves every instance's cache as soon as its commit is announced
    bus.on(CONFIG_CHANNEL, (tenantId: string) => {
      for (const [slug, hit] of this.cache) if (hit.tenant.id === tenantId) this.cache.delete(slug);
      // a load under way may carry the tenant as it was: not stored, the next request reads anew
      this.loads.clear();
    });
  }

  issuer(tenant: Pick<Tenant, 'slug'>): string {
    return issuerOf(this.config.publicUrl, tenant.slug);
  }

  /** The slug of a tenant issuer URL of this server (`PUBLIC_URL/t/{slug}`, exactly), or undefined. */
  slugOfIssuer(iss: string): string | undefined {
    const prefix = issuerOf(this.config.publicUrl, '');
    if (!iss.startsWith(prefix)) return undefined;
    const slug = iss.slice(prefix.length);
    return SLUG_RE.test(slug) ? slug : undefined;
  }

  /** The tenant whose issuer URL this is (cached like bySlug). */
  byIssuer(iss: string): Promise<Tenant | null> {
    const slug = this.slugOfIssuer(iss);
    return slug === undefined ? Promise.resolve(null) : this.bySlug(slug);
  }

  policy(tenant: Tenant): EffectivePolicy {
    return tenantPolicy(tenant);
  }

  rateLimits(tenant: Tenant): EffectiveRateLimits {
    return tenantRateLimits(tenant);
  }

  async bySlug(slug: string): Promise<Tenant | null> {
    // anything that is not a slug cannot name a tenant: no query, nothing cached
    if (!SLUG_RE.test(slug)) return null;
    const hit = this.cache.get(slug);
    if (hit && hit.until > Date.now()) return hit.tenant;
    return this.loads.load(
      slug,
      // from the replica while it may answer (a deletion NOTIFYs, which keeps it out until
      // replayed); a tenant it does not know yet is asked of the primary
      () =>
        this.reads.read(
          (ds) => this.repo.findBySlug(slug, ds.manager),
          (t) => t !== null,
        ),
      (tenant) => {
        if (!tenant) return; // misses are not cached: random slugs must not grow memory
        if (this.cache.size >= CACHE_MAX) this.cache.clear();
        this.cache.set(slug, { tenant, until: Date.now() + CACHE_MS });
      },
    );
  }

  async require(slug: string): Promise<Tenant> {
    const t = await this.bySlug(slug);
    if (!t) throw new NotFound('Tenant');
    return t;
  }

  /** Uncached, inside a transaction. */
  lookup(slug: string, em: EntityManager): Promise<Tenant | null> {
    return this.repo.findBySlug(slug, em);
  }

  /** Uncached, inside a transaction. */
  lookupById(id: string, em: EntityManager): Promise<Tenant | null> {
    return this.repo.findById(id, em);
  }

  /** For OAuth endpoints: an unknown tenant is an unknown issuer (404, RFC 6749 error shape). */
  async forIssuer(slug: string): Promise<Tenant> {
    const t = await this.bySlug(slug);
    if (!t) throw new UnknownIssuer();
    return t;
  }

  list(): Promise<Tenant[]> {
    return this.repo.list();
  }

  listByIds(ids: string[]): Promise<Tenant[]> {
    return this.repo.listByIds(ids);
  }

  /** A tenant and its first signing keys, in one transaction. */
  async create(input: CreateTenantInput, em?: EntityManager): Promise<Tenant> {
    const policy = applyPolicy(DEFAULT_POLICY, input.policy);
    assertPolicyOrder(policy);
    const taken = (detail: string) =>
      new Conflict(`A tenant with slug ${input.slug} exists`, [{ path: ['slug'], detail }]);
    const run = async (m: EntityManager) => {
      // asked inside the transaction: the caller's may hold the only connection (embedded database)
      if (await this.repo.isSlugOfDeleted(input.slug, m))
        throw taken(
          'A deleted tenant’s slug stays reserved until every token it issued has expired (a day)',
        );
      const tenant = Object.assign(new Tenant(), {
        id: randomUUID(),
        slug: input.slug,
        name: input.name,
        signingAlg: input.signingAlg ?? 'ES256',
        ...policyColumns(policy),
        rateLimits: rateLimitOverrides({}, input.rateLimits),
      });
      await this.repo.insert(m, tenant);
      await this.keys.initialize(m, tenant.id, tenant.signingAlg);
      return (await this.repo.findById(tenant.id, m))!; // just inserted, same transaction
    };
    try {
      const tenant = em ? await run(em) : await this.dataSource.transaction(run);
      this.cache.delete(tenant.slug);
      return tenant;
    } catch (err) {
      if (isUniqueViolation(err)) throw taken('Already taken');
      throw err;
    }
  }

  /**
   * Marks a tenant deleted, in the caller's transaction: from its commit its issuer answers 404
   * everywhere (every instance drops it from its cache on the announcement). Its rows stay until
   * `purgeDeleted`; false when it was deleted already.
   */
  async markDeleted(em: EntityManager, tenant: Tenant): Promise<boolean> {
    if (!(await this.repo.markDeleted(em, tenant.id))) return false;
    await configChanged(em, tenant.id);
    return true;
  }

  /** This instance forgets a tenant at once (the others when the announcement of the commit arrives). */
  forget(tenant: Pick<Tenant, 'slug'>): void {
    this.cache.delete(tenant.slug);
  }

  /**
   * Deletes for good the tenants deleted longer ago than any token they issued can live (the cap,
   * and the revocation events' 120 s): by then their feed events have expired and the back-channel
   * outbox has delivered or given up on their logouts. Their slug is free again from then.
   */
  purgeDeleted(): Promise<number> {
    return this.repo.purgeDeleted(MAX_ACCESS_TOKEN_TTL_SECONDS + 120);
  }

  /** Returns whether anything changed, so that applying a bootstrap file twice changes nothing. */
  async update(
    tenant: Tenant,
    input: UpdateTenantInput,
    em?: EntityManager,
  ): Promise<{ tenant: Tenant; changed: boolean }> {
    const policy = applyPolicy(tenantPolicy(tenant), input.policy);
    assertPolicyOrder(policy);
    const next = {
      ...(input.name !== undefined ? { name: input.name } : {}),
      ...policyColumns(policy),
    } as Partial<Tenant>;
    let changed = Object.entries(next).some(([k, v]) => tenant[k as keyof Tenant] !== v);
    if (input.rateLimits) {
      const limits = rateLimitOverrides(tenant.rateLimits, input.rateLimits);
      if (!sameRateLimits(limits, tenant.rateLimits)) {
        next.rateLimits = limits;
        changed = true;
      }
    }
    if (changed) {
      const run = (m: EntityManager) => this.repo.update(m, tenant.id, next);
      await (em ? run(em) : this.dataSource.transaction(run));
      this.cache.delete(tenant.slug);
    }
    const fresh = (await this.repo.findById(tenant.id, em))!; // exists: we hold its row
    return { tenant: fresh, changed };
  }
}
