import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config';

/** The server's time. Expiry decisions that must agree across instances use the database's now() instead. */
@Injectable()
export class Clock {
  private readonly offsetMs: number;
  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.offsetMs = config.clockOffsetMs;
  }
  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }
  epochSeconds(): number {
    return Math.floor((Date.now() + this.offsetMs) / 1000);
  }
}
