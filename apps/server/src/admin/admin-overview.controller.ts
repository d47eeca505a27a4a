import { Controller, Get, UseGuards } from '@nestjs/common';
import { overviewViewSchema, type OverviewView } from '@tessera/contracts';
import { TesseraAuthGuard } from '@tessera/nest-guards';
import { Clock } from '../clock';
import type { Tenant } from '../tenants';
import { AdminTenantGuard, TenantParam } from './admin-auth.guard';
import { AdminRoute } from './admin-route';
import { AdminStats, type HourCount } from './admin-stats.service';

const HOUR_MS = 3_600_000;

@Controller('admin/api/tenants/:tenant/overview')
@UseGuards(TesseraAuthGuard, AdminTenantGuard)
export class AdminOverviewController {
  constructor(
    private readonly stats: AdminStats,
    private readonly clock: Clock,
  ) {}

  /** Active sessions now; sign-ins and refreshes per hour over the last 24 hours. */
  @Get()
  @AdminRoute({
    operationId: 'getOverview',
    summary: 'Active sessions now; sign-ins and refreshes per hour over the last 24 hours',
    scope: 'admin:sessions:read',
    response: overviewViewSchema,
  })
  async get(@TenantParam() tenant: Tenant): Promise<OverviewView> {
    const now = this.clock.now();
    const current = Math.floor(now.getTime() / HOUR_MS) * HOUR_MS;
    const since = new Date(current - 23 * HOUR_MS);
    const [activeSessions, signIns, refreshes] = await Promise.all([
      this.stats.activeSessions(tenant.id),
      this.stats.signInsByHour(tenant.id, since),
      this.stats.refreshesByHour(tenant.id, since),
    ]);
    const at = (list: HourCount[], t: number) =>
      list.find((x) => x.hour.getTime() === t)?.count ?? 0;
    const hours = Array.from({ length: 24 }, (_, i) => {
      const t = since.getTime() + i * HOUR_MS;
      return {
        hour: new Date(t).toISOString(),
        signIns: at(signIns, t),
        refreshes: at(refreshes, t),
      };
    });
    return { activeSessions, hours };
  }
}
