import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Pool } from 'pg';
import { DataSource } from 'typeorm';
import type { BoundedPoolState, ShedReason } from '../database';

/** Upper bounds in seconds: sub-millisecond cache hits up to a slow sign-in (argon2) under load. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
/** A scrape waits this long for the outbox depth, then reports NaN. */
const DEPTH_WAIT_MS = 1000;
/** A run with nothing to delete takes milliseconds; a backlog of millions of rows, minutes. */
const RETENTION_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300];
const FEED_LAG_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export interface FeedStreamCount {
  live: number;
  catching_up: number;
  waiting: number;
}

/**
 * The server's Prometheus metrics (docs/operations.md lists them). One registry per application,
 * so two servers in one process (tests) never share counters. Counters count on this instance;
 * sum them across instances. Labels are bounded sets: grant types, route templates, event types —
 * never a raw path, a tenant slug, a client id or a token.
 */
@Injectable()
export class Metrics implements OnModuleDestroy {
  readonly registry = new Registry();

  readonly tokensIssued = new Counter({
    name: 'tessera_tokens_issued_total',
    help: 'Token endpoint answers that issued tokens, by grant type',
    labelNames: ['grant_type'] as const,
    registers: [this.registry],
  });
  readonly refreshes = new Counter({
    name: 'tessera_refreshes_total',
    help: 'refresh_token grants by outcome: rotated (tokens issued) or refused',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly rotationBatchSize = new Histogram({
    name: 'tessera_rotation_batch_size',
    help: 'Refresh-token rotations sent in one statement (group commit): 1 at low load',
    buckets: [1, 2, 4, 8, 16, 32, 64],
    registers: [this.registry],
  });
  readonly rotationBatchFailures = new Counter({
    name: 'tessera_rotation_batch_failures_total',
    help: 'Rotation statements that failed (a deadlock, a lost connection): their rotations took the transactional path',
    registers: [this.registry],
  });
  readonly introspectionBatchSize = new Histogram({
    name: 'tessera_introspection_batch_size',
    help: 'Access-token liveness checks (introspection, admin API tokens) sent in one statement: 1 at low load',
    buckets: [1, 2, 4, 8, 16, 32, 64],
    registers: [this.registry],
  });
  readonly introspectionChecksWaiting = new Gauge({
    name: 'tessera_introspection_checks_waiting',
    help: 'Access-token liveness checks waiting for a statement to finish, to go out together in the next one',
    registers: [this.registry],
  });
  readonly introspectionBatchFailures = new Counter({
    name: 'tessera_introspection_batch_failures_total',
    help: 'Liveness statements that failed (a lost connection): their checks were asked again one token a statement',
    registers: [this.registry],
  });
  readonly reuseDetected = new Counter({
    name: 'tessera_refresh_token_reuse_detected_total',
    help: 'Used refresh tokens presented again outside the grace period (the family or session was revoked)',
    registers: [this.registry],
  });
  readonly securityEvents = new Counter({
    name: 'tessera_security_events_total',
    help: 'Security log entries written, by type (sign-in failures, throttling, reuse, revocations)',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });
  readonly revocations = new Counter({
    name: 'tessera_revocations_total',
    help: 'Revocation feed events written, by type (session, family, access_token, user)',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });
  readonly feedLag = new Histogram({
    name: 'tessera_revocation_feed_lag_seconds',
    help: 'From a revocation event being written to its delivery to a live feed subscriber (SSE)',
    buckets: FEED_LAG_BUCKETS,
    registers: [this.registry],
  });
  readonly feedReads = new Counter({
    name: 'tessera_revocation_feed_reads_total',
    help: 'Database reads for live feed streams: shared (one per tenant per notification or poll) or catch_up (a stream behind)',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly backchannelDeliveries = new Counter({
    name: 'tessera_backchannel_deliveries_total',
    help: 'Back-channel logout sends by outcome: delivered, or failed (timeout, connection, http, refused)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly retentionPruned = new Counter({
    name: 'tessera_retention_rows_pruned_total',
    help: 'Rows the retention job deleted on this instance, by table',
    labelNames: ['table'] as const,
    registers: [this.registry],
  });
  readonly retentionLastRun = new Gauge({
    name: 'tessera_retention_last_run_timestamp_seconds',
    help: 'When the last retention run of this instance ended (unix seconds); 0: none yet',
    registers: [this.registry],
  });
  readonly retentionDuration = new Histogram({
    name: 'tessera_retention_run_duration_seconds',
    help: 'Duration of the retention runs of this instance',
    buckets: RETENTION_BUCKETS,
    registers: [this.registry],
  });
  readonly httpDuration = new Histogram({
    name: 'tessera_http_request_duration_seconds',
    help: 'HTTP request latency by method, route template and status class',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  readonly deadlineAnswered = new Counter({
    name: 'tessera_request_deadline_exceeded_total',
    help: 'Requests answered 503 + Retry-After because they were not answered within TESSERA_REQUEST_DEADLINE_MS',
    registers: [this.registry],
  });

  private feedStreamCount: () => FeedStreamCount = () => ({ live: 0, catching_up: 0, waiting: 0 });
  private outboxDepthQuery: () => Promise<number> = async () => 0;

  constructor(dataSource: DataSource) {
    collectDefaultMetrics({ register: this.registry });
    const pool = () => (dataSource.driver as unknown as { master?: Pool }).master;
    const streams = () => this.feedStreamCount();
    const depth = () => this.outboxDepthQuery();
    // read before the outbox query below takes a connection, so `waiting` does not count the scrape
    new Gauge({
      name: 'tessera_db_pool_connections',
      help: 'Database pool connections of this instance: total open, idle, and requests waiting for one',
      labelNames: ['state'] as const,
      registers: [this.registry],
      collect() {
        const p = pool();
        this.set({ state: 'total' }, p?.totalCount ?? 0);
        this.set({ state: 'idle' }, p?.idleCount ?? 0);
        this.set({ state: 'waiting' }, p?.waitingCount ?? 0);
      },
    });
    new Gauge({
      name: 'tessera_db_pool_max',
      help: 'The size limit of the database pool of this instance',
      registers: [this.registry],
      collect() {
        this.set(pool()?.options.max ?? 0);
      },
    });
    const shedSeen: Record<ShedReason, number> = { queue_full: 0, deadline: 0 };
    new Counter({
      name: 'tessera_db_pool_shed_total',
      help: 'Requests refused a database connection at once (503 + Retry-After): queue_full (DATABASE_POOL_MAX_WAITING were waiting) or deadline (the expected wait outlasted the request deadline)',
      labelNames: ['reason'] as const,
      registers: [this.registry],
      collect() {
        const shed = (pool() as Partial<BoundedPoolState> | undefined)?.shed;
        for (const reason of ['queue_full', 'deadline'] as const) {
          const n = shed?.[reason] ?? 0;
          this.inc({ reason }, Math.max(0, n - shedSeen[reason]));
          shedSeen[reason] = Math.max(n, shedSeen[reason]);
        }
      },
    });
    new Gauge({
      name: 'tessera_db_pool_hold_seconds',
      help: 'Recent mean time a request holds a database connection (EWMA); the load shedding estimates waits from it',
      registers: [this.registry],
      collect() {
        this.set(((pool() as Partial<BoundedPoolState> | undefined)?.holdEwmaMs ?? 0) / 1000);
      },
    });
    new Gauge({
      name: 'tessera_revocation_feed_subscribers',
      help: 'Open revocation feed (SSE) streams on this instance',
      registers: [this.registry],
      collect() {
        const n = streams();
        this.set(n.live + n.catching_up + n.waiting);
      },
    });
    new Gauge({
      name: 'tessera_revocation_feed_streams',
      help: "Open feed streams by state: live (fed by their tenant's shared read), catching_up (reading their own pages), waiting (their client is not reading; nothing is read for them)",
      labelNames: ['state'] as const,
      registers: [this.registry],
      collect() {
        for (const [state, n] of Object.entries(streams())) this.set({ state }, n);
      },
    });
    new Gauge({
      name: 'tessera_backchannel_outbox_depth',
      help: 'Back-channel logouts waiting to be sent (all instances: read from the database)',
      registers: [this.registry],
      async collect() {
        // NaN: the database did not answer, or not soon enough (a scrape must not wait out a stall)
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<number>((r) => (timer = setTimeout(() => r(NaN), DEPTH_WAIT_MS)));
        this.set(await Promise.race([depth().catch(() => NaN), late]));
        clearTimeout(timer);
      },
    });
  }

  onModuleDestroy(): void {
    this.registry.clear();
  }

  /** The revocation feed reports its open streams, by state. */
  watchFeedStreams(count: () => FeedStreamCount): void {
    this.feedStreamCount = count;
  }

  /** The back-channel worker reports how deep its outbox is (read at scrape time). */
  watchOutboxDepth(depth: () => Promise<number>): void {
    this.outboxDepthQuery = depth;
  }

  /** A revocation feed event went out to a live subscriber. */
  feedDelivered(createdAt: Date | string): void {
    this.feedLag.observe(Math.max(0, (Date.now() - new Date(createdAt).getTime()) / 1000));
  }

  securityEvent(type: string): void {
    this.securityEvents.inc({ type });
    if (type === 'refresh_token_reuse') this.reuseDetected.inc();
  }
}
