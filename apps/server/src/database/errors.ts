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
 * The database cannot serve right now: refused or dropped connections, pool timeouts, shutdown,
 * read-only, lock or statement timeouts, a stalled link, a request past its deadline. Answered 503 +
 * Retry-After, never 500.
 */
export function isUnavailable(err: unknown): boolean {
  const code = codeOf(err);
  if (code && /^(08|53|57P)/.test(code)) return true; // connection exception, insufficient resources, operator intervention
  if (code === '25006' || code === '55P03' || code === '57014') return true; // read-only, lock timeout, statement timeout
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
