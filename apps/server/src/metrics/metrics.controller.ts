import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import { APP_CONFIG, type AppConfig } from '../config';
import type { HttpRequest, HttpResponse } from '../http';
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
  async scrape(@Req() req: HttpRequest, @Res() res: HttpResponse): Promise<void> {
    res.header('Cache-Control', 'no-store');
    if (this.expected) {
      const m = /^Bearer ([^\s]+)$/.exec(req.headers.authorization ?? '');
      if (!m || !timingSafeEqual(digest(m[1]), this.expected)) {
        res
          .code(401)
          .header(
            'WWW-Authenticate',
            m ? 'Bearer realm="metrics", error="invalid_token"' : 'Bearer realm="metrics"',
          )
          .send();
        return;
      }
    }
    const body = await this.metrics.registry.metrics();
    res.code(200).header('Content-Type', this.metrics.registry.contentType).send(body);
  }
}
