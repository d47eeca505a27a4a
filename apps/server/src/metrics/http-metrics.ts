import type { NextFunction, Request, Response } from 'express';
import type { Metrics } from './metrics';

const TOKEN_ROUTE = '/t/:tenant/token';

/**
 * Times every request, labelled by the route template Express matched (`/t/:tenant/token`), never
 * by the raw path: paths carry tenant slugs and ids, and the label set must stay bounded. Token
 * endpoint answers are counted here, by grant type, so the token code needs no metrics calls.
 */
export function httpMetrics(metrics: Metrics) {
  return (req: Request, res: Response, next: NextFunction) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = req.route
        ? `${req.baseUrl}${(req.route as { path: string }).path}`
        : 'unmatched';
      metrics.httpDuration.observe(
        { method: req.method, route, status: `${Math.floor(res.statusCode / 100)}xx` },
        seconds,
      );
      if (route === TOKEN_ROUTE && req.method === 'POST')
        tokenOutcome(metrics, req, res.statusCode);
    });
    next();
  };
}

function tokenOutcome(metrics: Metrics, req: Request, status: number): void {
  // the form was parsed as text by the body parser; only grant_type is read. A 200 means the
  // endpoint supports that grant, so the label set stays bounded without a list here.
  const body: unknown = req.body;
  const grant = typeof body === 'string' ? new URLSearchParams(body).get('grant_type') : null;
  if (status === 200 && grant) metrics.tokensIssued.inc({ grant_type: grant });
  if (grant === 'refresh_token')
    metrics.refreshes.inc({ outcome: status === 200 ? 'rotated' : 'refused' });
}
