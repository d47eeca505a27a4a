import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ServerResponse } from 'node:http';
import { pathOf } from './platform';

/** The request was not answered within TESSERA_REQUEST_DEADLINE_MS: answered 503 + Retry-After. */
export class DeadlineExceededError extends Error {
  readonly code = 'EDEADLINE';
  constructor(ms: number) {
    super(`The request was not answered within its deadline (${ms} ms)`);
  }
}

const answeredAtDeadline = new WeakSet<ServerResponse>();

/**
 * Monitoring answers late rather than not at all: an overloaded instance is when its metrics are
 * wanted (their one database read is bounded on its own), and liveness touches no database.
 */
const EXEMPT = new Set(['/healthz', '/metrics']);

/**
 * True once the deadline answered this response: whatever the handler does afterwards (a late
 * result, a late error) is dropped quietly, it is not an error after a response started.
 */
export function isAnsweredAtDeadline(res: FastifyReply): boolean {
  return answeredAtDeadline.has(res.raw);
}

/**
 * Bounds how long a client waits: a request with no answer started `deadlineMs` after it arrived
 * is answered by `respond` (the exception filter: 503 + Retry-After in the surface's error shape)
 * instead of being held while the database stalls. Its handler is not stopped; what it commits
 * afterwards stands, as when a response is lost on the way (a refresh retried with the same token
 * is covered by the reuse grace). A response already started (an SSE stream) is left alone, and so
 * are the monitoring routes.
 */
export function requestDeadline(
  app: FastifyInstance,
  deadlineMs: number,
  respond: (err: Error, req: FastifyRequest, reply: FastifyReply) => void,
  onAnswered: () => void,
): void {
  app.addHook('onRequest', (req, reply, done) => {
    if (EXEMPT.has(pathOf(req))) return done();
    const res = reply.raw;
    const timer = setTimeout(() => {
      if (reply.sent || res.headersSent || res.destroyed) return;
      answeredAtDeadline.add(res);
      onAnswered();
      respond(new DeadlineExceededError(deadlineMs), req, reply);
    }, deadlineMs);
    res.once('close', () => clearTimeout(timer));
    done();
  });
}
