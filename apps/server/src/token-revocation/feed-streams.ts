import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import { APP_CONFIG, type AppConfig } from '../config';
import { NotifyBus, REVOCATIONS_CHANNEL } from '../database';
import type { HttpRequest, HttpResponse } from '../http';
import { Metrics, type FeedStreamCount } from '../metrics';
import { TooManyRequests } from '../errors';
import { RevocationRepository, type FeedRow } from '../revocation';

/** Rows per read: also the most a stream whose client stops reading can have waiting here. */
const PAGE = 500;
const POLL_MS = 5000;
const PING_MS = 15000;
/** What a caller refused a stream is told to wait: streams are long-lived, slots free slowly. */
const RETRY_AFTER_SECONDS = 10;

/** The wire form of one event: what a validator needs to refuse tokens, and when it may forget it. */
export function eventData(e: FeedRow): Record<string, unknown> {
  return {
    type: e.type,
    ...(e.sid ? { sid: e.sid } : {}),
    ...(e.jti ? { jti: e.jti } : {}),
    ...(e.sub ? { sub: e.sub } : {}),
    ...(e.clientId ? { client_id: e.clientId } : {}),
    ...(e.familyId ? { family_id: e.familyId } : {}),
    ...(e.kid ? { kid: e.kid } : {}),
    ...(e.aud ? { aud: e.aud } : {}),
    ...(e.notBefore ? { notBefore: Math.floor(new Date(e.notBefore).getTime() / 1000) } : {}),
    exp: Math.floor(new Date(e.expiresAt).getTime() / 1000),
    ...(e.reason ? { reason: e.reason } : {}),
  };
}

interface Stream {
  res: ServerResponse;
  /** Who opened it (`tenant:caller`), for the per-caller cap. */
  caller: string;
  /** The id of the last event written to it. */
  cursor: bigint;
  /** Fed by its tenant's shared read; otherwise it reads its own pages until it catches up. */
  isLive: boolean;
  isCatchingUp: boolean;
  /** Waiting for its client to take what was written (the socket's buffer is full). */
  isWaiting: boolean;
  isClosed: boolean;
}

/** The streams of one tenant on this instance, and how far the tenant's shared read has got. */
interface TenantFeed {
  tenantId: string;
  streams: Set<Stream>;
  /** Where the shared read goes on from; unset until the first stream catches up. */
  cursor?: bigint;
  /** The shared read and a stream joining it take turns (see catchUp). */
  turn: Promise<unknown>;
  /** A shared read is queued or running; another request for one makes it read again. */
  isReading: boolean;
  readAgain: boolean;
}

/**
 * The live revocation feed (Server-Sent Events) of this instance. A stream first reads its own
 * pages from its cursor (Last-Event-ID); once it has caught up it follows its tenant's shared read:
 * one database read per tenant per NOTIFY or poll, whatever the number of streams. A stream whose
 * client stops reading leaves the shared read and waits for its socket to drain, holding at most
 * one page here, then catches up again by itself. Streams are capped per caller and per instance.
 */
@Injectable()
export class FeedStreams implements OnModuleInit, OnModuleDestroy {
  private readonly tenants = new Map<string, TenantFeed>();
  private readonly perCaller = new Map<string, number>();
  private count = 0;
  private poll?: NodeJS.Timeout;
  private ping?: NodeJS.Timeout;
  private readonly onNotify = (tenantId: string) => {
    const feed = this.tenants.get(tenantId);
    if (feed) this.readShared(feed);
  };
  private readonly onResync = () => this.readAll();

  constructor(
    private readonly repo: RevocationRepository,
    private readonly bus: NotifyBus,
    private readonly metrics: Metrics,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    metrics.watchFeedStreams(() => this.countByState());
  }

