import { availableParallelism } from 'node:os';

const operatorPoolSize = Number(process.env.UV_THREADPOOL_SIZE) || undefined;

/**
 * argon2 runs at most this many at once per process: half the cores, and always a thread fewer
 * than an operator's UV_THREADPOOL_SIZE, so it never holds the whole pool (FT-17, LD-03).
 */
export const PASSWORD_HASHING_CONCURRENCY = Math.max(
  1,
  Math.min(Math.floor(availableParallelism() / 2), (operatorPoolSize ?? Infinity) - 1),
);

/**
 * libuv's thread pool runs argon2 and JWT signing and verification. Sized so that argon2 at its
 * bound still leaves a thread per core to the JWTs (the default of 4 would not on 8 cores or more).
 * libuv reads the size once, when the pool first starts: the server's entry point calls this before
 * anything else. An operator's UV_THREADPOOL_SIZE is kept.
 */
export function sizeThreadPool(env: NodeJS.ProcessEnv = process.env): void {
  if (env.UV_THREADPOOL_SIZE) return;
  env.UV_THREADPOOL_SIZE = String(
    Math.max(4, PASSWORD_HASHING_CONCURRENCY + availableParallelism()),
  );
}
