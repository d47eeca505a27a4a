import { resourceIndicatorProblem } from '@tessera/contracts';
import type { Application } from '../applications';
import type { ResourceAccess } from '../resource-servers';
import { S256_CHALLENGE_RE, type FamilyResource } from '../sessions';
import { OIDC_SCOPES } from '../tokens';

/** The authorization request's parameters, read from a query string or a form body. */
export type Params = Map<string, string[]>;

export function paramsOf(search: string): Params {
  const out: Params = new Map();
  for (const [k, v] of new URLSearchParams(search)) {
    const seen = out.get(k);
    if (seen) seen.push(v);
    else out.set(k, [v]);
  }
  return out;
}

const one = (p: Params, k: string) => {
  const v = p.get(k)?.[0];
  return v === '' ? undefined : v;
};

/** Cannot redirect: the client or its redirect URI is not trusted. Shown as a page. */
export class UntrustedRequest extends Error {}

/** Redirected to the client with RFC 6749 §4.1.2.1 error, state and iss. */
export class AuthorizationError extends Error {
  constructor(
    readonly error: string,
    readonly description: string,
  ) {
    super(error);
  }
}

export interface ValidRequest {
  app: Application;
  redirectUri: string;
  state?: string;
  nonce?: string;
  codeChallenge?: string;
  prompt?: string;
  scopes: string[];
  resources: FamilyResource[];
}

/** Client and redirect URI first: until both are trusted, nothing may redirect. */
export function trustedRedirect(
  p: Params,
  app: Application | null,
): { app: Application; redirectUri: string; state?: string } {
  for (const k of ['client_id', 'redirect_uri'])
    if ((p.get(k)?.length ?? 0) > 1) throw new UntrustedRequest(`The ${k} parameter is repeated.`);
  if (!app) throw new UntrustedRequest('The application is unknown.');
  if (!app.grantTypes.includes('authorization_code'))
    throw new UntrustedRequest('The application does not use the authorization code flow.');
  const redirectUri = one(p, 'redirect_uri');
  // RFC 9700 §4.1.3: exact string comparison, nothing normalised
  if (!redirectUri || !app.redirectUris.includes(redirectUri))
    throw new UntrustedRequest('The redirect URI is not registered for this application.');
  return { app, redirectUri, state: p.get('state')?.[0] };
}

/**
 * The rest of the request, once the redirect URI is trusted: RFC 6749 §4.1.1, PKCE (RFC 7636,
 * S256 only, required for public clients), RFC 8707 resources, OpenID Connect parameters.
 */
export function validateRequest(
  p: Params,
  trusted: { app: Application; redirectUri: string; state?: string },
  granted: ResourceAccess[],
): ValidRequest {
  const { app } = trusted;
  for (const [k, v] of p)
    if (v.length > 1 && k !== 'resource')
      throw new AuthorizationError('invalid_request', `The parameter ${k} is repeated`);
  const responseType = one(p, 'response_type');
  if (!responseType) throw new AuthorizationError('invalid_request', 'response_type is required');
  if (responseType !== 'code')
    throw new AuthorizationError(
      'unsupported_response_type',
      'Only response_type=code is supported',
    );

  const codeChallenge = one(p, 'code_challenge');
  const method = one(p, 'code_challenge_method');
  if (codeChallenge === undefined) {
    if (app.type === 'public')
      throw new AuthorizationError(
        'invalid_request',
        'PKCE (code_challenge with S256) is required for public clients',
      );
    if (method !== undefined)
      throw new AuthorizationError(
        'invalid_request',
        'code_challenge_method without code_challenge',
      );
  } else {
    if (method !== 'S256')
      throw new AuthorizationError(
        'invalid_request',
        'Only code_challenge_method=S256 is supported',
      );
    if (!S256_CHALLENGE_RE.test(codeChallenge))
      throw new AuthorizationError(
        'invalid_request',
        'code_challenge must be 43 base64url characters',
      );
  }

  const scopeParam = one(p, 'scope');
  const requested = scopeParam === undefined ? undefined : [...new Set(scopeParam.split(' '))];
  if (requested?.some((s) => !/^[\x21\x23-\x5B\x5D-\x7E]+$/.test(s)))
    throw new AuthorizationError('invalid_scope', 'The scope parameter is malformed');

  const resourceParams = (p.get('resource') ?? []).filter((r) => r !== '');
  for (const r of resourceParams)
    if (resourceIndicatorProblem(r))
      throw new AuthorizationError(
        'invalid_target',
        'A resource must be an absolute URI without a fragment',
      );
  const targets = resourceParams.length
    ? resourceParams.map((r) => granted.find((g) => g.resourceServer.identifier === r))
    : granted;
  if (targets.some((g) => !g))
    throw new AuthorizationError(
      'invalid_target',
      'A requested resource is unknown or not granted to this application',
    );

  const resources: FamilyResource[] = [];
  for (const g of targets as ResourceAccess[]) {
    const scopes = [...g.scopes].filter((s) => !requested || requested.includes(s)).sort();
    if (scopes.length || resourceParams.length)
      resources.push({
        resourceServerId: g.resourceServer.id,
        identifier: g.resourceServer.identifier,
        scopes,
      });
  }
  const oidc = (requested ?? []).filter((s) => OIDC_SCOPES.has(s)).sort();
  if (requested && requested.length && !oidc.length && !resources.some((r) => r.scopes.length)) {
    throw new AuthorizationError(
      'invalid_scope',
      'None of the requested scopes is granted to this application',
    );
  }
  const prompt = one(p, 'prompt');
  const nonce = one(p, 'nonce');
  if (nonce && nonce.length > 512)
    throw new AuthorizationError('invalid_request', 'nonce is too long');
  return {
    app,
    redirectUri: trusted.redirectUri,
    state: trusted.state,
    nonce,
    codeChallenge,
    prompt,
    scopes: oidc,
    resources,
  };
}

/** The redirect back to the client: `iss` always (RFC 9207), `state` untouched. */
export function redirectTo(
  redirectUri: string,
  params: Record<string, string | undefined>,
): string {
  const url = new URL(redirectUri);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.append(k, v);
  return url.toString();
}
