import * as oauth from 'oauth4webapi';
import * as oidc from 'openid-client';
import { RetentionService } from '../../src/retention';
import { formOf } from '../support/browser';
import {
  basic,
  Browser,
  CONSOLE_SCOPES,
  form,
  pkce,
  send,
  unique,
  useTestServer,
  type Reply,
  type TestServer,
} from '../support/harness';

/**
 * RFC 9126 pushed authorization requests, driven by a certified client (openid-client, unmodified):
 * the client pushes its request to /par, sends the browser to /authorize with the request_uri only,
 * and redeems the code. Every refusal is checked where it matters: no code was issued.
 */
const CB = 'https://app.example.test/cb';
const REQUEST_URI = /^urn:ietf:params:oauth:request_uri:[A-Za-z0-9_-]{43}$/;

interface Client {
  clientId: string;
  secret?: string;
}

/** Codes issued to a client so far: the invariant every refusal below keeps. */
async function codesOf(t: TestServer, slug: string, clientId: string): Promise<number> {
  const [{ n }] = await t.sql<{ n: number }>(
    `SELECT count(*)::int AS n FROM authorization_codes c
     JOIN applications a ON a.id = c.application_id
     JOIN tenants t ON t.id = a.tenant_id
     WHERE t.slug = $1 AND a.client_id = $2`,
    [slug, clientId],
  );
  return n;
}

/** The pushed requests a client has, used or not. */
function pushedOf(t: TestServer, slug: string, clientId: string) {
  return t.sql<{ used: boolean; expired: boolean; params: Array<[string, string[]]> }>(
    `SELECT p.used_at IS NOT NULL AS used, p.expires_at <= now() AS expired, p.params
     FROM pushed_authorization_requests p
     JOIN applications a ON a.id = p.application_id
     JOIN tenants t ON t.id = p.tenant_id
     WHERE t.slug = $1 AND a.client_id = $2 ORDER BY p.created_at`,
    [slug, clientId],
  );
}

function configOf(t: TestServer, slug: string, c: Client): Promise<oidc.Configuration> {
  return oidc.discovery(
    new URL(t.issuer(slug)),
    c.clientId,
    c.secret,
    c.secret ? undefined : oidc.None(),
    { execute: [oidc.allowInsecureRequests] },
  );
}

/** A request pushed by openid-client: the URL it sends the browser to, and what it must check. */
async function pushed(config: oidc.Configuration, extra: Record<string, string> = {}) {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = await oidc.buildAuthorizationUrlWithPAR(config, {
    redirect_uri: CB,
    scope: 'openid email',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...extra,
  });
  return { url, verifier, state, nonce };
}

/** An error page, not a redirect: nothing was sent to any redirect URI. */
function expectRefusedPage(res: Reply) {
  expect(res.status).toBe(400);
  expect(res.headers.get('location')).toBeNull();
  expect(res.text).toContain('invalid_request_uri');
}

