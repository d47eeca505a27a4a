import { Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config';
import { RateLimitService } from './rate-limit.service';
import { PgRateLimitStore, RateLimitStore, RedisRateLimitStore } from './rate-limit.store';
import { RateLimitCounter } from './rate-limit-counter.entity';

/** The tables this module owns; the composition root (src/entities.ts) registers them. */
export const RATE_LIMIT_ENTITIES = [RateLimitCounter];

@Module({
  providers: [
    {
      provide: RateLimitStore,
      inject: [APP_CONFIG, DataSource],
      useFactory: (config: AppConfig, dataSource: DataSource) =>
        config.redisUrl
          ? new RedisRateLimitStore(config.redisUrl)
          : new PgRateLimitStore(dataSource),
    },
    RateLimitService,
  ],
  exports: [RateLimitService],
})
export class RateLimitModule {}