  onModuleInit(): void {
    this.bus.on(REVOCATIONS_CHANNEL, this.onNotify);
    this.bus.on('resync', this.onResync);
    // a lost notification costs at most one poll interval
    this.poll = setInterval(() => this.readAll(), POLL_MS);
    this.ping = setInterval(() => {
      for (const feed of this.tenants.values())
        for (const s of feed.streams) if (!s.res.writableNeedDrain) s.res.write(': ping\n\n');
    }, PING_MS);
    this.poll.unref();
    this.ping.unref();
  }

  onModuleDestroy(): void {
    this.bus.off(REVOCATIONS_CHANNEL, this.onNotify);
    this.bus.off('resync', this.onResync);
    clearInterval(this.poll);
    clearInterval(this.ping);
    for (const feed of [...this.tenants.values()]) for (const s of [...feed.streams]) s.res.end();
    this.tenants.clear();
  }

  /**
   * Opens a stream after `after` for an authenticated caller, or answers 429 + Retry-After when the
   * caller or this instance holds as many as it may.
   */
  open(
    tenantId: string,
    caller: string,
    after: string,
    req: HttpRequest,
    reply: HttpResponse,
  ): void {
    if (reply.raw.destroyed) {
      // the client left while it was being authenticated: its 'close' is past, nothing to hold
      reply.hijack();
      return;
    }
    const key = `${tenantId}:${caller}`;
    const held = this.perCaller.get(key) ?? 0;
    if (held >= this.config.feedStreamsPerClient)
      throw new TooManyRequests(RETRY_AFTER_SECONDS, 'feed streams per client');
    if (this.count >= this.config.feedStreamsPerInstance)
      throw new TooManyRequests(RETRY_AFTER_SECONDS, 'feed streams per instance');
    this.perCaller.set(key, held + 1);
    this.count++;

    // from here on the stream is written by hand, on the Node response
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'Content-Type': 'text/event-stream',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.write('retry: 1000\n\n');
    let feed = this.tenants.get(tenantId);
    if (!feed)
      this.tenants.set(
        tenantId,
        (feed = {
          tenantId,
          streams: new Set(),
          turn: Promise.resolve(),
          isReading: false,
          readAgain: false,
        }),
      );
    const stream: Stream = {
      res,
      caller: key,
      cursor: BigInt(after),
      isLive: false,
      isCatchingUp: false,
      isWaiting: false,
      isClosed: false,
    };
    feed.streams.add(stream);
    req.raw.on('close', () => this.close(feed, stream));
    res.on('close', () => this.close(feed, stream));
    void this.catchUp(feed, stream);
  }

  private close(feed: TenantFeed, s: Stream): void {
    if (s.isClosed) return;
    s.isClosed = true;
    feed.streams.delete(s);
    if (!feed.streams.size && this.tenants.get(feed.tenantId) === feed)
      this.tenants.delete(feed.tenantId);
    const held = (this.perCaller.get(s.caller) ?? 1) - 1;
    if (held > 0) this.perCaller.set(s.caller, held);
    else this.perCaller.delete(s.caller);
    this.count--;
  }

  private countByState(): FeedStreamCount {
    const n: FeedStreamCount = { live: 0, catching_up: 0, waiting: 0 };
    for (const feed of this.tenants.values())
      for (const s of feed.streams)
        n[s.isLive ? 'live' : s.isWaiting ? 'waiting' : 'catching_up']++;
    return n;
  }

  private read(tenantId: string, after: bigint, kind: 'shared' | 'catch_up'): Promise<FeedRow[]> {
    this.metrics.feedReads.inc({ kind });
    return this.repo.eventsAfter(tenantId, after.toString(), PAGE);
  }

  /** Writes the rows the stream has not had yet. */
  private write(s: Stream, rows: FeedRow[]): void {
    for (const e of rows) {
      const id = BigInt(e.id);
      if (id <= s.cursor) continue;
      s.res.write(`id: ${e.id}\nevent: revocation\ndata: ${JSON.stringify(eventData(e))}\n\n`);
      this.metrics.feedDelivered(e.createdAt);
      s.cursor = id;
    }
  }