describe('pushed authorization requests (RFC 9126)', () => {
  const t = useTestServer();
  let slug: string;
  let user: { id: string; email: string; password: string };
  /** Requires pushed requests. */
  let web: Client;
  /** Does not. */
  let other: Client;
  /** A public client: identifies itself by client_id at /par. */
  let spa: Client;

  beforeAll(async () => {
    ({ slug } = await t.given.tenant());
    user = await t.given.user(slug);
    const userFlow = { grantTypes: ['authorization_code', 'refresh_token'], redirectUris: [CB] };
    web = await t.given.app(slug, { ...userFlow, requirePushedAuthorizationRequests: true });
    other = await t.given.app(slug, userFlow);
    spa = await t.given.app(slug, { ...userFlow, type: 'public' });
  });

  /** The browser's part: the sign-in form (a wrong password first, when asked), then the redirect. */
  async function signIn(url: URL, o: { wrongPasswordFirst?: boolean } = {}) {
    const b = new Browser();
    const page = await b.get(url.href);
    expect(page.status).toBe(200);
    let { action, fields } = formOf(page.text);
    if (o.wrongPasswordFirst) {
      fields.set('email', user.email);
      fields.set('password', 'not the password at all');
      const again = await b.post(action, fields);
      expect(again.status).toBe(401);
      ({ action, fields } = formOf(again.text));
    }
    fields.set('email', user.email);
    fields.set('password', user.password);
    const back = await b.post(action, fields);
    expect(back.status).toBe(303);
    return new URL(back.headers.get('location')!);
  }

  it('advertises the endpoint, and no server-wide requirement by default', async () => {
    const config = await configOf(t, slug, web);
    expect(config.serverMetadata().pushed_authorization_request_endpoint).toBe(
      `${t.issuer(slug)}/par`,
    );
    expect(config.serverMetadata().require_pushed_authorization_requests).toBe(false);
  });

  it('answers 201 with a one-minute request_uri, no-store, and keeps only its hash', async () => {
    const res = await send(`${t.issuer(slug)}/par`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: basic(web.clientId, web.secret!),
      },
      body: form({
        response_type: 'code',
        redirect_uri: CB,
        scope: 'openid',
        code_challenge: pkce().challenge,
        code_challenge_method: 'S256',
      }),
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.body).toEqual({ request_uri: expect.stringMatching(REQUEST_URI), expires_in: 60 });
    const random = (res.body.request_uri as string).split(':').pop()!;
    const rows = await t.sql<{ r: string }>(
      `SELECT row_to_json(p)::text AS r FROM pushed_authorization_requests p`,
    );
    expect(rows.length).toBeGreaterThan(0);
    for (const { r } of rows) {
      expect(r).not.toContain(random);
      expect(r).not.toContain(Buffer.from(random, 'base64url').toString('hex'));
    }
  });

  it('signs in with openid-client through PAR, the form round trip included, and redeems the code', async () => {
    const config = await configOf(t, slug, web);
    const p = await pushed(config);
    // the browser carries the client_id and the request_uri, nothing of the request itself
    expect([...p.url.searchParams.keys()].sort()).toEqual(['client_id', 'request_uri']);
    expect(p.url.searchParams.get('request_uri')).toMatch(REQUEST_URI);
    const back = await signIn(p.url, { wrongPasswordFirst: true });
    const tokens = await oidc.authorizationCodeGrant(config, back, {
      pkceCodeVerifier: p.verifier,
      expectedState: p.state,
      expectedNonce: p.nonce,
      idTokenExpected: true,
    });
    expect(tokens.claims()?.sub).toBe(user.id);
    expect(tokens.claims()?.email).toBe(user.email);
    const rows = await pushedOf(t, slug, web.clientId);
    expect(rows.at(-1)!.used).toBe(true);
    // the request_uri went through /authorize's query: the log has no trace of it
    const random = p.url.searchParams.get('request_uri')!.split(':').pop()!;
    expect(t.logs.text()).toContain('/authorize');
    expect(t.logs.text()).not.toContain(random);
  });

  it('ignores the parameters sent beside the request_uri, except client_id', async () => {
    const config = await configOf(t, slug, other);
    const p = await pushed(config);
    const { challenge } = pkce();
    const url = new URL(p.url);
    url.searchParams.set('redirect_uri', 'https://evil.example.test/cb');
    url.searchParams.set('state', 'forged');
    url.searchParams.set('code_challenge', challenge);
    url.searchParams.set('code_challenge_method', 'S256');
    const back = await signIn(url);
    expect(back.origin + back.pathname).toBe(CB);
    expect(back.searchParams.get('state')).toBe(p.state);
    // the pushed code_challenge is the one the code is bound to
    const tokens = await oidc.authorizationCodeGrant(config, back, {
      pkceCodeVerifier: p.verifier,
      expectedState: p.state,
      expectedNonce: p.nonce,
    });
    expect(tokens.access_token).toEqual(expect.any(String));
  });

  it('refuses a used request_uri: one use, then the error page, and no second code', async () => {
    const config = await configOf(t, slug, other);
    const p = await pushed(config);
    const first = await new Browser().get(p.url.href);
    expect(first.status).toBe(200); // the sign-in form: the request_uri is spent here
    const before = await codesOf(t, slug, other.clientId);
    // a second browser (or the same one reloading) gets nothing from it
    const second = await new Browser().get(p.url.href);
    expectRefusedPage(second);
    expect(await codesOf(t, slug, other.clientId)).toBe(before);
    // and a use after a completed sign-in neither
    const q = await pushed(config);
    await signIn(q.url);
    const afterSignIn = await codesOf(t, slug, other.clientId);
    expectRefusedPage(await new Browser().get(q.url.href));
    expect(await codesOf(t, slug, other.clientId)).toBe(afterSignIn);
  });

  it('lets exactly one of two simultaneous uses of a request_uri through', async () => {
    const p = await pushed(await configOf(t, slug, other));
    const answers = await Promise.all([
      new Browser().get(p.url.href),
      new Browser().get(p.url.href),
    ]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 400]);
    expectRefusedPage(answers.find((a) => a.status === 400)!);
  });

  it('refuses an expired request_uri, leaves it unused, and the retention job deletes it', async () => {
    const config = await configOf(t, slug, other);
    const p = await pushed(config);
    // its lifetime over (the database's clock decides expiry, as for codes)
    await t.sql(
      `UPDATE pushed_authorization_requests SET expires_at = now() - interval '1 second'
       WHERE used_at IS NULL AND application_id = (SELECT a.id FROM applications a
         JOIN tenants t ON t.id = a.tenant_id WHERE t.slug = $1 AND a.client_id = $2)`,
      [slug, other.clientId],
    );
    const before = await codesOf(t, slug, other.clientId);
    expectRefusedPage(await new Browser().get(p.url.href));
    expect(await codesOf(t, slug, other.clientId)).toBe(before);
    const rows = await pushedOf(t, slug, other.clientId);
    expect(rows.filter((r) => r.expired && !r.used).length).toBeGreaterThan(0);

    const counts = await t.server.app.get(RetentionService).runOnce();
    expect(counts.pushed_authorization_requests).toBeGreaterThan(0);
    expect((await pushedOf(t, slug, other.clientId)).filter((r) => r.expired)).toEqual([]);
  });

  it("refuses another client's request_uri, which stays usable by its own client", async () => {
    const p = await pushed(await configOf(t, slug, web));
    const before = await codesOf(t, slug, other.clientId);
    const url = new URL(p.url);
    url.searchParams.set('client_id', other.clientId);
    expectRefusedPage(await new Browser().get(url.href));
    expect(await codesOf(t, slug, other.clientId)).toBe(before);
    // without client_id at all, neither
    url.searchParams.delete('client_id');
    expectRefusedPage(await new Browser().get(url.href));
    expect((await pushedOf(t, slug, web.clientId)).at(-1)!.used).toBe(false);
    const back = await signIn(p.url);
    expect(back.searchParams.get('code')).toEqual(expect.any(String));
  });

  it("refuses another tenant's request_uri, even under the same client_id", async () => {
    const p = await pushed(await configOf(t, slug, other));
    const second = await t.given.tenant();
    await t.given.app(second.slug, {
      clientId: other.clientId,
      grantTypes: ['authorization_code'],
      redirectUris: [CB],
    });
    const url = new URL(`${t.issuer(second.slug)}/authorize`);
    url.search = p.url.search;
    expectRefusedPage(await new Browser().get(url.href));
    expect(await codesOf(t, second.slug, other.clientId)).toBe(0);
    expect((await pushedOf(t, slug, other.clientId)).at(-1)!.used).toBe(false);
  });

  it('refuses a request_uri inside the pushed request (RFC 9126 §2.1), storing nothing', async () => {
    const config = await configOf(t, slug, other);
    const rows = (await pushedOf(t, slug, other.clientId)).length;
    const err = await pushed(config, {
      request_uri: 'urn:ietf:params:oauth:request_uri:someone-elses',
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(oidc.ResponseBodyError);
    expect(err).toMatchObject({ error: 'invalid_request', status: 400 });
    expect((await pushedOf(t, slug, other.clientId)).length).toBe(rows);
  });

  it('refuses a wrong client secret with 401 invalid_client, storing nothing', async () => {
    const rows = (await pushedOf(t, slug, web.clientId)).length;
    const config = await configOf(t, slug, { clientId: web.clientId, secret: 'not-the-secret' });
    const err = await pushed(config).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(oidc.ResponseBodyError);
    expect(err).toMatchObject({ error: 'invalid_client', status: 401 });
    expect((await pushedOf(t, slug, web.clientId)).length).toBe(rows);
  });

  it('refuses a client_id in the body that is not the authenticated client', async () => {
    const res = await send(`${t.issuer(slug)}/par`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: basic(web.clientId, web.secret!),
      },
      body: form({
        client_id: other.clientId,
        response_type: 'code',
        redirect_uri: CB,
        code_challenge: pkce().challenge,
        code_challenge_method: 'S256',
      }),
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_request');
  });

  it('checks the pushed request as /authorize does: an unregistered redirect URI is refused', async () => {
    const err = await pushed(await configOf(t, slug, other), {
      redirect_uri: 'https://evil.example.test/cb',
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ error: 'invalid_request', status: 400 });
  });

  it('refuses plain /authorize for a client that requires pushed requests, with no code', async () => {
    const before = await codesOf(t, slug, web.clientId);
    const b = new Browser();
    const { challenge } = pkce();
    const q = new URLSearchParams({
      response_type: 'code',
      client_id: web.clientId,
      redirect_uri: CB,
      state: 's-1',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    });
    const res = await b.get(`${t.issuer(slug)}/authorize?${q}`);
    expect(res.status).toBe(302);
    const location = new URL(res.headers.get('location')!);
    expect(location.searchParams.get('error')).toBe('invalid_request');
    expect(location.searchParams.get('state')).toBe('s-1');
    expect(location.searchParams.get('code')).toBeNull();
    expect(await codesOf(t, slug, web.clientId)).toBe(before);
  });

  it('turns the requirement on and off through the admin API', async () => {
    const path = `/admin/api/tenants/${slug}/applications/${other.clientId}`;
    const plain = () => {
      const q = new URLSearchParams({
        response_type: 'code',
        client_id: other.clientId,
        redirect_uri: CB,
        code_challenge: pkce().challenge,
        code_challenge_method: 'S256',
      });
      return new Browser().get(`${t.issuer(slug)}/authorize?${q}`);
    };
    expect((await plain()).status).toBe(200); // the sign-in form
    const on = await t.json(
      'PATCH',
      path,
      { requirePushedAuthorizationRequests: true },
      await t.adminToken(),
    );
    expect(on.status).toBe(200);
    expect(on.body.requirePushedAuthorizationRequests).toBe(true);
    const refused = await plain();
    expect(refused.status).toBe(302);
    expect(new URL(refused.headers.get('location')!).searchParams.get('error')).toBe(
      'invalid_request',
    );
    const off = await t.json(
      'PATCH',
      path,
      { requirePushedAuthorizationRequests: false },
      await t.adminToken(),
    );
    expect(off.body.requirePushedAuthorizationRequests).toBe(false);
    expect((await plain()).status).toBe(200);
  });

  it('refuses the sign-in form of a pushed request once a carried parameter is changed', async () => {
    const config = await configOf(t, slug, web);
    const p = await pushed(config);
    const b = new Browser();
    const page = await b.get(p.url.href);
    expect(page.status).toBe(200);
    const { action, fields } = formOf(page.text);
    expect(fields.get('code_challenge')).toEqual(expect.any(String));
    fields.set('code_challenge', pkce().challenge); // an attacker's challenge
    fields.set('email', user.email);
    fields.set('password', user.password);
    const before = await codesOf(t, slug, web.clientId);
    // the form no longer stands for the pushed request: refused as its request_uri would be
    expectRefusedPage(await b.post(action, fields));
    expect(await codesOf(t, slug, web.clientId)).toBe(before);
  });

  /** Codes issued for one pushed request: its code_challenge is its own. */
  async function codesFor(challenge: string, tenantSlug = slug): Promise<number> {
    const [{ n }] = await t.sql<{ n: number }>(
      `SELECT count(*)::int AS n FROM authorization_codes c JOIN tenants t ON t.id = c.tenant_id
       WHERE t.slug = $1 AND c.code_challenge = $2`,
      [tenantSlug, challenge],
    );
    return n;
  }

  /** The sign-in form of a fresh pushed request, filled in with the user's credentials. */
  async function filledForm(c: Client) {
    const p = await pushed(await configOf(t, slug, c));
    const b = new Browser();
    const page = await b.get(p.url.href);
    expect(page.status).toBe(200);
    const { action, fields } = formOf(page.text);
    fields.set('email', user.email);
    fields.set('password', user.password);
    return { p, b, action, fields, challenge: fields.get('code_challenge')! };
  }

  it('refuses the completed sign-in form posted again: one pushed request, one code', async () => {
    const { b, action, fields, challenge } = await filledForm(other);
    const first = await b.post(action, fields);
    expect(first.status).toBe(303);
    expect(new URL(first.headers.get('location')!).searchParams.get('code')).toEqual(
      expect.any(String),
    );
    // the same form again, in the same browser (same CSRF cookie), and in the same session
    expectRefusedPage(await b.post(action, fields));
    expect(await codesFor(challenge)).toBe(1);
    const [row] = await t.sql<{ completed: boolean }>(
      `SELECT completed_at IS NOT NULL AS completed FROM pushed_authorization_requests
       WHERE id = $1`,
      [fields.get('pushed_request')],
    );
    expect(row.completed).toBe(true);
  });

  it("refuses the form's pushed value at another tenant with the same client_id and redirect URI", async () => {
    const { action, fields, b, challenge } = await filledForm(web);
    // the attacker's own account at a tenant where that client_id requires pushed requests
    const second = await t.given.tenant();
    const attacker = await t.given.user(second.slug);
    await t.given.app(second.slug, {
      clientId: web.clientId,
      grantTypes: ['authorization_code'],
      redirectUris: [CB],
      requirePushedAuthorizationRequests: true,
    });
    fields.set('email', attacker.email);
    fields.set('password', attacker.password);
    const elsewhere = action.replace(t.issuer(slug), t.issuer(second.slug));
    expect(elsewhere).not.toBe(action);
    expectRefusedPage(await b.post(elsewhere, fields));
    expect(await codesOf(t, second.slug, web.clientId)).toBe(0);
    expect(await codesFor(challenge, second.slug)).toBe(0);
  });

  it('refuses the sign-in form once its pushed request has expired', async () => {
    const { b, action, fields, challenge, p } = await filledForm(other);
    // the form's time is over (the database's clock decides, as for the request_uri)
    await t.sql(
      `UPDATE pushed_authorization_requests SET expires_at = now() - interval '1 second'
       WHERE params @> $1::jsonb`,
      [JSON.stringify([['state', [p.state]]])],
    );
    expectRefusedPage(await b.post(action, fields));
    expect(await codesFor(challenge)).toBe(0);
  });

  it('takes the right password after a wrong one with the same form, then no more', async () => {
    const { b, action, fields, challenge } = await filledForm(other);
    const wrong = new URLSearchParams(fields);
    wrong.set('password', 'not the password at all');
    const refused = await b.post(action, wrong);
    expect(refused.status).toBe(401);
    expect(await codesFor(challenge)).toBe(0);
    // the page shown again stands for the same pushed request, with the same deadline
    const again = formOf(refused.text).fields;
    for (const k of ['pushed', 'pushed_request', 'pushed_expires'])
      expect(again.get(k)).toBe(fields.get(k));
    const back = await b.post(action, fields);
    expect(back.status).toBe(303);
    expect(new URL(back.headers.get('location')!).searchParams.get('code')).toEqual(
      expect.any(String),
    );
    expect(await codesFor(challenge)).toBe(1);
    expectRefusedPage(await b.post(action, fields));
    expect(await codesFor(challenge)).toBe(1);
  });

  it('still requires PKCE of a public client through PAR, and signs it in with it', async () => {
    const config = await configOf(t, slug, spa);
    const rows = (await pushedOf(t, slug, spa.clientId)).length;
    const err = await oidc
      .buildAuthorizationUrlWithPAR(config, { redirect_uri: CB, scope: 'openid' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(oidc.ResponseBodyError);
    expect(err).toMatchObject({ error: 'invalid_request', status: 400 });
    expect((err as oidc.ResponseBodyError).error_description).toMatch(/PKCE/);
    expect((await pushedOf(t, slug, spa.clientId)).length).toBe(rows);
    expect(await codesOf(t, slug, spa.clientId)).toBe(0);

    const p = await pushed(config);
    const tokens = await oidc.authorizationCodeGrant(config, await signIn(p.url), {
      pkceCodeVerifier: p.verifier,
      expectedState: p.state,
      expectedNonce: p.nonce,
    });
    expect(tokens.claims()?.sub).toBe(user.id);
  });

  it("counts against the client's token-endpoint budget: 429 with Retry-After, nothing stored", async () => {
    const limited = await t.given.tenant({
      rateLimits: { token: { limit: 2, window: '1m' } },
    });
    const app = await t.given.app(limited.slug, {
      grantTypes: ['authorization_code', 'client_credentials'],
      redirectUris: [CB],
    });
    const config = await configOf(t, limited.slug, app);
    await pushed(config);
    await pushed(config);
    const err = await pushed(config).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 429 });
    expect(
      Number((err as oidc.ResponseBodyError).response.headers.get('retry-after')),
    ).toBeGreaterThan(0);
    expect((await pushedOf(t, limited.slug, app.clientId)).length).toBe(2);
    // one budget with the token endpoint
    const token = await t.token(limited.slug, { grant_type: 'client_credentials' }, app);
    expect(token.status).toBe(429);
  });

  it('answers GET /par with 405', async () => {
    const res = await send(`${t.issuer(slug)}/par`);
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
  });
});

