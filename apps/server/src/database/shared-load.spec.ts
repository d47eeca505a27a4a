import { SharedLoads } from './shared-load';

/** A load the test settles by hand. */
function pending<V>() {
  let resolve!: (v: V) => void; // assigned by the executor, which runs at once
  let reject!: (e: Error) => void; // assigned by the executor, which runs at once
  const promise = new Promise<V>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('shared loads', () => {
  it('runs one load for callers that miss the same key at once, and stores its value once', async () => {
    const loads = new SharedLoads<string, { n: number }>();
    const stored: Array<{ n: number }> = [];
    const first = pending<{ n: number }>();
    let started = 0;
    const load = () => {
      started++;
      return first.promise;
    };
    const callers = Array.from({ length: 5 }, () => loads.load('a', load, (v) => stored.push(v)));
    first.resolve({ n: 1 });
    const values = await Promise.all(callers);
    expect(started).toBe(1);
    expect(new Set(values).size).toBe(1);
    expect(stored).toEqual([{ n: 1 }]);
  });

  it('keeps keys apart', async () => {
    const loads = new SharedLoads<string, string>();
    const got = await Promise.all(
      ['a', 'b'].map((k) =>
        loads.load(
          k,
          () => Promise.resolve(k),
          () => undefined,
        ),
      ),
    );
    expect(got).toEqual(['a', 'b']);
  });

  it('does not store a load that an invalidation overtook, and starts a fresh one after it', async () => {
    const loads = new SharedLoads<string, string>();
    const stored: string[] = [];
    const old = pending<string>();
    const before = loads.load(
      'a',
      () => old.promise,
      (v) => stored.push(v),
    );
    loads.forget('a');
    const after = loads.load(
      'a',
      () => Promise.resolve('new'),
      (v) => stored.push(v),
    );
    old.resolve('old');
    expect(await before).toBe('old'); // its own callers get what they waited for
    expect(await after).toBe('new');
    expect(stored).toEqual(['new']);
  });

  it('keeps nothing of a failed load: every waiter sees the error and the next caller tries again', async () => {
    const loads = new SharedLoads<string, string>();
    const stored: string[] = [];
    const failing = pending<string>();
    const a = loads.load(
      'a',
      () => failing.promise,
      (v) => stored.push(v),
    );
    const b = loads.load(
      'a',
      () => Promise.resolve('unused'),
      (v) => stored.push(v),
    );
    failing.reject(new Error('database down'));
    await expect(a).rejects.toThrow('database down');
    await expect(b).rejects.toThrow('database down');
    expect(
      await loads.load(
        'a',
        () => Promise.resolve('back'),
        (v) => stored.push(v),
      ),
    ).toBe('back');
    expect(stored).toEqual(['back']);
  });
});
