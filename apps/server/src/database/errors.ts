import { QueryFailedError } from 'typeorm';

function codeOf(err: unknown): string | undefined {
  if (err instanceof QueryFailedError)
    return (err.driverError as { code?: string } | undefined)?.code;
  return (err as { code?: string } | undefined)?.code;
}

export function isUniqueViolation(err: unknown): boolean {
  return codeOf(err) === '23505';
}

/**
 * The transaction was aborted for another one's sake (deadlock detected, serialization failure) and
 * nothing of it remains: run again, it may well succeed.
 */
export function isConflict(err: unknown): boolean {
  const code = codeOf(err);
  return code === '40P01' || code === '40001';
}

/**
 * Runs `attempt` (a whole transaction) again, up to `attempts` times in all, while it loses to
 * another transaction (isConflict); any other error, or the last conflict, is thrown.
 */
export async function retryOnConflict<T>(attempt: () => Promise<T>, attempts = 3): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await attempt();
    } catch (err) {
      if (i >= attempts || !isConflict(err)) throw err;
    }
  }
}

/**
 * The database cannot serve right now: refused or dropped connections, pool timeouts, shutdown,
 * read-only, lock or statement timeouts, a stalled link, a request past its deadline. Answered 503 +
 * Retry-After, never 500.
 */
export function isUnavailable(err: unknown): boolean {
  const code = codeOf(err);
  if (code && /^(08|53|57P)/.test(code)) return true; // connection exception, insufficient resources, operator intervention
  if (code === '25006' || code === '55P03' || code === '57014') return true; // read-only, lock timeout, statement timeout
  if (isConflict(err)) return true; // the transaction lost a deadlock or a serialization check: try again
  if (code === 'EPOOLFULL') return true; // PoolQueueFullError: queue full, or shed
  if (code === 'EQUERYSTALLED') return true; // QueryStalledError: no answer within the query guard
  if (code === 'EDEADLINE') return true; // DeadlineExceededError: the request deadline passed
  if (code && ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND'].includes(code))
    return true;
  const message = err instanceof Error ? err.message : '';
  return /timeout exceeded when trying to connect|Connection terminated|Client has encountered a connection error|Cannot use a pool after calling end/i.test(
    message,
  );
}

/** Input PostgreSQL refused as malformed (NUL bytes, bad uuid or number syntax, out of range). */
export function isInvalidInput(err: unknown): boolean {
  const code = codeOf(err);
  return (
    code === '22021' || code === '22P02' || code === '22003' || code === '22P05' || code === '22001'
  );
}
