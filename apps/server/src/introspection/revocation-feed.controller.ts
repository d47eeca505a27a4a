import { Controller, Get, Param, Query, Req, Res, type OnModuleDestroy } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import { NotifyBus, REVOCATIONS_CHANNEL } from '../database';
import { Metrics } from '../metrics';
import { Form, InvalidRequest, type HttpRequest, type HttpResponse } from '../http';
import { RevocationRepository, type FeedRow } from '../revocation';
import { TenantsService } from '../tenants';
import { ClientAuthenticator } from '../tokens';

const PAGE = 500;
const CURSOR_RE = /^\d{1,19}$/;

/** The wire form of one event: what a validator needs to refuse tokens, and when it may forget it. */
function eventData(e: FeedRow): Record<string, unknown> {
  return {
    type: e.type,
    ...(e.sid ? { sid: e.sid } : {}),
    ...(e.jti ? { jti: e.jti } : {}),
    ...(e.sub ? { sub: e.sub } : {}),
    ...(e.clientId ? { client_id: e.clientId } : {}),
    ...(e.aud ? { aud: e.aud } : {}),
    ...(e.notBefore ? { notBefore: Math.floor(new Date(e.notBefore).getTime() / 1000) } : {}),
    exp: Math.floor(new Date(e.expiresAt).getTime() / 1000),
    ...(e.reason ? { reason: e.reason } : {}),
  };
}

/**
 * The revocation feed (CONTRACT.md): by cursor as JSON, or live as Server-Sent Events where each
 * event's id is its cursor and Last-Event-ID resumes without loss. Every instance hears every
 * revocation through NOTIFY; a slow poll covers a lost notification.
 */
@Controller('t/:tenant/revocations')
export class RevocationFeedController implements OnModuleDestroy {
  private readonly streams = new Set<ServerResponse>();

  constructor(
    private readonly tenants: TenantsService,
    private readonly clients: ClientAuthenticator,
    private readonly repo: RevocationRepository,
    private readonly bus: NotifyBus,
    private readonly metrics: Metrics,
  ) {
    metrics.watchFeedSubscribers(() => this.streams.size);
  }

  onModuleDestroy(): void {
    for (const res of this.streams) res.end();
    this.streams.clear();
  }

  @Get()
  async feed(
    @Param('tenant') slug: string,
    @Query('after') afterParam: unknown,
    @Req() req: HttpRequest,
    @Res() reply: HttpResponse,
  ): Promise<void> {
    const tenant = await this.tenants.forIssuer(slug);
    await this.clients.authenticateCaller(tenant, req, new Form(new Map()));
    const lastEventId = req.headers['last-event-id'];
    const after =
      typeof lastEventId === 'string' && lastEventId
        ? lastEventId
        : afterParam === undefined
          ? '0'
          : afterParam;
    if (typeof after !== 'string' || !CURSOR_RE.test(after))
      throw new InvalidRequest({
        description: 'after must be a cursor this feed returned',
        detail: 'bad cursor',
      });

    if (!/text\/event-stream/.test(req.headers.accept ?? '')) {
      const events = await this.repo.eventsAfter(tenant.id, after, PAGE);
      reply.header('Cache-Control', 'no-store').send({
        events: events.map((e) => ({ id: e.id, ...eventData(e) })),
        cursor: events.length ? events[events.length - 1].id : after,
      });
      return;
    }

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
    this.streams.add(res);
    let cursor = after;
    let running = false;
    let again = false;
    const pump = async () => {
      if (running) {
        again = true;
        return;
      }
      running = true;
      try {
        do {
          again = false;
          const rows = await this.repo.eventsAfter(tenant.id, cursor, PAGE);
          for (const e of rows) {
            res.write(`id: ${e.id}\nevent: revocation\ndata: ${JSON.stringify(eventData(e))}\n\n`);
            this.metrics.feedDelivered(e.createdAt);
          }
          if (rows.length) cursor = rows[rows.length - 1].id;
          if (rows.length === PAGE) again = true;
        } while (again && !res.writableEnded);
      } catch {
        // the database is away: the next notification or poll tries again from the same cursor
      } finally {
        running = false;
      }
    };
    const onNotify = (tenantId: string) => {
      if (tenantId === tenant.id) void pump();
    };
    const onResync = () => void pump();
    this.bus.on(REVOCATIONS_CHANNEL, onNotify);
    this.bus.on('resync', onResync);
    const poll = setInterval(() => void pump(), 5000);
    const ping = setInterval(() => res.write(': ping\n\n'), 15000);
    const close = () => {
      clearInterval(poll);
      clearInterval(ping);
      this.bus.off(REVOCATIONS_CHANNEL, onNotify);
      this.bus.off('resync', onResync);
      this.streams.delete(res);
    };
    req.raw.on('close', close);
    await pump();
  }
}
