import { Controller, Get, Inject, Param, Post, Req, Res } from '@nestjs/common';
import { ApplicationsService } from '../applications';
import { APP_CONFIG, type AppConfig } from '../config';
import { queryOf, sendPage, type HttpRequest, type HttpResponse } from '../http';
import { ResourceServersService } from '../resource-servers';
import { SecretsService, digestsEqual, randomToken } from '../secrets';
import { SessionsService } from '../sessions';
import { TenantsService, type Tenant } from '../tenants';
import { clientContext } from '../tokens';
import {
  AuthorizationError,
  paramsOf,
  redirectTo,
  trustedRedirect,
  UntrustedRequest,
  validateRequest,
  type Params,
  type ValidRequest,
} from './authorization-request';
import { readCookie, setCookie, tenantCookies } from './cookies';
import { PushedRequests, type UsedPushedRequest } from './pushed-requests';
import { errorPage, signInPage } from './sign-in.page';
import { SignInService, type SignedInSession } from './sign-in.service';

const GENERIC_FAILURE = 'The email or password is incorrect.';
// the OAuth parameters carried through the sign-in form
const CARRIED = [
  'response_type',
  'client_id',
  'redirect_uri',
  'scope',
  'state',
  'nonce',
  'code_challenge',
  'code_challenge_method',
  'prompt',
  'resource',
];
// the form field that says the carried parameters are a pushed request's (RFC 9126)
const PUSHED_FIELD = 'pushed';
// the form fields naming that pushed request's row and its form's deadline (Unix seconds)
const PUSHED_REQUEST_FIELD = 'pushed_request';
const PUSHED_EXPIRES_FIELD = 'pushed_expires';

/** The pushed request a sign-in form stands for: its row and the form's deadline. */
type PushedForm = Pick<UsedPushedRequest, 'id' | 'expires'>;

/** RFC 9101 §6.2 invalid_request_uri: says nothing about where to redirect, so nothing is sent. */
function invalidRequestUri(res: HttpResponse): void {
  sendPage(
    res,
    400,
    errorPage(
      'This sign-in link is not valid',
      'The pushed authorization request is unknown, used, expired or not this application’s (invalid_request_uri). Nothing was sent to the application.',
    ),
  );
}

