import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { TesseraVerifier } from '../verifier/tessera-verifier';

/** Terminus indicator: JWKS loaded and fresh (its age in ms), feed connected and not stale (its lag in ms). */
@Injectable()
export class TesseraHealthIndicator {
  constructor(
    private readonly verifier: TesseraVerifier,
    private readonly health: HealthIndicatorService,
  ) {}

  check(key = 'tessera') {
    const h = this.verifier.health();
    const session = this.health.check(key);
    const data = {
      mode: h.mode,
      jwksFetchedAt: h.jwksFetchedAt,
      ...(h.mode === 'introspection'
        ? {}
        : {
            jwksStale: h.jwksStale,
            jwksAgeMs: h.jwksFetchedAt ? Date.now() - h.jwksFetchedAt : null,
          }),
      ...(h.feed
        ? {
            feedConnected: h.feed.isConnected,
            feedStale: h.feed.isStale,
            feedLagMs: h.feed.lastContactAt ? Date.now() - h.feed.lastContactAt : null,
            revokedEntries: h.feed.entries,
          }
        : {}),
    };
    return h.isReady && !h.jwksStale && !h.feed?.isStale ? session.up(data) : session.down(data);
  }
}
