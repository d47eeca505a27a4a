import { Injectable } from '@nestjs/common';
import { hash, verify } from '@node-rs/argon2';
import { PASSWORD_HASHING_CONCURRENCY } from '../config';

export class HasherBusyError extends Error {
  constructor(readonly retryAfterSeconds: number) {
    super('Password hashing is at capacity');
  }
}

// OWASP minimum for argon2id: 19 MiB, t=2, p=1 (≈ 30 ms here).
const OPTIONS = {
  algorithm: 2 /* Algorithm.Argon2id: an ambient const enum, not importable with isolatedModules */,
  memoryCost: 19456,
  timeCost: 2,
  parallelism: 1,
};
// half the cores at most: a sign-in burst leaves the other half, and free threads of the pool, to
// token signing and verification
const MAX_CONCURRENT = PASSWORD_HASHING_CONCURRENCY;
const MAX_QUEUED = 32;

/**
 * argon2 shares libuv's thread pool and the cores with everything else: a few at a time per
 * process, a short queue, then HasherBusyError (429 + Retry-After), so a sign-in burst cannot stall
 * the rest (LD-03).
 */
@Injectable()
export class PasswordHasher {
  private running = 0;
  private readonly queue: Array<() => void> = [];
  // a real hash of a random value: unknown accounts are verified against it, taking the same time
  private dummy?: Promise<string>;

  private async slot<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= MAX_CONCURRENT) {
      if (this.queue.length >= MAX_QUEUED) throw new HasherBusyError(2);
      await new Promise<void>((resolve) => this.queue.push(resolve));
    } else {
      this.running++;
    }
    try {
      return await work();
    } finally {
      const next = this.queue.shift();
      if (next) next();
      else this.running--;
    }
  }

  hash(password: string): Promise<string> {
    return this.slot(() => hash(password, OPTIONS));
  }

  /** False for a missing hash too, after the same work as a real check. */
  async verify(stored: string | undefined, password: string): Promise<boolean> {
    if (!stored) {
      this.dummy ??= hash(`dummy-${Math.random()}`, OPTIONS);
      const dummy = await this.dummy;
      await this.slot(() => verify(dummy, password));
      return false;
    }
    return this.slot(() => verify(stored, password).catch(() => false));
  }
}
