import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { RateLimitName } from '@tessera/contracts';
import { TooManyRequests } from '../errors';
import { tenantRateLimits, type Tenant } from '../tenants';
import { RateLimitStore, type CounterRule, type Hit } from './rate-limit.store';

const SWEEP_MS = 60_000;
/** Pending hits of a key are sent to the store at least this often. */
const FLUSH_MS = 250;
/** Limits below this many per window are counted exactly, one store round trip per request. */
const EXACT_BELOW = 50;

/** What this instance knows of a request counter between two round trips to the store. */
interface LocalCount {
  /** Hits counted here and not yet sent. */
  pending: number;
  /** The shared count the store returned last. */
  shared: number;
  /** Hits on their way to the store (sent, not yet answered): not in `shared` yet. */
  inFlight: number;
  /** Refuse locally until then (ms epoch): the store said the key is blocked. */
  blockedUntil: number;
  lastSent: number;
  sending?: Promise<unknown>;
  rule: CounterRule;
}

/**
 * Every limit of the server, one mechanism: counters per tenant, rule and subject in a store that
 * all instances share. Request limits (token, introspection) count every request of a subject;
 * lockouts (sign-in) count failures and then block the subject for a while.
 */
@Injectable()
export class RateLimitService implements OnModuleInit, OnModuleDestroy {
  private sweeper?: NodeJS.Timeout;
  private flusher?: NodeJS.Timeout;
  // request counters of the callers seen here: bounded by clients and resource servers, and by the
  // sources of public clients seen within the sweep interval (idle ones are forgotten)
  private readonly local = new Map<string, LocalCount>();

  constructor(@Inject(RateLimitStore) private readonly store: RateLimitStore) {}

  onModuleInit() {
    this.sweeper = setInterval(() => {
      // idle local counts are forgotten; stored counters go by their TTL (Redis) or with the
      // retention job (PostgreSQL)
      const idle = Date.now() - SWEEP_MS;
      for (const [key, c] of this.local)
        if (!c.pending && !c.sending && c.lastSent < idle && c.blockedUntil < Date.now())
          this.local.delete(key);
    }, SWEEP_MS);
    this.sweeper.unref();
    // hits counted here reach the store even when the client goes quiet
    this.flusher = setInterval(() => {
      for (const [key, c] of this.local) if (c.pending && !c.sending) this.sendLater(key, c);
    }, FLUSH_MS);
    this.flusher.unref();
  }

  onModuleDestroy() {
    clearInterval(this.sweeper);
    clearInterval(this.flusher);
  }

  private static key(tenant: Tenant, name: RateLimitName, subject: string) {
    return `${name}:${tenant.id}:${subject}`;
  }

  /**
   * Counts one request; beyond the tenant's limit, throws 429 with the seconds left in the window.
   * Small limits are counted exactly. Larger ones are counted here and sent to the store in
   * batches (every FLUSH_MS, or every limit/50 requests, at most 100), so a busy client costs one
   * round trip per batch instead of one per request; near the limit every request goes to the
   * store again. Each instance may so let through up to one batch more than the limit per window.
   */
  async consume(tenant: Tenant, name: 'token' | 'introspection', subject: string): Promise<void> {
    const rule = tenantRateLimits(tenant)[name];
    const key = RateLimitService.key(tenant, name, subject);
    const batch = Math.min(100, Math.floor(rule.limit / EXACT_BELOW));
    let c = this.local.get(key);
    if (!c)
      this.local.set(
        key,
        (c = { pending: 0, shared: 0, inFlight: 0, blockedUntil: 0, lastSent: 0, rule }),
      );
    c.rule = rule;
    const now = Date.now();
    if (c.blockedUntil > now)
      throw new TooManyRequests(Math.ceil((c.blockedUntil - now) / 1000), `rate limit ${name}`);
    c.pending++;
    if (batch === 0 || c.shared + c.inFlight + c.pending + batch > rule.limit) {
      // exact: this request's verdict comes from the store, with whatever was pending before it
      // (taken before any await, so no concurrent request can send this one's hit for it)
      const hit = await this.send(key, rule, c);
      if (hit && hit.count > rule.limit) throw new TooManyRequests(hit.wait, `rate limit ${name}`);
      return;
    }
    if (!c.sending && (c.pending >= batch || now - c.lastSent >= FLUSH_MS)) this.sendLater(key, c);
  }

  /** Sends in the background; on failure the hits stay pending and are sent with the next ones. */
  private sendLater(key: string, c: LocalCount) {
    const sending = this.send(key, c.rule, c)
      .catch(() => undefined)
      .finally(() => {
        if (c.sending === sending) c.sending = undefined;
      });
    c.sending = sending;
  }

  /** Sends the pending hits of a key (taken synchronously); undefined when there were none. */
  private async send(key: string, rule: CounterRule, c: LocalCount): Promise<Hit | undefined> {
    const n = c.pending;
    if (n === 0) return undefined;
    c.pending = 0;
    c.inFlight += n;
    c.lastSent = Date.now();
    try {
      const hit = await this.store.hit(key, rule, n);
      c.inFlight -= n;
      c.shared = hit.count;
      c.blockedUntil = hit.count > rule.limit ? Date.now() + hit.wait * 1000 : 0;
      return hit;
    } catch (err) {
      c.inFlight -= n;
      c.pending += n;
      throw err;
    }
  }

  /** Seconds until the longest lockout among these subjects ends; 0 when none is locked. */
  lockedFor(
    tenant: Tenant,
    subjects: Array<{ name: 'signInAccount' | 'signInAddress'; subject: string }>,
  ): Promise<number> {
    return this.store.blockedFor(
      subjects.map((s) => RateLimitService.key(tenant, s.name, s.subject)),
    );
  }

  /** Counts a failure; the one that reaches the limit locks the subject. */
  async fail(tenant: Tenant, name: 'signInAccount' | 'signInAddress', subject: string) {
    const rule = tenantRateLimits(tenant)[name];
    await this.store.hit(RateLimitService.key(tenant, name, subject), {
      limit: rule.limit,
      windowSeconds: rule.windowSeconds,
      blockSeconds: rule.lockoutSeconds,
    });
  }

  async reset(tenant: Tenant, name: 'signInAccount' | 'signInAddress', subject: string) {
    await this.store.reset(RateLimitService.key(tenant, name, subject));
  }
}
