// Sign-in by Tessera itself: the console is the public client `tessera-console` of the system
// tenant (authorization code + PKCE S256). Tokens live in this module's memory only: a reload
// signs in again, silently while the Tessera session cookie lasts.
export const CLIENT_ID = 'tessera-console';
export const ADMIN_API = 'urn:tessera:admin-api';
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

// only what must survive the trip to /authorize and back: never a token
const PENDING_KEY = 'tessera.console.pending';
const SIGNED_OUT_KEY = 'tessera.console.signedOut';

interface Discovery {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  end_session_endpoint: string;
}

interface TokenSet {
  accessToken: string;
  refreshToken?: string;
  idToken?: string;
  expiresAt: number;
}

export interface Identity {
  sub: string;
  email?: string;
}

let discovery: Promise<Discovery> | undefined;
let tokens: TokenSet | undefined;
let refreshing: Promise<TokenSet> | undefined;
let refreshTimer: ReturnType<typeof setTimeout> | undefined;
const listeners = new Set<() => void>();

export const basePath = import.meta.env.BASE_URL.replace(/\/$/, ''); // '/admin'
const redirectUri = () => `${window.location.origin}${basePath}/callback`;

function discover(): Promise<Discovery> {
  discovery ??= fetch('/t/system/.well-known/openid-configuration').then(async (r) => {
    if (!r.ok) throw new Error(`Tessera's discovery answered ${r.status}`);
    return (await r.json()) as Discovery;
  });
  return discovery;
}

const b64url = (bytes: Uint8Array) =>
  btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
const random = (n: number) => b64url(crypto.getRandomValues(new Uint8Array(n)));

async function challengeOf(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return b64url(new Uint8Array(digest));
}

export function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function isSignedIn(): boolean {
  return !!tokens;
}

export function wasSignedOut(): boolean {
  return sessionStorage.getItem(SIGNED_OUT_KEY) === '1';
}

export function identity(): Identity | undefined {
  const token = tokens?.idToken ?? tokens?.accessToken;
  if (!token) return undefined;
  try {
    const claims = JSON.parse(
      atob(token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')),
    ) as Identity;
    return { sub: claims.sub, email: claims.email };
  } catch {
    return undefined;
  }
}

function store(next: TokenSet | undefined): void {
  tokens = next;
  clearTimeout(refreshTimer);
  if (next?.refreshToken) {
    // renew at 80 % of the lifetime so a call never starts with a dying token
    const inMs = Math.max(5_000, (next.expiresAt - Date.now()) * 0.8);
    refreshTimer = setTimeout(() => void refresh().catch(() => undefined), inMs);
  }
  listeners.forEach((l) => l());
}

/** Sends the browser to Tessera's sign-in; comes back to /admin/callback. */
export async function signIn(returnTo = window.location.pathname + window.location.search) {
  sessionStorage.removeItem(SIGNED_OUT_KEY);
  const d = await discover();
  const verifier = random(48);
  const state = random(16);
  const nonce = random(16);
  sessionStorage.setItem(PENDING_KEY, JSON.stringify({ verifier, state, nonce, returnTo }));
  const q = new URLSearchParams({
    response_type: 'code',
    client_id: CLIENT_ID,
    redirect_uri: redirectUri(),
    scope: SCOPES.join(' '),
    resource: ADMIN_API,
    state,
    nonce,
    code_challenge: await challengeOf(verifier),
    code_challenge_method: 'S256',
  });
  window.location.assign(`${d.authorization_endpoint}?${q}`);
}

async function tokenRequest(params: Record<string, string>): Promise<TokenSet> {
  const d = await discover();
  const res = await fetch(d.token_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: CLIENT_ID, ...params }),
  });
  const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (!res.ok) {
    const err = new Error(
      String(body.error_description ?? body.error ?? `token endpoint ${res.status}`),
    );
    (err as Error & { code?: unknown }).code = body.error;
    throw err;
  }
  return {
    accessToken: String(body.access_token),
    refreshToken: typeof body.refresh_token === 'string' ? body.refresh_token : undefined,
    idToken: typeof body.id_token === 'string' ? body.id_token : tokens?.idToken,
    expiresAt: Date.now() + Number(body.expires_in ?? 300) * 1000,
  };
}

/** Finishes the code flow at /admin/callback; returns where the admin was going. */
export async function completeSignIn(search: string): Promise<string> {
  const params = new URLSearchParams(search);
  const pending = JSON.parse(sessionStorage.getItem(PENDING_KEY) ?? 'null') as {
    verifier: string;
    state: string;
    returnTo: string;
  } | null;
  sessionStorage.removeItem(PENDING_KEY);
  if (params.get('error'))
    throw new Error(params.get('error_description') ?? params.get('error') ?? 'Sign-in failed');
  if (!pending || params.get('state') !== pending.state)
    throw new Error('This sign-in answer does not match a sign-in started here; start again.');
  const code = params.get('code');
  if (!code) throw new Error('Tessera sent no authorization code');
  store(
    await tokenRequest({
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri(),
      code_verifier: pending.verifier,
    }),
  );
  return pending.returnTo.startsWith(basePath) ? pending.returnTo : `${basePath}/`;
}

/**
 * Rotation: every refresh returns a new refresh token and the old one dies. One refresh at a
 * time, so two calls never present the same token (that would look like reuse).
 */
export function refresh(): Promise<TokenSet> {
  refreshing ??= (async () => {
    try {
      const rt = tokens?.refreshToken;
      if (!rt) throw new Error('No refresh token');
      const next = await tokenRequest({ grant_type: 'refresh_token', refresh_token: rt });
      store(next);
      return next;
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
  if (tokens && tokens.expiresAt - Date.now() < 10_000 && tokens.refreshToken)
    return (await refresh()).accessToken;
  return tokens?.accessToken;
}

/** RP-initiated logout: ends the Tessera session, then back to /admin/. */
export async function signOut(): Promise<void> {
  const d = await discover();
  const idToken = tokens?.idToken;
  store(undefined);
  sessionStorage.setItem(SIGNED_OUT_KEY, '1');
  const q = new URLSearchParams({
    client_id: CLIENT_ID,
    post_logout_redirect_uri: `${window.location.origin}${basePath}/`,
  });
  if (idToken) q.set('id_token_hint', idToken);
  window.location.assign(`${d.end_session_endpoint}?${q}`);
}
