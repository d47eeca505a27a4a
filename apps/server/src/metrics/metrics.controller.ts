import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { createHash, timingSafeEqual } from 'node:crypto';
import { APP_CONFIG, type AppConfig } from '../config';
import { Metrics } from './metrics';

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * Prometheus exposition at /metrics. Open unless TESSERA_METRICS_TOKEN is set; then a scraper
 * presents it as a Bearer token (RFC 6750), compared in constant time.
 */
@Controller('metrics')
export class MetricsController {
  private readonly expected?: Buffer;

  constructor(
    private readonly metrics: Metrics,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.expected = config.metricsToken ? digest(config.metricsToken) : undefined;
  }

  @Get()
  async scrape(@Req() req: Request, @Res() res: Response): Promise<void> {
    res.setHeader('Cache-Control', 'no-store');
    if (this.expected) {
      const m = /^Bearer ([^\s]+)$/.exec(req.headers.authorization ?? '');
      if (!m || !timingSafeEqual(digest(m[1]), this.expected)) {
        res
          .status(401)
          .setHeader(
            'WWW-Authenticate',
            m ? 'Bearer realm="metrics", error="invalid_token"' : 'Bearer realm="metrics"',
          )
          .end();
        return;
      }
    }
    const body = await this.metrics.registry.metrics();
    res.status(200).setHeader('Content-Type', this.metrics.registry.contentType).send(body);
  }
}
