import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Metrics } from './metrics';

const TOKEN_ROUTE = '/t/:tenant/token';

/**
 * Times every request, labelled by the route template the router matched (`/t/:tenant/token`),
 * never by the raw path: paths carry tenant slugs and ids, and the label set must stay bounded.
 * Token endpoint answers are counted here, by grant type, so the token code needs no metrics calls.
 */
export function httpMetrics(app: FastifyInstance, metrics: Metrics): void {
  app.addHook('onResponse', (req, reply, done) => {
    const route = req.is404 ? 'unmatched' : (req.routeOptions.url ?? 'unmatched');
    const status = reply.statusCode;
    metrics.httpDuration.observe(
      { method: req.method, route, status: `${Math.floor(status / 100)}xx` },
      reply.elapsedTime / 1000,
    );
    if (route === TOKEN_ROUTE && req.method === 'POST') tokenOutcome(metrics, req, status);
    done();
  });
}

function tokenOutcome(metrics: Metrics, req: FastifyRequest, status: number): void {
  // the form was parsed as text by the body parser; only grant_type is read. A 200 means the
  // endpoint supports that grant, so the label set stays bounded without a list here.
  const body: unknown = req.body;
  const grant = typeof body === 'string' ? new URLSearchParams(body).get('grant_type') : null;
  if (status === 200 && grant) metrics.tokensIssued.inc({ grant_type: grant });
  if (grant === 'refresh_token')
    metrics.refreshes.inc({ outcome: status === 200 ? 'rotated' : 'refused' });
}
