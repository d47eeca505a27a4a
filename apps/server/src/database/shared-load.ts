/**
 * One load per key at a time: callers that find a cache entry missing while its load is under way
 * wait for that load instead of starting their own. A cache entry that expires under load so costs
 * one read, not one per request in flight (at c=50 the token endpoint read the signing key and the
 * tenant up to 50 times each, and parsed the key as often, every time their entries expired).
 *
 * `store` keeps the value only if the load is still the current one: `forget` (an invalidation)
 * drops it, so a load that started before a change never puts the old value back, and callers after
 * the change start a fresh load. A failed load is not kept; the next caller tries again.
 */
export class SharedLoads<K, V> {
  private readonly loading = new Map<K, Promise<V>>();

  load(key: K, load: () => Promise<V>, store: (value: V) => void): Promise<V> {
    const current = this.loading.get(key);
    if (current) return current;
    const p: Promise<V> = load().then(
      (value) => {
        if (this.loading.get(key) === p) {
          this.loading.delete(key);
          store(value);
        }
        return value;
      },
      (err: unknown) => {
        if (this.loading.get(key) === p) this.loading.delete(key);
        throw err;
      },
    );
    this.loading.set(key, p);
    return p;
  }

  forget(key: K): void {
    this.loading.delete(key);
  }

  clear(): void {
    this.loading.clear();
  }
}
