import { Controller, Get, Inject, Param, Post, Req, Res } from '@nestjs/common';
import { ApplicationsService } from '../applications';
import { Clock } from '../clock';
import { APP_CONFIG, type AppConfig } from '../config';
import { queryOf, sendPage, type HttpRequest, type HttpResponse } from '../http';
import { KeysService } from '../keys';
import { randomToken, SecretsService } from '../secrets';
import { SessionsService } from '../sessions';
import { clearCookie, errorPage, page, readCookie, setCookie, tenantCookies } from '../sign-in';
import { TenantsService, type Tenant } from '../tenants';

const one = (p: URLSearchParams, k: string) => {
  const v = p.get(k);
  return v === null || v === '' ? undefined : v;
};

/**
 * OpenID Connect RP-Initiated Logout 1.0. With a valid id_token_hint the session ends at once and
 * the browser may go back to an exactly registered post_logout_redirect_uri; without one the user
 * confirms first (forced-logout protection) and is never redirected.
 */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

@Controller('t/:tenant/logout')
export class EndSessionController {
  constructor(
    private readonly tenants: TenantsService,
    private readonly applications: ApplicationsService,
    private readonly keys: KeysService,
    private readonly sessions: SessionsService,
    private readonly secrets: SecretsService,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  private cookies(tenant: Tenant) {
    return tenantCookies(this.config.publicUrl, this.tenants.issuer(tenant), tenant.slug);
  }

  private async end(res: HttpResponse, tenant: Tenant, sessionIds: string[]): Promise<void> {
    await this.sessions.endByLogout(tenant.id, sessionIds);
    const cookies = this.cookies(tenant);
    clearCookie(res, cookies.session, cookies);
  }

  private async handle(
    slug: string,
    req: HttpRequest,
    res: HttpResponse,
    params: URLSearchParams,
    isConfirmation: boolean,
  ): Promise<void> {
    const tenant = await this.tenants.forIssuer(slug);
    const cookies = this.cookies(tenant);
    const hintToken = one(params, 'id_token_hint');
    // only the compact serialization itself: jose reads a signature with whitespace around it as
    // the same one, so `hint ` would be honoured as another spelling of the hint (RFC 7515 §7.1)
    const hint =
      hintToken && COMPACT_JWS.test(hintToken)
        ? await this.keys.verifyOwn(tenant.id, this.tenants.issuer(tenant), hintToken, {
            typ: 'JWT',
            allowExpired: true,
            nowSeconds: this.clock.epochSeconds(),
          })
        : undefined;
    const hintAud = hint ? (Array.isArray(hint.aud) ? hint.aud[0] : hint.aud) : undefined;
    const clientId = one(params, 'client_id');
    if (hint && clientId && clientId !== hintAud) {
      sendPage(
        res,
        400,
        errorPage(
          'This sign-out link is not valid',
          'The client_id does not match the ID token hint. You are still signed in.',
        ),
      );
      return;
    }
    const cookieSession = await this.sessions.fromCookie(
      tenant.id,
      readCookie(req, cookies.session),
    );
    const hintSid = typeof hint?.sid === 'string' ? hint.sid : undefined;
    const state = one(params, 'state');
    const redirectUri = one(params, 'post_logout_redirect_uri');

    // a valid hint naming this browser's session (or no session here): the RP asks, we act
    if (hint && (!cookieSession || !hintSid || cookieSession.id === hintSid)) {
      await this.end(
        res,
        tenant,
        [cookieSession?.id, hintSid].filter((x): x is string => !!x),
      );
      const app = hintAud ? await this.applications.active(tenant.id, hintAud) : null;
      // §3: only an exactly registered URI, and only with a hint that proves who asks
      if (redirectUri && app?.postLogoutRedirectUris.includes(redirectUri)) {
        const url = new URL(redirectUri);
        if (state !== undefined) url.searchParams.set('state', state);
        res.header('Cache-Control', 'no-store');
        res.redirect(url.toString(), 303);
        return;
      }
      sendPage(
        res,
        200,
        page('Signed out', '<h1>You are signed out</h1><p>You can close this window.</p>'),
      );
      return;
    }

    if (!cookieSession) {
      clearCookie(res, cookies.session, cookies);
      sendPage(
        res,
        200,
        page('Signed out', '<h1>You are signed out</h1><p>You can close this window.</p>'),
      );
      return;
    }

    const csrfCookie = readCookie(req, cookies.csrf);
    if (isConfirmation) {
      const given = params.get('csrf') ?? '';
      if (
        !csrfCookie ||
        !this.secrets.tokenHashMatches(`logout:${csrfCookie}`, Buffer.from(given, 'base64url'))
      ) {
        sendPage(
          res,
          403,
          errorPage('Sign-out expired', 'This form is no longer valid. You are still signed in.'),
        );
        return;
      }
      await this.end(res, tenant, [cookieSession.id]);
      sendPage(
        res,
        200,
        page('Signed out', '<h1>You are signed out</h1><p>You can close this window.</p>'),
      );
      return;
    }
    // §2 / ASVS 10.6.2: no proof of who asks, so the user confirms
    let csrf = csrfCookie;
    if (!csrf) {
      csrf = randomToken();
      setCookie(res, cookies.csrf, csrf, cookies);
    }
    const token = this.secrets.tokenHash(`logout:${csrf}`).toString('base64url');
    sendPage(
      res,
      200,
      page(
        'Sign out?',
        `<h1>Sign out?</h1><p>You will be signed out of every application that uses this sign-in.</p>
<form method="post" action="${this.tenants.issuer(tenant)}/logout"><input type="hidden" name="csrf" value="${token}"><input type="hidden" name="confirm" value="yes"><button type="submit">Sign out</button></form>`,
      ),
    );
  }

  @Get()
  async get(
    @Param('tenant') slug: string,
    @Req() req: HttpRequest,
    @Res() res: HttpResponse,
  ): Promise<void> {
    await this.handle(slug, req, res, new URLSearchParams(queryOf(req)), false);
  }

  @Post()
  async post(
    @Param('tenant') slug: string,
    @Req() req: HttpRequest,
    @Res() res: HttpResponse,
  ): Promise<void> {
    const params = new URLSearchParams(typeof req.body === 'string' ? req.body : '');
    await this.handle(slug, req, res, params, params.get('confirm') === 'yes');
  }
}