describe('TESSERA_REQUIRE_PAR=1: every client pushes its requests', () => {
  const t = useTestServer({ env: { TESSERA_REQUIRE_PAR: '1' } });

  it('says so in discovery, refuses plain /authorize, and signs in through PAR', async () => {
    const { slug } = await t.given.tenant();
    const user = await t.given.user(slug);
    const app = await t.given.app(slug, {
      clientId: unique('app'),
      grantTypes: ['authorization_code'],
      redirectUris: [CB],
    });
    expect(app.body.application.requirePushedAuthorizationRequests).toBe(false);
    const config = await configOf(t, slug, app);
    expect(config.serverMetadata().require_pushed_authorization_requests).toBe(true);

    const plain = oidc.buildAuthorizationUrl(config, {
      redirect_uri: CB,
      scope: 'openid',
      code_challenge: pkce().challenge,
      code_challenge_method: 'S256',
      state: 's-2',
    });
    const refused = await new Browser().get(plain.href);
    expect(refused.status).toBe(302);
    const location = new URL(refused.headers.get('location')!);
    expect(location.searchParams.get('error')).toBe('invalid_request');
    expect(location.searchParams.get('code')).toBeNull();
    expect(await codesOf(t, slug, app.clientId)).toBe(0);

    const p = await pushed(config);
    const b = new Browser();
    const { action, fields } = formOf((await b.get(p.url.href)).text);
    fields.set('email', user.email);
    fields.set('password', user.password);
    const back = await b.post(action, fields);
    const tokens = await oidc.authorizationCodeGrant(
      config,
      new URL(back.headers.get('location')!),
      { pkceCodeVerifier: p.verifier, expectedState: p.state, expectedNonce: p.nonce },
    );
    expect(tokens.claims()?.sub).toBe(user.id);
  });

  it('lets the console sign in: it pushes its request as apps/admin/src/auth/oidc.ts does', async () => {
    // the console's calls (oauth4webapi, the public client tessera-console, no authentication)
    const issuer = new URL(t.issuer('system'));
    const as = await oauth.processDiscoveryResponse(
      issuer,
      await oauth.discoveryRequest(issuer, {
        algorithm: 'oidc',
        [oauth.allowInsecureRequests]: true,
      }),
    );
    expect(as.require_pushed_authorization_requests).toBe(true);
    const client: oauth.Client = { client_id: 'tessera-console' };
    const verifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const redirectUri = `${t.url}/admin/callback`;
    const params = new URLSearchParams({
      response_type: 'code',
      client_id: client.client_id,
      redirect_uri: redirectUri,
      scope: CONSOLE_SCOPES,
      resource: 'urn:tessera:admin-api',
      state,
      nonce: oauth.generateRandomNonce(),
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    const pushedRequest = await oauth.processPushedAuthorizationResponse(
      as,
      client,
      await oauth.pushedAuthorizationRequest(as, client, oauth.None(), params, {
        [oauth.allowInsecureRequests]: true,
      }),
    );
    const url = new URL(as.authorization_endpoint!);
    url.search = new URLSearchParams({
      client_id: client.client_id,
      request_uri: pushedRequest.request_uri,
    }).toString();
    const b = new Browser();
    const { action, fields } = formOf((await b.get(url.href)).text);
    fields.set('email', t.config.adminEmail!);
    fields.set('password', t.config.adminPassword!);
    const back = new URL((await b.post(action, fields)).headers.get('location')!);
    expect(back.origin + back.pathname).toBe(redirectUri);
    expect(back.searchParams.get('state')).toBe(state);
    const res = await t.token('system', {
      grant_type: 'authorization_code',
      code: back.searchParams.get('code')!,
      redirect_uri: redirectUri,
      code_verifier: verifier,
      client_id: client.client_id,
    });
    expect(res.status).toBe(200);
    expect(res.body.access_token).toEqual(expect.any(String));
  });
});
