import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { RateLimitName } from '@tessera/contracts';
import { OAuthError } from '../http';
import { tenantRateLimits, type Tenant } from '../tenants';
import { PgRateLimitStore, RateLimitStore } from './rate-limit.store';

/** RFC 6585 §4: 429 with Retry-After, in the RFC 6749 §5.2 error shape. */
export class TooManyRequests extends OAuthError {
  constructor(waitSeconds: number, detail: string) {
    super(429, 'temporarily_unavailable', 'Too many requests; retry later', detail, {
      'Retry-After': String(Math.max(1, waitSeconds)),
    });
  }
}

const SWEEP_MS = 60_000;

/**
 * Every limit of the server, one mechanism: counters per tenant, rule and subject in a store that
 * all instances share. Request limits (token, introspection) count every request of a subject;
 * lockouts (sign-in) count failures and then block the subject for a while.
 */
@Injectable()
export class RateLimitService implements OnModuleInit, OnModuleDestroy {
  private sweeper?: NodeJS.Timeout;

  constructor(@Inject(RateLimitStore) private readonly store: RateLimitStore) {}

  onModuleInit() {
    const store = this.store;
    if (!(store instanceof PgRateLimitStore)) return; // Redis keys expire by themselves
    this.sweeper = setInterval(() => void store.sweep().catch(() => undefined), SWEEP_MS);
    this.sweeper.unref();
  }

  onModuleDestroy() {
    clearInterval(this.sweeper);
  }

  private static key(tenant: Tenant, name: RateLimitName, subject: string) {
    return `${name}:${tenant.id}:${subject}`;
  }

  /** Counts one request; beyond the tenant's limit, throws 429 with the seconds left in the window. */
  async consume(tenant: Tenant, name: 'token' | 'introspection', subject: string): Promise<void> {
    const rule = tenantRateLimits(tenant)[name];
    const hit = await this.store.hit(RateLimitService.key(tenant, name, subject), rule);
    if (hit.count > rule.limit) throw new TooManyRequests(hit.wait, `rate limit ${name}`);
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
