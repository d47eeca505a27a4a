import { Controller, Get, Inject, Param, Post, Req, Res } from '@nestjs/common';
import { ApplicationsService } from '../applications';
import { APP_CONFIG, type AppConfig } from '../config';
import { queryOf, sendPage, type HttpRequest, type HttpResponse } from '../http';
import { ResourceServersService } from '../resource-servers';
import { SecretsService, randomToken } from '../secrets';
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
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  private cookies(tenant: Tenant) {
    return tenantCookies(this.config.publicUrl, this.tenants.issuer(tenant), tenant.slug);
  }

  /** Validates the request; renders the error page itself when the client cannot be trusted. */
  private async validate(
    tenant: Tenant,
    p: Params,
    res: HttpResponse,
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

  private csrfFor(cookie: string): string {
    return this.secrets.tokenHash(`csrf:${cookie}`).toString('base64url');
  }

  private showForm(
    res: HttpResponse,
    req: HttpRequest,
    tenant: Tenant,
    p: Params,
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

  /** Issues the code on a live session and sends the browser back to the client. */
  private async complete(
    res: HttpResponse,
    tenant: Tenant,
    r: ValidRequest,
    session: SignedInSession,
    status: 302 | 303,
  ) {
    const code = await this.signIns.issueCode(tenant, r, session);
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
    const p = paramsOf(queryOf(req));
    const r = await this.validate(tenant, p, res);
    if (!r) return;
    const session =
      r.prompt === 'login'
        ? undefined
        : await this.sessions.fromCookie(tenant.id, readCookie(req, this.cookies(tenant).session));
    if (session) return this.complete(res, tenant, r, session, 302); // single sign-on: one session, another surface
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
    this.showForm(res, req, tenant, p, r, 200);
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
    const r = await this.validate(tenant, p, res);
    if (!r) return;

    const csrfCookie = readCookie(req, this.cookies(tenant).csrf);
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
        return this.showForm(res, req, tenant, p, r, 429, {
          email,
          error: `Too many attempts. Try again in ${Math.ceil(outcome.waitSeconds / 60)} minute(s).`,
        });
      case 'busy':
        res.header('Retry-After', String(outcome.waitSeconds));
        return this.showForm(res, req, tenant, p, r, 429, {
          email,
          error: 'Too many sign-ins right now. Try again in a few seconds.',
        });
      case 'refused':
        return this.showForm(res, req, tenant, p, r, 401, { email, error: GENERIC_FAILURE });
      case 'signed-in': {
        const cookies = this.cookies(tenant);
        setCookie(res, cookies.session, outcome.cookie, {
          ...cookies,
          maxAgeSeconds: outcome.policy.sessionAbsoluteTtl,
        });
        return this.complete(res, tenant, r, outcome.session, 303);
      }
    }
  }
}
