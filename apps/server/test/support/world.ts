import {
  basic,
  form,
  send,
  signIn as signInAs,
  type Reply,
  type SignedInTokens,
  type TestServer,
} from './harness';

export const CB = 'https://app.example.test/cb';
export const SPA_CB = 'http://127.0.0.1:5173/cb';
export const BYE = 'https://app.example.test/bye';
/** Every tenant's built-in account API. */
export const ACCOUNT_API = 'urn:tessera:account';

export interface Credentials {
  clientId: string;
  secret: string;
}

/** One tenant with what the attack cases need: two resource servers, three clients, a user. */
export interface World {
  slug: string;
  issuer: string;
  tenantId: string;
  rs: { identifier: string; id: string };
  other: { identifier: string; id: string };
  rsCreds: Credentials;
  otherCreds: Credentials;
  /** Confidential: code, refresh and client_credentials. */
  web: Credentials;
  /** Another confidential client with the same grants. */
  second: Credentials;
  /** Public client (PKCE, no secret). */
  spa: { clientId: string };
  /** Confidential client granted the tenant's built-in account API only (the user's own devices). */
  mine: Credentials;
  user: { id: string; email: string; password: string };
  signIn(
    app?: Credentials | { clientId: string },
    scope?: string,
    browser?: SignedInTokens['browser'],
  ): Promise<SignedInTokens>;
  /** The user signed in to `mine`: an access token for the account API, both its scopes. */
  accountSignIn(): Promise<SignedInTokens>;
  /** POSTs a raw form body to one of the tenant's endpoints. */
  post(
    endpoint: 'token' | 'introspect' | 'revoke',
    body: string | Record<string, string | string[]>,
    headers?: Record<string, string>,
  ): Promise<Reply>;
  introspect(token: string, as?: Credentials, extra?: Record<string, string>): Promise<Reply>;
  revoke(token: string, as?: Credentials, extra?: Record<string, string>): Promise<Reply>;
  cc(as?: Credentials, extra?: Record<string, string>): Promise<Reply>;
  refresh(refreshToken: string, as?: Credentials, extra?: Record<string, string>): Promise<Reply>;
}

export async function world(
  t: TestServer,
  tenant: Record<string, unknown> = {},
  policy: Record<string, unknown> = {},
): Promise<World> {
  const { slug, issuer, id: tenantId } = await t.given.tenant(tenant);
  const rs = await t.given.resourceServer(slug, {
    scopes: [
      { name: 'orders:read', description: '' },
      { name: 'orders:write', description: '' },
    ],
  });
  const other = await t.given.resourceServer(slug, { scopes: [{ name: 'x', description: '' }] });
  const credentials = (id: string) => t.given.resourceServerCredentials(slug, id);
  const grants = [
    {
      resourceServer: rs.identifier,
      scopes: ['orders:read', 'orders:write'],
      flows: ['user', 'client_credentials'],
    },
  ];
  const web = await t.given.app(slug, {
    grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'],
    redirectUris: [CB],
    postLogoutRedirectUris: [BYE],
    grants,
    policy,
  });
  const second = await t.given.app(slug, {
    grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'],
    redirectUris: [CB],
    grants,
    policy,
  });
  const mine = await t.given.app(slug, {
    grantTypes: ['authorization_code', 'refresh_token'],
    redirectUris: [CB],
    grants: [
      {
        resourceServer: ACCOUNT_API,
        scopes: ['account:sessions:read', 'account:sessions:write'],
        flows: ['user'],
      },
    ],
  });
  const spa = await t.json(
    'POST',
    `/admin/api/tenants/${slug}/applications`,
    {
      clientId: `spa-${tenantId.slice(0, 8)}`,
      name: 'SPA',
      type: 'public',
      grantTypes: ['authorization_code', 'refresh_token'],
      redirectUris: [SPA_CB],
      grants: [{ resourceServer: rs.identifier, scopes: ['orders:read'], flows: ['user'] }],
      policy,
    },
    await t.adminToken(),
  );
  if (spa.status !== 201) throw new Error(`spa: ${spa.status} ${spa.text}`);
  const user = await t.given.user(slug, {
    permissions: [{ resourceServer: rs.identifier, scopes: ['orders:read', 'orders:write'] }],
  });
  const post: World['post'] = (endpoint, body, headers = {}) =>
    send(`${issuer}/${endpoint}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: typeof body === 'string' ? body : form(body),
    });
  const authed = (as: Credentials) => ({ authorization: basic(as.clientId, as.secret) });
  const w: World = {
    slug,
    issuer,
    tenantId,
    rs,
    other,
    rsCreds: await credentials(rs.id),
    otherCreds: await credentials(other.id),
    web,
    second,
    spa: { clientId: spa.body.application.clientId },
    mine,
    user,
    signIn: (app = web, scope = 'openid orders:read', browser) =>
      signInAs(t, slug, {
        app,
        browser,
        redirectUri: 'secret' in app ? CB : SPA_CB,
        email: user.email,
        password: user.password,
        scope,
      }),
    accountSignIn: () =>
      signInAs(t, slug, {
        app: mine,
        redirectUri: CB,
        email: user.email,
        password: user.password,
        scope: 'openid account:sessions:read account:sessions:write',
      }),
    post,
    introspect: (token, as = w.rsCreds, extra = {}) =>
      post('introspect', { token, ...extra }, authed(as)),
    revoke: (token, as = web, extra = {}) => post('revoke', { token, ...extra }, authed(as)),
    cc: (as = web, extra = {}) =>
      post('token', { grant_type: 'client_credentials', ...extra }, authed(as)),
    refresh: (refreshToken, as = web, extra = {}) =>
      post(
        'token',
        { grant_type: 'refresh_token', refresh_token: refreshToken, ...extra },
        authed(as),
      ),
  };
  return w;
}

/** No stack trace, no internal message, none of these values anywhere in the answer. */
export function expectClean(res: Reply, secrets: string[] = []): void {
  expect(res.status).toBeLessThan(500);
  expect(res.text).not.toMatch(/\bat [\w.<>]+ \(|node_modules|\.ts:\d+|QueryFailedError|stack/i);
  for (const s of secrets) if (s.length >= 8) expect(res.text).not.toContain(s);
  for (const [, v] of res.headers)
    for (const s of secrets) if (s.length >= 8) expect(v).not.toContain(s);
}

/** RFC 6749 §5.2: exactly `{error, error_description}`, not cached, nothing leaked. */
export function expectOAuthError(
  res: Reply,
  status: number,
  error: string,
  secrets: string[] = [],
): void {
  expect({ status: res.status, body: res.body }).toEqual({
    status,
    body: { error, error_description: expect.any(String) },
  });
  expect(res.headers.get('cache-control')).toBe('no-store');
  expectClean(res, secrets);
}
