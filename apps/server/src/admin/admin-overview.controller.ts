import { Controller, Get, UseGuards } from '@nestjs/common';
import {
  OVERVIEW_SIGNALS,
  overviewQuerySchema,
  overviewViewSchema,
  type OverviewSignal,
  type OverviewView,
} from '@tessera/contracts';
import { TesseraAuthGuard } from '@tessera/nest-guards';
import type { z } from 'zod';
import { Clock } from '../clock';
import type { Tenant } from '../tenants';
import { AdminTenantGuard, TenantParam } from './admin-auth.guard';
import { AdminQuery, AdminRoute } from './admin-route';
import { AdminStats, type HourCount } from './admin-stats.service';

const HOUR_MS = 3_600_000;
/** Per window: how many buckets, of how many hours each. */
const WINDOWS = { '24h': { buckets: 24, hours: 1 }, '7d': { buckets: 7, hours: 24 } } as const;

@Controller('admin/api/tenants/:tenant/overview')
@UseGuards(TesseraAuthGuard, AdminTenantGuard)
export class AdminOverviewController {
  constructor(
    private readonly stats: AdminStats,
    private readonly clock: Clock,
  ) {}

  /**
   * Active sessions now; sign-ins and refreshes per hour over the last 24 hours; the security
   * signals (reuse, failed and throttled sign-ins, revocations, back-channel logouts given up on)
   * per hour over the last 24 hours (`?window=24h`) or per day over the last 7 days (`7d`).
   */
  @Get()
  @AdminRoute({
    operationId: 'getOverview',
    summary:
      'Active sessions now; sign-ins and refreshes per hour over the last 24 hours; security signals over the window (?window=24h|7d)',
    scope: 'admin:sessions:read',
    query: overviewQuerySchema,
    response: overviewViewSchema,
  })
  async get(
    @TenantParam() tenant: Tenant,
    @AdminQuery() q: z.output<typeof overviewQuerySchema>,
  ): Promise<OverviewView> {
    const window = WINDOWS[q.window];
    const now = this.clock.now();
    // buckets end with the current hour; the hourly chart of sign-ins covers its last 24 hours
    const to = Math.floor(now.getTime() / HOUR_MS) * HOUR_MS + HOUR_MS;
    const bucketMs = window.hours * HOUR_MS;
    const from = to - window.buckets * bucketMs;
    const since24h = to - 24 * HOUR_MS;
    const [activeSessions, audit, refreshes, backchannel] = await Promise.all([
      this.stats.activeSessions(tenant.id),
      this.stats.auditByHour(tenant.id, new Date(Math.min(from, since24h))),
      this.stats.refreshesByHour(tenant.id, new Date(since24h)),
      this.stats.backchannelFailuresByHour(tenant.id, new Date(from)),
    ]);
    // the sum of a list's hours in [start, start + ms)
    const sum = (list: HourCount[] | undefined, start: number, ms: number) =>
      (list ?? []).reduce((n, x) => {
        const t = x.hour.getTime();
        return t >= start && t < start + ms ? n + x.count : n;
      }, 0);
    const hours = Array.from({ length: 24 }, (_, i) => {
      const t = since24h + i * HOUR_MS;
      return {
        hour: new Date(t).toISOString(),
        signIns: sum(audit.get('signIns'), t, HOUR_MS),
        refreshes: sum(refreshes, t, HOUR_MS),
      };
    });
    const series = (signal: OverviewSignal) =>
      signal === 'backchannelFailures' ? backchannel : audit.get(signal);
    const counts = (start: number, ms: number) =>
      Object.fromEntries(OVERVIEW_SIGNALS.map((s) => [s, sum(series(s), start, ms)])) as Record<
        OverviewSignal,
        number
      >;
    const buckets = Array.from({ length: window.buckets }, (_, i) => {
      const start = from + i * bucketMs;
      return { start: new Date(start).toISOString(), ...counts(start, bucketMs) };
    });
    return {
      activeSessions,
      hours,
      window: {
        name: q.window,
        from: new Date(from).toISOString(),
        to: new Date(to).toISOString(),
        bucketSeconds: bucketMs / 1000,
      },
      totals: counts(from, to - from),
      buckets,
    };
  }
}
