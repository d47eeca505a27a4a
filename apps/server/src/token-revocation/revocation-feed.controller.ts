import { Controller, Get, Param, Query, Req, Res } from '@nestjs/common';
import { InvalidRequest } from '../errors';
import { Form, type HttpRequest, type HttpResponse } from '../http';
import { RevocationRepository } from '../revocation';
import { TenantsService } from '../tenants';
import { ClientAuthenticator } from '../tokens';
import { eventData, FeedStreams } from './feed-streams';

const PAGE = 500;
const CURSOR_RE = /^\d{1,19}$/;

/**
 * The revocation feed: by cursor as JSON, or live as Server-Sent Events where each
 * event's id is its cursor and Last-Event-ID resumes without loss (FeedStreams). Every instance
 * hears every revocation through NOTIFY; a slow poll covers a lost notification.
 */
@Controller('t/:tenant/revocations')
export class RevocationFeedController {
  constructor(
    private readonly tenants: TenantsService,
    private readonly clients: ClientAuthenticator,
    private readonly repo: RevocationRepository,
    private readonly streams: FeedStreams,
  ) {}

  @Get()
  async feed(
    @Param('tenant') slug: string,
    @Query('after') afterParam: unknown,
    @Req() req: HttpRequest,
    @Res() reply: HttpResponse,
  ): Promise<void> {
    const tenant = await this.tenants.forIssuer(slug);
    const caller = await this.clients.authenticateCaller(tenant, req, new Form(new Map()));
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
    const who =
      caller.kind === 'resource-server'
        ? `rs:${caller.resourceServer.id}`
        : `app:${caller.application.clientId}`;
    this.streams.open(tenant.id, who, after, req, reply);
  }
}
