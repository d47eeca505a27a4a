// Sign-in by Tessera itself, validated like any relying party's (oauth4webapi): the console is the
// public client `tessera-console` of every tenant (authorization code + PKCE S256), and signs in
// at the issuer of the tenant the administrator belongs to — a tenant's administrators are its own
// users; `system`'s administer every tenant. Tokens live in this module's memory only: a reload
// signs in again, silently while the Tessera session cookie lasts.
import * as oauth from 'oauth4webapi';

export const CLIENT_ID = 'tessera-console';
export const ADMIN_API = 'urn:tessera:admin-api';
export const SYSTEM_TENANT = 'system';
const SCOPES = [
  'openid',
  'email',
  'admin:tenants:read',
  'admin:tenants:write',
  'admin:applications:read',
  'admin:applications:write',
  'admin:keys:read',
  'admin:keys:write',
  'admin:users:read',
  'admin:users:write',
  'admin:resource-servers:read',
  'admin:resource-servers:write',
  'admin:sessions:read',
  'admin:sessions:write',
  'admin:audit:read',
];
const SLUG_RE = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

// only what must survive the trip to /authorize and back: never a token
const PENDING_KEY = 'tessera.console.pending';
const SIGNED_OUT_KEY = 'tessera.console.signedOut';
// which tenant this browser signs in at (a slug, not a secret): kept across tabs and reloads
const REALM_KEY = 'tessera.console.realm';

interface TokenSet {
  accessToken: string;
  refreshToken?: string;
  idToken?: string;
  expiresAt: number;
}

interface Pending {
  realm: string;
  verifier: string;
  state: string;
  nonce: string;
  returnTo: string;
}

export interface Identity {
  sub: string;
  email?: string;
  /** The tenant whose user this is. */
  realm: string;
}

const client: oauth.Client = { client_id: CLIENT_ID };
const clientAuth = oauth.None();
// the console is served by the server it signs in to: plain http only where the server itself is
const insecure = () => ({ [oauth.allowInsecureRequests]: window.location.protocol === 'http:' });

const discoveries = new Map<string, Promise<oauth.AuthorizationServer>>();
let session: { realm: string; tokens: TokenSet; identity: Identity } | undefined;
let refreshing: Promise<TokenSet> | undefined;
let refreshTimer: ReturnType<typeof setTimeout> | undefined;
const listeners = new Set<() => void>();

export const basePath = import.meta.env.BASE_URL.replace(/\/$/, ''); // '/admin'
const redirectUri = () => `${window.location.origin}${basePath}/callback`;

export const isSlug = (s: string) => SLUG_RE.test(s);

/** A tenant this server does not have (or could not be asked about). */
export class UnknownTenantError extends Error {
  constructor(
    readonly realm: string,
    options?: ErrorOptions,
  ) {
    super(
      `There is no tenant called “${realm}” here (or it could not be reached): check its name.`,
      options,
    );
  }
}

/** RFC 8414: the tenant's metadata, whose `issuer` must be exactly the tenant's issuer URL. */
function discover(realm: string): Promise<oauth.AuthorizationServer> {
  let hit = discoveries.get(realm);
  if (!hit) {
    const issuer = new URL(`${window.location.origin}/t/${realm}`);
    hit = oauth
      .discoveryRequest(issuer, { algorithm: 'oidc', ...insecure() })
      .then((res) => oauth.processDiscoveryResponse(issuer, res))
      .catch((err: unknown) => {
        throw new UnknownTenantError(realm, { cause: err });
      });
    hit.catch(() => discoveries.delete(realm)); // try again next time
    discoveries.set(realm, hit);
  }
  return hit;
}

/** The tenant's discovery document, as the console itself read it (same origin, issuer checked). */
export function tenantMetadata(realm: string): Promise<oauth.AuthorizationServer> {
  return discover(realm);
}

export function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function isSignedIn(): boolean {
  return !!session;
}

export function wasSignedOut(): boolean {
  return sessionStorage.getItem(SIGNED_OUT_KEY) === '1';
}

/** The tenant this browser last signed in at. */
export function rememberedRealm(): string | undefined {
  const r = localStorage.getItem(REALM_KEY);
  return r && isSlug(r) ? r : undefined;
}

/** Forget the tenant, so the next sign-in asks which one. */
export function forgetRealm(): void {
  localStorage.removeItem(REALM_KEY);
}

export function identity(): Identity | undefined {
  return session?.identity;
}

function store(next: { realm: string; tokens: TokenSet; identity: Identity } | undefined): void {
  session = next;
  clearTimeout(refreshTimer);
  if (next?.tokens.refreshToken) {
    // renew at 80 % of the lifetime so a call never starts with a dying token
    const inMs = Math.max(5_000, (next.tokens.expiresAt - Date.now()) * 0.8);
    refreshTimer = setTimeout(() => void refresh().catch(() => undefined), inMs);
  }
  listeners.forEach((l) => l());
}

/** Sends the browser to the tenant's sign-in page; comes back to /admin/callback. */
export async function signIn(
  realm: string,
  returnTo = window.location.pathname + window.location.search,
) {
  if (!isSlug(realm)) throw new Error(`“${realm}” is not a tenant name`);
  sessionStorage.removeItem(SIGNED_OUT_KEY);
  const as = await discover(realm);
  const verifier = oauth.generateRandomCodeVerifier();
  const pending: Pending = {
    realm,
    verifier,
    state: oauth.generateRandomState(),
    nonce: oauth.generateRandomNonce(),
    returnTo,
  };
  sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
  const url = new URL(as.authorization_endpoint!); // discovery of an OpenID provider names it
  const params = new URLSearchParams({
    response_type: 'code',
    client_id: CLIENT_ID,
    redirect_uri: redirectUri(),
    scope: SCOPES.join(' '),
    resource: ADMIN_API,
    state: pending.state,
    nonce: pending.nonce,
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  });
  if (as.require_pushed_authorization_requests) {
    // TESSERA_REQUIRE_PAR: the request is pushed (RFC 9126); the browser carries its request_uri only
    const pushed = await oauth.processPushedAuthorizationResponse(
      as,
      client,
      await oauth.pushedAuthorizationRequest(as, client, clientAuth, params, insecure()),
    );
    url.search = new URLSearchParams({
      client_id: CLIENT_ID,
      request_uri: pushed.request_uri,
    }).toString();
  } else url.search = params.toString();
  window.location.assign(url.href);
}

