import type { EntityManager } from 'typeorm';
import { CONFIG_CHANNEL, type NotifyBus } from './notify-bus';

/** Beyond NOTIFY: the longest any instance may serve a cached entry, whatever happens. */
const TTL_MS = 30_000;
const MAX_ENTRIES = 10_000;

/**
 * Announces that a tenant's client configuration (applications, their grants, resource servers)
 * changed. NOTIFY inside the writer's transaction is delivered at its commit, never before, to
 * every instance (this one included).
 */
export async function configChanged(em: EntityManager, tenantId: string): Promise<void> {
  await em.query(`SELECT pg_notify('${CONFIG_CHANNEL}', $1)`, [tenantId]);
}

/**
 * A per-tenant memo of what the token and introspection endpoints read on every request (client
 * credentials, grants). An entry goes when any instance commits a change to its tenant (the bus
 * delivers the NOTIFY after the commit), all entries go when the listener reconnects (it may have
 * missed some) and nothing is cached while it is down, and none lives longer than 30 s. A load that started before an invalidation is not
 * stored, so a reader racing a change cannot put the old value back. Misses are not cached (random
 * client ids must not grow memory).
 */
export class ConfigCache<V> {
  private readonly entries = new Map<string, { value: V; until: number }>();
  private readonly generations = new Map<string, number>();
  private epoch = 0;

  constructor(private readonly bus: NotifyBus) {
    bus.on(CONFIG_CHANNEL, (tenantId: string) => this.invalidate(tenantId));
    bus.on('resync', () => this.clear());
  }

  private generation(tenantId: string): string {
    return `${this.epoch}:${this.generations.get(tenantId) ?? 0}`;
  }

  async get(
    tenantId: string,
    key: string,
    load: () => Promise<V | null | undefined>,
  ): Promise<V | null | undefined> {
    // without a listener, changes would go unseen: no caching until it is back
    if (!this.bus.isConnected) return load();
    const k = `${tenantId}\u0000${key}`;
    const hit = this.entries.get(k);
    if (hit && hit.until > Date.now()) return hit.value;
    const before = this.generation(tenantId);
    const value = await load();
    if (value === null || value === undefined || this.generation(tenantId) !== before) return value;
    if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
    this.entries.set(k, { value, until: Date.now() + TTL_MS });
    return value;
  }

  invalidate(tenantId: string): void {
    this.generations.set(tenantId, (this.generations.get(tenantId) ?? 0) + 1);
    const prefix = `${tenantId}\u0000`;
    for (const k of this.entries.keys()) if (k.startsWith(prefix)) this.entries.delete(k);
  }

  clear(): void {
    this.epoch++;
    this.generations.clear();
    this.entries.clear();
  }
}
