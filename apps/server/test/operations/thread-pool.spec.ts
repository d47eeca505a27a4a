import { availableParallelism } from 'node:os';
import { PASSWORD_HASHING_CONCURRENCY } from '../../src/config';
import { sizeThreadPool } from '../../src/config/thread-pool';

describe("libuv's thread pool, shared by argon2 and JWT signing", () => {
  it('leaves a thread per core to the JWTs when argon2 runs at its bound', () => {
    const env: NodeJS.ProcessEnv = {};
    sizeThreadPool(env);
    const size = Number(env.UV_THREADPOOL_SIZE);
    expect(size).toBeGreaterThanOrEqual(4); // never below libuv's default
    expect(size - PASSWORD_HASHING_CONCURRENCY).toBeGreaterThanOrEqual(availableParallelism());
    expect(PASSWORD_HASHING_CONCURRENCY).toBeLessThanOrEqual(
      Math.max(1, availableParallelism() / 2),
    );
  });

  it("keeps argon2 a thread below an operator's smaller pool", () => {
    const before = process.env.UV_THREADPOOL_SIZE;
    process.env.UV_THREADPOOL_SIZE = '2';
    try {
      jest.isolateModules(() => {
        const fresh: typeof import('../../src/config/thread-pool') =
          // eslint-disable-next-line @typescript-eslint/no-require-imports
          require('../../src/config/thread-pool');
        expect(fresh.PASSWORD_HASHING_CONCURRENCY).toBe(1);
      });
    } finally {
      if (before === undefined) delete process.env.UV_THREADPOOL_SIZE;
      else process.env.UV_THREADPOOL_SIZE = before;
    }
  });

  it("keeps the operator's UV_THREADPOOL_SIZE", () => {
    const env: NodeJS.ProcessEnv = { UV_THREADPOOL_SIZE: '16' };
    sizeThreadPool(env);
    expect(env.UV_THREADPOOL_SIZE).toBe('16');
  });
});
