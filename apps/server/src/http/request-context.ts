import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { pathOf } from './platform';

const REQUEST_ID_RE = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * Request ids (taken from X-Request-Id when sane; `request.id`, answered as X-Request-Id by
 * server.ts) and one access-log line per request: method, path without the query string (it may
 * carry codes or tokens), status and duration. No headers, no bodies.
 */
export function requestContext(app: FastifyInstance, logger: Logger): void {
  app.setGenReqId((req: IncomingMessage) => {
    const incoming = req.headers['x-request-id'];
    return typeof incoming === 'string' && REQUEST_ID_RE.test(incoming) ? incoming : randomUUID();
  });
  app.addHook('onResponse', (req, reply, done) => {
    // the line is built only when it is written (benchmarks and quiet deployments run at warn)
    if (logger.isLevelEnabled('info'))
      logger.info(
        {
          reqId: req.id,
          method: req.method,
          path: pathOf(req),
          status: reply.statusCode,
          ms: Math.round(reply.elapsedTime * 10) / 10,
        },
        'request',
      );
    done();
  });
}
