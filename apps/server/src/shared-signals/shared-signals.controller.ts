import {
  Body,
  Controller,
  Inject,
  Delete,
  Get,
  HttpCode,
  Param,
  Patch,
  Post,
  Put,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import { ApplicationsService } from '../applications';
import { APP_CONFIG, type AppConfig } from '../config';
import { InvalidRequest, InvalidToken, NotFound } from '../errors';
import type { HttpRequest, HttpResponse } from '../http';
import { requireScope, TokenInspector } from '../introspection';
import { KeysService } from '../keys';
import { RateLimit } from '../rate-limit';
import { SSF_EVENTS_SUPPORTED, type SsfScope } from '../revocation';
import { TenantsService } from '../tenants';
import { setClaims, SET_TYP } from './sets';
import { presentedToken } from './ssf-subjects';
import { POLL, PUSH, type SsfStream } from './ssf-stream.entity';
import { StreamsService, type StreamConfiguration, type StreamOwner } from './streams.service';

/** RFC 8936 §2.4: a poll answers at most this many SETs, and waits at most this long for one. */
const MAX_EVENTS = 100;
const LONG_POLL_MS = 10_000;
const LONG_POLL_STEP_MS = 500;

/**
 * An OpenID Shared Signals Framework 1.0 transmitter per tenant: its configuration metadata (§7),
 * stream management (§8.1), and RFC 8936 poll delivery. Every call but the metadata takes a Bearer
 * token an application obtained for itself (client_credentials) for `urn:tessera:ssf`; a stream
 * belongs to the application that created it, and any other's (another application's, another
 * tenant's) is not found. Every authenticated call counts against the tenant's introspection rate
 * limit, per application (SsfSubjects).
 */
@Controller()
export class SharedSignalsController {
  /** Streams with a long poll waiting on this instance: one at a time each. */
  private readonly waiting = new Set<string>();

  constructor(
    private readonly tenants: TenantsService,
    private readonly inspector: TokenInspector,
    private readonly applications: ApplicationsService,
    private readonly keys: KeysService,
    private readonly streams: StreamsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** RFC 6750 §2.1: the header only; a missing token is a bare challenge. */
  private async caller(slug: string, req: HttpRequest, scope: SsfScope): Promise<StreamOwner> {
    const tenant = await this.tenants.forIssuer(slug);
    const at = await presentedToken(this.inspector, tenant, req);
    // an application's own token (RFC 9068 §2.2: its sub is its client id)
    if (at.claims.sid || at.claims.sub !== at.claims.client_id) throw new InvalidToken();
    requireScope(at, scope);
    const app = await this.applications.active(tenant.id, at.claims.client_id);
    if (!app) throw new InvalidToken();
    return {
      tenantId: tenant.id,
      applicationId: app.id,
      clientId: app.clientId,
      issuer: this.tenants.issuer(tenant),
    };
  }

  /**
   * §7.2.1: for an issuer with a path, `/.well-known/ssf-configuration` goes between the host and
   * the path: `PUBLIC_URL/.well-known/ssf-configuration/t/{slug}`.
   */
  @Get('.well-known/ssf-configuration/t/:tenant')
  async configuration(@Param('tenant') slug: string) {
    const issuer = this.tenants.issuer(await this.tenants.forIssuer(slug));
    return {
      spec_version: '1_0',
      issuer,
      jwks_uri: `${issuer}/jwks.json`,
      delivery_methods_supported: [PUSH, POLL],
      configuration_endpoint: `${issuer}/ssf/streams`,
      status_endpoint: `${issuer}/ssf/status`,
      add_subject_endpoint: `${issuer}/ssf/subjects/add`,
      remove_subject_endpoint: `${issuer}/ssf/subjects/remove`,
      verification_endpoint: `${issuer}/ssf/verify`,
      authorization_schemes: [{ spec_urn: 'urn:ietf:rfc:6749' }],
      // a new stream receives events about every subject until subjects are added to it
      default_subjects: 'ALL',
      events_supported: SSF_EVENTS_SUPPORTED,
    };
  }

  @Post('t/:tenant/ssf/streams')
  @RateLimit('introspection')
  @HttpCode(201)
  async create(
    @Param('tenant') slug: string,
    @Body() body: unknown,
    @Req() req: HttpRequest,
    @Res({ passthrough: true }) res: HttpResponse,
  ): Promise<StreamConfiguration> {
    res.header('Cache-Control', 'no-store');
    const owner = await this.caller(slug, req, 'ssf:streams:write');
    return this.streams.view(owner, await this.streams.create(owner, body));
  }

  /** §8.1.1.2: one stream with `stream_id`, else every stream of the application. */
  @Get('t/:tenant/ssf/streams')
  @RateLimit('introspection')
  async read(
    @Param('tenant') slug: string,
    @Query('stream_id') id: string | undefined,
    @Req() req: HttpRequest,
    @Res({ passthrough: true }) res: HttpResponse,
  ): Promise<StreamConfiguration | StreamConfiguration[]> {
    res.header('Cache-Control', 'no-store');
    const owner = await this.caller(slug, req, 'ssf:streams:read');
    if (id !== undefined) return this.streams.view(owner, await this.streams.require(owner, id));
    return (await this.streams.list(owner)).map((s) => this.streams.view(owner, s));
  }

  @Patch('t/:tenant/ssf/streams')
  @RateLimit('introspection')
  async update(
    @Param('tenant') slug: string,
    @Body() body: unknown,
    @Req() req: HttpRequest,
    @Res({ passthrough: true }) res: HttpResponse,
  ): Promise<StreamConfiguration> {
    res.header('Cache-Control', 'no-store');
    const owner = await this.caller(slug, req, 'ssf:streams:write');
    return this.streams.view(owner, await this.streams.update(owner, body, false));
  }

  @Put('t/:tenant/ssf/streams')
  @RateLimit('introspection')
  async replace(
    @Param('tenant') slug: string,
    @Body() body: unknown,
    @Req() req: HttpRequest,
    @Res({ passthrough: true }) res: HttpResponse,
  ): Promise<StreamConfiguration> {
    res.header('Cache-Control', 'no-store');
    const owner = await this.caller(slug, req, 'ssf:streams:write');
    return this.streams.view(owner, await this.streams.update(owner, body, true));
  }

  @Delete('t/:tenant/ssf/streams')
  @RateLimit('introspection')
  @HttpCode(204)
  async remove(
    @Param('tenant') slug: string,
    @Query('stream_id') id: string | undefined,
    @Req() req: HttpRequest,
  ): Promise<void> {
    const owner = await this.caller(slug, req, 'ssf:streams:write');
    await this.streams.remove(owner, id);
  }

  private statusView(s: SsfStream) {
    return {
      stream_id: s.id,
      status: s.status,
      ...(s.statusReason !== null ? { reason: s.statusReason } : {}),
    };
  }

  /** §8.1.2.1 */
  @Get('t/:tenant/ssf/status')
  @RateLimit('introspection')
  async status(
    @Param('tenant') slug: string,
    @Query('stream_id') id: string | undefined,
    @Req() req: HttpRequest,
    @Res({ passthrough: true }) res: HttpResponse,
  ) {
    res.header('Cache-Control', 'no-store');
    const owner = await this.caller(slug, req, 'ssf:streams:read');
    return this.statusView(await this.streams.require(owner, id));
  }

  /** §8.1.2.2 */
  @Post('t/:tenant/ssf/status')
  @RateLimit('introspection')
  @HttpCode(200)
  async setStatus(
    @Param('tenant') slug: string,
    @Body() body: unknown,
    @Req() req: HttpRequest,
    @Res({ passthrough: true }) res: HttpResponse,
  ) {
    res.header('Cache-Control', 'no-store');
    const owner = await this.caller(slug, req, 'ssf:streams:write');
    return this.statusView(await this.streams.setStatus(owner, body));
  }

  /** §8.1.3.2: 200 with an empty body. */
  @Post('t/:tenant/ssf/subjects/add')
  @RateLimit('introspection')
  @HttpCode(200)
  async addSubject(
    @Param('tenant') slug: string,
    @Body() body: unknown,
    @Req() req: HttpRequest,
  ): Promise<void> {
    const owner = await this.caller(slug, req, 'ssf:streams:write');
    await this.streams.subject(owner, body, true);
  }

  /** §8.1.3.3: 204; a subject the stream does not have is 404. */
  @Post('t/:tenant/ssf/subjects/remove')
  @RateLimit('introspection')
  @HttpCode(204)
  async removeSubject(
    @Param('tenant') slug: string,
    @Body() body: unknown,
    @Req() req: HttpRequest,
  ): Promise<void> {
    const owner = await this.caller(slug, req, 'ssf:streams:write');
    if (!(await this.streams.subject(owner, body, false)).found) throw new NotFound('Subject');
  }

  /** §8.1.4.2: 204; the verification event follows through the stream's delivery method. */
  @Post('t/:tenant/ssf/verify')
  @RateLimit('introspection')
  @HttpCode(204)
  async verify(
    @Param('tenant') slug: string,
    @Body() body: unknown,
    @Req() req: HttpRequest,
  ): Promise<void> {
    const owner = await this.caller(slug, req, 'ssf:streams:write');
    await this.streams.verify(owner, body);
  }

  /**
   * RFC 8936 §2: acknowledges `ack`, records `setErrs`, and answers the oldest SETs not yet
   * acknowledged (each stays in every answer until it is). Without `returnImmediately: true` an
   * empty answer waits up to 10 s for an event (at most half the request deadline).
   */
  @Post('t/:tenant/ssf/streams/:id/poll')
  @RateLimit('introspection')
  @HttpCode(200)
  async poll(
    @Param('tenant') slug: string,
    @Param('id') id: string,
    @Body() body: unknown,
    @Req() req: HttpRequest,
    @Res({ passthrough: true }) res: HttpResponse,
  ): Promise<{ sets: Record<string, string>; moreAvailable: boolean }> {
    res.header('Cache-Control', 'no-store');
    const owner = await this.caller(slug, req, 'ssf:streams:read');
    const s = await this.streams.require(owner, id);
    if (s.deliveryMethod !== POLL)
      throw new InvalidRequest({ description: 'The stream is not a poll stream' });
    const input = pollRequest(body);
    // the wait ends well before the request deadline (TESSERA_REQUEST_DEADLINE_MS) would answer 503
    const wait = Math.min(LONG_POLL_MS, this.config.requestDeadlineMs / 2);
    const deadline = Date.now() + (input.returnImmediately ? 0 : wait);
    let page = await this.streams.poll(s, input);
    // one long poll per stream waits on this instance: another answers at once, as if it asked
    // returnImmediately (a receiver needs one; each costs a request and a query every step)
    if (!page.sets.length && input.max > 0 && Date.now() < deadline && !this.waiting.has(s.id)) {
      this.waiting.add(s.id);
      try {
        while (!page.sets.length && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, LONG_POLL_STEP_MS));
          page = await this.streams.poll(s, { ...input, ack: [], errs: [] });
        }
      } finally {
        this.waiting.delete(s.id);
      }
    }
    const sets: Record<string, string> = {};
    for (const e of page.sets)
      sets[e.jti] = await this.keys.sign(
        owner.tenantId,
        { typ: SET_TYP },
        setClaims(owner.issuer, s.audience, e),
      );
    return { sets, moreAvailable: page.more };
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** RFC 8936 §2.2: `maxEvents`, `returnImmediately`, `ack`, `setErrs`. Unknown jtis are ignored. */
function pollRequest(body: unknown): {
  max: number;
  returnImmediately: boolean;
  ack: string[];
  errs: Array<{ jti: string; error: string }>;
} {
  const b = (body && typeof body === 'object' && !Array.isArray(body) ? body : {}) as Record<
    string,
    unknown
  >;
  const bad = (what: string) => new InvalidRequest({ description: what });
  const max = b.maxEvents ?? MAX_EVENTS;
  if (typeof max !== 'number' || !Number.isInteger(max) || max < 0)
    throw bad('maxEvents must be a non-negative integer');
  if (b.returnImmediately !== undefined && typeof b.returnImmediately !== 'boolean')
    throw bad('returnImmediately must be a boolean');
  const ack = b.ack ?? [];
  if (!Array.isArray(ack) || ack.length > 1000 || !ack.every((j) => typeof j === 'string'))
    throw bad('ack must be an array of jti values');
  const setErrs = b.setErrs ?? {};
  if (typeof setErrs !== 'object' || Array.isArray(setErrs) || setErrs === null)
    throw bad('setErrs must be an object');
  const errs = Object.entries(setErrs as Record<string, unknown>)
    .slice(0, 1000)
    .filter(([jti]) => UUID.test(jti))
    .map(([jti, e]) => ({
      jti,
      error: String((e as { err?: unknown } | null)?.err ?? 'unknown').slice(0, 100),
    }));
  return {
    max: Math.min(max, MAX_EVENTS),
    returnImmediately: b.returnImmediately === true,
    ack: (ack as string[]).filter((j) => UUID.test(j)),
    errs,
  };
}