  /** Resolves once the client has taken what was written, or has gone. */
  private drained(s: Stream): Promise<void> {
    if (s.isClosed) return Promise.resolve();
    s.isWaiting = true;
    return new Promise<void>((resolve) => {
      const done = () => {
        s.res.off('drain', done);
        s.res.off('close', done);
        s.isWaiting = false;
        resolve();
      };
      s.res.on('drain', done);
      s.res.on('close', done);
    });
  }

  /** Runs `work` when the tenant's shared read and the streams joining it have had their turn. */
  private inTurn<T>(feed: TenantFeed, work: () => Promise<T>): Promise<T> {
    const run = feed.turn.then(work);
    feed.turn = run.catch(() => undefined);
    return run;
  }

  /**
   * Reads the stream's own pages from its cursor, one page at a time and only when its socket has
   * room, until it has all there is; then joins the tenant's shared read.
   */
  private async catchUp(feed: TenantFeed, s: Stream): Promise<void> {
    if (s.isCatchingUp || s.isLive || s.isClosed) return;
    s.isCatchingUp = true;
    try {
      while (!s.isClosed) {
        if (s.res.writableNeedDrain) {
          await this.drained(s);
          continue;
        }
        const rows = await this.read(feed.tenantId, s.cursor, 'catch_up');
        if (s.isClosed) return;
        this.write(s, rows);
        if (rows.length < PAGE && (await this.join(feed, s))) return;
      }
    } catch {
      // the database is away: the tenant's next read (a notification or the poll) starts it again
    } finally {
      s.isCatchingUp = false;
    }
  }

  /**
   * The last catch-up read, in the shared read's turn: the shared cursor cannot move meanwhile, and
   * events commit in id order, so a read that ends short has everything up to the shared cursor
   * and the shared read takes over from there, without a gap or a repeat.
   */
  private join(feed: TenantFeed, s: Stream): Promise<boolean> {
    return this.inTurn(feed, async () => {
      if (s.isClosed) return true;
      // the first stream: the shared read starts at the newest event (never at a client's cursor)
      if (feed.cursor === undefined) {
        this.metrics.feedReads.inc({ kind: 'catch_up' });
        feed.cursor = BigInt(await this.repo.latestId(feed.tenantId));
      }
      const rows = await this.read(feed.tenantId, s.cursor, 'catch_up');
      this.write(s, rows);
      if (rows.length === PAGE || s.res.writableNeedDrain) return false;
      s.isLive = !s.isClosed;
      return true;
    });
  }

  private readAll(): void {
    for (const feed of this.tenants.values()) this.readShared(feed);
  }

  /** One read for all the tenant's live streams; streams that cannot take it leave to catch up. */
  private readShared(feed: TenantFeed): void {
    if (feed.isReading) {
      feed.readAgain = true;
      return;
    }
    feed.isReading = true;
    void this.inTurn(feed, async () => {
      try {
        do {
          feed.readAgain = false;
          if (feed.cursor === undefined) break; // no stream has caught up yet: nothing to share
          const rows = await this.read(feed.tenantId, feed.cursor, 'shared');
          if (rows.length) feed.cursor = BigInt(rows[rows.length - 1].id);
          for (const s of feed.streams) {
            if (!s.isLive) continue;
            this.write(s, rows);
            if (s.res.writableNeedDrain) s.isLive = false; // it catches up once its client reads
          }
          if (rows.length === PAGE) feed.readAgain = true;
        } while (feed.readAgain && this.tenants.get(feed.tenantId) === feed);
      } catch {
        // the database is away: the next notification or poll reads from the same cursor
      } finally {
        feed.isReading = false;
      }
      // streams that left (a full socket), or whose own reads failed, go on by themselves
      for (const s of feed.streams) if (!s.isLive) void this.catchUp(feed, s);
    });
  }
}
