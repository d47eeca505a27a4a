import { Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { TenantsService } from './tenants.service';

const EVERY_MS = 15 * 60_000;

/**
 * Purges deleted tenants once nothing they issued can be live (TenantsService.purgeDeleted). Runs on
 * every instance: the DELETE is idempotent, and a quarter of an hour either way changes nothing.
 */
@Injectable()
export class TenantPurge implements OnApplicationBootstrap, OnModuleDestroy {
  private timer?: NodeJS.Timeout;

  constructor(private readonly tenants: TenantsService) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.tenants.purgeDeleted().catch(() => 0), EVERY_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }
}
