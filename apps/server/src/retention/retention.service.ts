import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config';
import { Metrics } from '../metrics';
import { TenantsService } from '../tenants';
import {
  RetentionRepository,
  type BatchOutcome,
  type PrunedTable,
  type PruneCounts,
} from './retention.repository';

const DAY_SECONDS = 86_400;

/**
 * The retention job (docs/operations.md §4, Retention): deletes what nothing reads any more, in small
 * batches, each its own short transaction. Every instance runs it on its interval; while one
 * instance is deleting, a batch of another finds the job's lock taken and that instance's run ends
 * there (the other one finishes the work). Tests call runOnce() themselves: their servers start
 * with the interval at 0.
 */
@Injectable()
export class RetentionService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger('Retention');
  private timer?: NodeJS.Timeout;
  private running?: Promise<PruneCounts>;
  private stopping = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly repo: RetentionRepository,
    private readonly tenants: TenantsService,
    private readonly metrics: Metrics,
  ) {}

  onApplicationBootstrap(): void {
    const every = this.config.retention.intervalSeconds;
    if (!every) return;
    this.timer = setInterval(() => {
      // a failed run (the database away) is logged; the next interval tries again
      this.runOnce().catch((err: unknown) =>
        this.log.warn(`retention run failed: ${(err as Error).message}`),
      );
    }, every * 1000);
    this.timer.unref();
  }

  /** Stops the timer and lets a batch in progress commit before the pool closes. */
  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    this.stopping = true;
    await this.running?.catch(() => undefined);
  }

  /**
   * One full run: every kind, batch after batch until a batch comes back short. A call while a run
   * is in progress on this instance joins that run. Returns the rows deleted, by table.
   */
  runOnce(): Promise<PruneCounts> {
    this.running ??= this.run().finally(() => (this.running = undefined));
    return this.running;
  }

  private async run(): Promise<PruneCounts> {
    const started = process.hrtime.bigint();
    const { batchSize: size, sessionHistoryDays, auditDays } = this.config.retention;
    const history = sessionHistoryDays * DAY_SECONDS;
    const total: PruneCounts = {};
    const steps: Array<() => Promise<BatchOutcome>> = [
      () => this.repo.endedSessions('revoked_at', history, size),
      () => this.repo.endedSessions('absolute_expires_at', history, size),
      () => this.repo.deadFamilies('revoked_at', history, size),
      () => this.repo.deadFamilies('absolute_expires_at', history, size),
      () => this.repo.expiredCodes(size),
      () => this.repo.expiredEvents(size),
      () => this.repo.finishedDeliveries(history, size),
      () => this.repo.finishedSignals(history, size),
      () => this.repo.staleCounters(size),
      () => this.repo.expiredPushedRequests(size),
      () => this.repo.expiredProofs(size),
      ...(auditDays > 0 ? [() => this.repo.oldAudit(auditDays * DAY_SECONDS, size)] : []),
    ];
    run: for (const step of steps) {
      for (;;) {
        if (this.stopping) break run;
        const outcome = await step();
        if (outcome.kind === 'busy') break run; // another instance is at it: it finishes the run
        this.count(total, outcome.counts);
        if (!outcome.full) break;
      }
    }
    // deleted tenants go whole once nothing they issued can live (TenantsService.purgeDeleted)
    if (!this.stopping) this.count(total, { tenants: await this.tenants.purgeDeleted() });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    this.metrics.retentionDuration.observe(seconds);
    this.metrics.retentionLastRun.set(Math.floor(Date.now() / 1000));
    const deleted = Object.values(total).reduce((a, b) => a + (b ?? 0), 0);
    if (deleted > 0)
      this.log.log(
        `retention run deleted ${deleted} rows in ${seconds.toFixed(2)} s: ${JSON.stringify(total)}`,
      );
    return total;
  }

  private count(total: PruneCounts, counts: PruneCounts): void {
    for (const [table, n] of Object.entries(counts) as Array<[PrunedTable, number]>) {
      if (!n) continue;
      total[table] = (total[table] ?? 0) + n;
      this.metrics.retentionPruned.inc({ table }, n);
    }
  }
}