function tokenSet(r: oauth.TokenEndpointResponse, previous?: TokenSet): TokenSet {
  return {
    accessToken: r.access_token,
    refreshToken: r.refresh_token,
    idToken: r.id_token ?? previous?.idToken,
    expiresAt: Date.now() + (r.expires_in ?? 300) * 1000,
  };
}

function identityOf(r: oauth.TokenEndpointResponse, realm: string): Identity {
  const claims = oauth.getValidatedIdTokenClaims(r);
  if (!claims) throw new Error('Tessera sent no ID token');
  return {
    sub: claims.sub,
    email: typeof claims.email === 'string' ? claims.email : undefined,
    realm,
  };
}

/**
 * Finishes the code flow at /admin/callback: the answer must carry the state sent, and the `iss`
 * of the tenant the sign-in started at (RFC 9207 — a mix-up defence); the ID token must be signed
 * by that tenant's key for this client and carry the nonce sent (OpenID Connect Core §3.1.3.7).
 * Returns where the admin was going.
 */
export async function completeSignIn(search: string): Promise<string> {
  const pending = JSON.parse(sessionStorage.getItem(PENDING_KEY) ?? 'null') as Pending | null;
  sessionStorage.removeItem(PENDING_KEY);
  if (!pending)
    throw new Error('This sign-in answer does not match a sign-in started here; start again.');
  try {
    const as = await discover(pending.realm);
    // state and iss first, error answers included (RFC 9207 §2.4): only then is an error Tessera's
    const params = oauth.validateAuthResponse(
      as,
      client,
      new URLSearchParams(search),
      pending.state,
    );
    const res = await oauth.authorizationCodeGrantRequest(
      as,
      client,
      clientAuth,
      params,
      redirectUri(),
      pending.verifier,
      insecure(),
    );
    const result = await oauth.processAuthorizationCodeResponse(as, client, res, {
      expectedNonce: pending.nonce,
      requireIdToken: true,
    });
    await oauth.validateApplicationLevelSignature(as, res, insecure());
    localStorage.setItem(REALM_KEY, pending.realm);
    store({
      realm: pending.realm,
      tokens: tokenSet(result),
      identity: identityOf(result, pending.realm),
    });
  } catch (err) {
    if (err instanceof oauth.AuthorizationResponseError)
      throw new Error(err.error_description ?? err.error, { cause: err });
    throw new Error(
      `Tessera’s answer did not check out, so you are not signed in (${reason(err)})`,
      {
        cause: err,
      },
    );
  }
  return pending.returnTo.startsWith(basePath) ? pending.returnTo : `${basePath}/`;
}

function reason(err: unknown): string {
  if (err instanceof oauth.ResponseBodyError) return err.error_description ?? err.error;
  return err instanceof Error ? err.message : String(err);
}

/**
 * Rotation: every refresh returns a new refresh token and the old one dies. One refresh at a
 * time, so two calls never present the same token (that would look like reuse).
 */
export function refresh(): Promise<TokenSet> {
  refreshing ??= (async () => {
    const current = session;
    try {
      const rt = current?.tokens.refreshToken;
      if (!current || !rt) throw new Error('No refresh token');
      const as = await discover(current.realm);
      const res = await oauth.refreshTokenGrantRequest(as, client, clientAuth, rt, insecure());
      const result = await oauth.processRefreshTokenResponse(as, client, res);
      if (result.id_token) await oauth.validateApplicationLevelSignature(as, res, insecure());
      const tokens = tokenSet(result, current.tokens);
      store({ ...current, tokens });
      return tokens;
    } catch (err) {
      store(undefined); // refused (revoked, expired, reused): sign in again
      throw err;
    } finally {
      refreshing = undefined;
    }
  })();
  return refreshing;
}

export async function accessToken(): Promise<string | undefined> {
  if (refreshing) return (await refreshing).accessToken;
  const tokens = session?.tokens;
  if (tokens && tokens.expiresAt - Date.now() < 10_000 && tokens.refreshToken)
    return (await refresh()).accessToken;
  return tokens?.accessToken;
}

/** RP-initiated logout at the tenant signed in at: ends the Tessera session, then back to /admin/. */
export async function signOut(): Promise<void> {
  const current = session;
  store(undefined);
  sessionStorage.setItem(SIGNED_OUT_KEY, '1');
  const realm = current?.realm ?? rememberedRealm();
  if (!realm) {
    window.location.assign(`${basePath}/`);
    return;
  }
  const as = await discover(realm);
  const url = new URL(as.end_session_endpoint!); // Tessera's discovery names it
  const q = new URLSearchParams({
    client_id: CLIENT_ID,
    post_logout_redirect_uri: `${window.location.origin}${basePath}/`,
  });
  if (current?.tokens.idToken) q.set('id_token_hint', current.tokens.idToken);
  url.search = q.toString();
  window.location.assign(url.href);
}

/** Signs out here only, and starts a sign-in at another tenant (switching who you are). */
export function switchTo(realm: string, returnTo?: string): Promise<void> {
  store(undefined);
  return signIn(realm, returnTo);
}