/** The authorization endpoint (RFC 6749 §3.1, OpenID Connect Core §3.1.2) with the hosted sign-in. */
@Controller('t/:tenant/authorize')
export class SignInController {
  constructor(
    private readonly tenants: TenantsService,
    private readonly applications: ApplicationsService,
    private readonly resourceServers: ResourceServersService,
    private readonly sessions: SessionsService,
    private readonly signIns: SignInService,
    private readonly secrets: SecretsService,
    private readonly pushedRequests: PushedRequests,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  private cookies(tenant: Tenant) {
    return tenantCookies(this.config.publicUrl, this.tenants.issuer(tenant), tenant.slug);
  }

  /**
   * Validates the request; renders the error page itself when the client cannot be trusted.
   * `pushed`: its parameters are a pushed request's (RFC 9126), which a client that requires
   * pushed requests (or every client, with TESSERA_REQUIRE_PAR) may send no other way.
   */
  private async validate(
    tenant: Tenant,
    p: Params,
    res: HttpResponse,
    pushed: boolean,
  ): Promise<ValidRequest | undefined> {
    let trusted;
    try {
      const clientId = p.get('client_id')?.[0];
      // a disabled application is no client: nothing is sent to it
      const app = clientId ? await this.applications.active(tenant.id, clientId) : null;
      trusted = trustedRedirect(p, app);
    } catch (err) {
      if (!(err instanceof UntrustedRequest)) throw err;
      sendPage(
        res,
        400,
        errorPage(
          'This sign-in link is not valid',
          `${err.message} Nothing was sent to the application.`,
        ),
      );
      return undefined;
    }
    try {
      if (!pushed && (this.config.requirePar || trusted.app.requirePushedAuthorizationRequests))
        throw new AuthorizationError(
          'invalid_request',
          'This application sends its authorization requests as pushed authorization requests (request_uri)',
        );
      return validateRequest(
        p,
        trusted,
        await this.resourceServers.granted(tenant.id, trusted.app.id, 'user'),
      );
    } catch (err) {
      if (!(err instanceof AuthorizationError)) throw err;
      res.redirect(
        redirectTo(trusted.redirectUri, {
          error: err.error,
          error_description: err.description,
          state: trusted.state,
          iss: this.tenants.issuer(tenant),
        }),
        302,
      );
      return undefined;
    }
  }

  /**
   * RFC 9126 §4: a request by reference. The pushed parameters are the request; of the query only
   * client_id counts, and it must name the client that pushed it. The request_uri is used here,
   * once: the sign-in form carries the parameters it stood for, not the request_uri. An unknown,
   * used, expired, or another client's or tenant's request_uri says nothing about where to
   * redirect (RFC 9101 §6.2: invalid_request_uri), so the page says it and nothing is sent.
   */
  private async pushedRequest(
    tenant: Tenant,
    query: Params,
    res: HttpResponse,
  ): Promise<UsedPushedRequest | undefined> {
    const clientId = query.get('client_id');
    const requestUri = query.get('request_uri');
    const app =
      clientId?.length === 1 && clientId[0] !== ''
        ? await this.applications.active(tenant.id, clientId[0])
        : null;
    const used =
      app && requestUri?.length === 1
        ? await this.pushedRequests.consume(tenant.id, app.id, requestUri[0])
        : undefined;
    if (!used) invalidRequestUri(res);
    return used;
  }

  /**
   * Binds the carried parameters of a pushed request to this browser's CSRF cookie, this tenant,
   * the pushed request's row and its form's deadline, so the form posted back stands for that one
   * pushed request, unchanged, without its request_uri: here only, until the deadline, and (the
   * row is completed with its code) for one code.
   */
  private pushedMark(csrfCookie: string, tenant: Tenant, form: PushedForm, p: Params): Buffer {
    const carried = CARRIED.map((k) => [
      k,
      k === 'resource'
        ? (p.get(k) ?? []).flatMap((v) => v.split(' '))
        : (p.get(k) ?? []).slice(0, 1),
    ]);
    return this.secrets.tokenHash(
      `pushed:${csrfCookie}:${tenant.id}:${form.id}:${form.expires}:${JSON.stringify(carried)}`,
    );
  }

  /** The pushed request a posted form stands for; undefined when its mark or deadline fails. */
  private pushedFormOf(
    tenant: Tenant,
    csrfCookie: string | undefined,
    p: Params,
    field: (k: string) => string,
  ): PushedForm | undefined {
    const form = { id: field(PUSHED_REQUEST_FIELD), expires: Number(field(PUSHED_EXPIRES_FIELD)) };
    if (!csrfCookie || !Number.isSafeInteger(form.expires) || form.expires * 1000 <= Date.now())
      return undefined;
    const mark = Buffer.from(field(PUSHED_FIELD), 'base64url');
    return digestsEqual(this.pushedMark(csrfCookie, tenant, form, p), mark) ? form : undefined;
  }

  private csrfFor(cookie: string): string {
    return this.secrets.tokenHash(`csrf:${cookie}`).toString('base64url');
  }

  private showForm(
    res: HttpResponse,
    req: HttpRequest,
    tenant: Tenant,
    p: Params,
    pushed: PushedForm | undefined,
    r: ValidRequest,
    status: number,
    o: { error?: string; email?: string } = {},
  ) {
    const cookies = this.cookies(tenant);
    let csrf = readCookie(req, cookies.csrf);
    if (!csrf) {
      csrf = randomToken();
      setCookie(res, cookies.csrf, csrf, cookies);
    }
    const hidden: Record<string, string> = { csrf: this.csrfFor(csrf) };
    for (const k of CARRIED) {
      const v = p.get(k);
      if (v?.length) hidden[k] = k === 'resource' ? v.join(' ') : v[0];
    }
    if (pushed) {
      hidden[PUSHED_REQUEST_FIELD] = pushed.id;
      hidden[PUSHED_EXPIRES_FIELD] = String(pushed.expires);
      hidden[PUSHED_FIELD] = this.pushedMark(csrf, tenant, pushed, p).toString('base64url');
    }
    sendPage(
      res,
      status,
      signInPage({
        action: `${this.tenants.issuer(tenant)}/authorize`,
        applicationName: r.app.name,
        tenant: { name: tenant.name, slug: tenant.slug },
        hidden,
        ...o,
      }),
    );
  }

  /**
   * Issues the code on a live session and sends the browser back to the client. A pushed request's
   * code is its one code: once issued (or past its form's deadline) the same form gets the
   * invalid_request_uri page, whatever password it brings.
   */
  private async complete(
    res: HttpResponse,
    tenant: Tenant,
    r: ValidRequest,
    session: SignedInSession,
    status: 302 | 303,
    pushed: PushedForm | undefined,
  ) {
    const code = await this.signIns.issueCode(tenant, r, session, pushed?.id);
    if (code === undefined) return invalidRequestUri(res);
    res.header('Cache-Control', 'no-store');
    res.redirect(
      redirectTo(r.redirectUri, { code, state: r.state, iss: this.tenants.issuer(tenant) }),
      status,
    );
  }

  @Get()
  async authorize(
    @Param('tenant') slug: string,
    @Req() req: HttpRequest,
    @Res() res: HttpResponse,
  ): Promise<void> {
    const tenant = await this.tenants.forIssuer(slug);
    const query = paramsOf(queryOf(req));
    const used = query.has('request_uri')
      ? await this.pushedRequest(tenant, query, res)
      : undefined;
    if (query.has('request_uri') && !used) return;
    const p = used?.params ?? query;
    const pushed = used && { id: used.id, expires: used.expires };
    const r = await this.validate(tenant, p, res, !!pushed);
    if (!r) return;
    const session =
      r.prompt === 'login'
        ? undefined
        : await this.sessions.fromCookie(tenant.id, readCookie(req, this.cookies(tenant).session));
    if (session) return this.complete(res, tenant, r, session, 302, pushed); // single sign-on: one session, another surface
    if (r.prompt === 'none') {
      res.redirect(
        redirectTo(r.redirectUri, {
          error: 'login_required',
          error_description: 'The user is not signed in',
          state: r.state,
          iss: this.tenants.issuer(tenant),
        }),
        302,
      );
      return;
    }
    this.showForm(res, req, tenant, p, pushed, r, 200);
  }

  @Post()
  async signIn(
    @Param('tenant') slug: string,
    @Req() req: HttpRequest,
    @Res() res: HttpResponse,
  ): Promise<void> {
    const tenant = await this.tenants.forIssuer(slug);
    const body = typeof req.body === 'string' ? req.body : '';
    const all = paramsOf(body);
    const field = (k: string) => all.get(k)?.[0] ?? '';
    const p: Params = new Map([...all].filter(([k]) => CARRIED.includes(k)));
    if (p.has('resource'))
      p.set(
        'resource',
        p.get('resource')!.flatMap((v) => v.split(' ')),
      );
    const csrfCookie = readCookie(req, this.cookies(tenant).csrf);
    // a form that says it is a pushed request's and is not (changed, another tenant's, past its
    // deadline) is refused as its request_uri would be now
    const pushed = all.has(PUSHED_FIELD)
      ? this.pushedFormOf(tenant, csrfCookie, p, field)
      : undefined;
    if (all.has(PUSHED_FIELD) && !pushed) return invalidRequestUri(res);
    const r = await this.validate(tenant, p, res, !!pushed);
    if (!r) return;

    if (
      !csrfCookie ||
      !this.secrets.tokenHashMatches(`csrf:${csrfCookie}`, Buffer.from(field('csrf'), 'base64url'))
    ) {
      sendPage(
        res,
        403,
        errorPage(
          'Sign-in expired',
          'This form is no longer valid. Go back to the application and start again.',
        ),
      );
      return;
    }
    const email = field('email').trim().toLowerCase().slice(0, 320);
    const password = field('password').slice(0, 1024);
    const outcome = await this.signIns.signIn(tenant, r, { email, password }, clientContext(req));
    switch (outcome.kind) {
      case 'locked':
        res.header('Retry-After', String(outcome.waitSeconds));
        return this.showForm(res, req, tenant, p, pushed, r, 429, {
          email,
          error: `Too many attempts. Try again in ${Math.ceil(outcome.waitSeconds / 60)} minute(s).`,
        });
      case 'busy':
        res.header('Retry-After', String(outcome.waitSeconds));
        return this.showForm(res, req, tenant, p, pushed, r, 429, {
          email,
          error: 'Too many sign-ins right now. Try again in a few seconds.',
        });
      case 'refused':
        return this.showForm(res, req, tenant, p, pushed, r, 401, {
          email,
          error: GENERIC_FAILURE,
        });
      case 'signed-in': {
        const cookies = this.cookies(tenant);
        setCookie(res, cookies.session, outcome.cookie, {
          ...cookies,
          maxAgeSeconds: outcome.policy.sessionAbsoluteTtl,
        });
        // the password was right: the browser is signed in even if the pushed request is spent
        return this.complete(res, tenant, r, outcome.session, 303, pushed);
      }
    }
  }
}
