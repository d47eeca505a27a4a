// What an integrator copies from an application's page: the endpoints of the tenant's discovery
// document and configurations for common clients, built from the application's own settings. A
// confidential client's secret is never in them (the console never has it): a placeholder reads
// it from the environment.
import type { Application } from '../../api/types';

/** The fields of the tenant's discovery document the integration panel shows. */
export interface Discovery {
  issuer: string;
  authorization_endpoint?: string;
  token_endpoint?: string;
  userinfo_endpoint?: string;
  jwks_uri?: string;
  introspection_endpoint?: string;
  revocation_endpoint?: string;
  end_session_endpoint?: string;
}

/** Labels of the endpoints, in the order an integrator meets them; absent ones are not shown. */
export const ENDPOINTS: ReadonlyArray<[keyof Discovery, string]> = [
  ['authorization_endpoint', 'Authorization endpoint'],
  ['token_endpoint', 'Token endpoint'],
  ['userinfo_endpoint', 'UserInfo endpoint'],
  ['jwks_uri', 'JWKS (signing keys)'],
  ['introspection_endpoint', 'Introspection endpoint'],
  ['revocation_endpoint', 'Revocation endpoint'],
  ['end_session_endpoint', 'End-session (logout) endpoint'],
];

export const discoveryUrl = (issuer: string) => `${issuer}/.well-known/openid-configuration`;

export const SECRET_ENV = 'TESSERA_CLIENT_SECRET';
const REDIRECT_PLACEHOLDER = 'https://app.example.com/callback';
const RESOURCE_PLACEHOLDER = 'https://api.example.com';

const FLOW_LABELS: Record<string, string> = {
  user: 'users’ sign-ins',
  client_credentials: 'client credentials',
};
/** "users’ sign-ins and client credentials", sign-ins first. */
export const flowsLabel = (flows: string[]) =>
  [...flows]
    .sort((a, b) => Number(b === 'user') - Number(a === 'user'))
    .map((f) => FLOW_LABELS[f] ?? f)
    .join(' and ');

/** The resource a snippet asks for, and its scopes for a flow (`user` or `client_credentials`). */
function target(app: Application, flow: string) {
  const grants = app.grants.filter((g) => g.flows.includes(flow));
  const grant = grants.find((g) => g.resourceServer === app.defaultResource) ?? grants[0];
  return grant ? { resource: grant.resourceServer, scopes: grant.scopes } : undefined;
}

const q = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

const hasCode = (app: Application) => app.grantTypes.includes('authorization_code');
const hasClientCredentials = (app: Application) => app.grantTypes.includes('client_credentials');

/** openid-client (v6) on Node: discovery, then the sign-in and/or client-credentials grants. */
export function openidClientSnippet(app: Application, issuer: string): string {
  // each argument, with what a reader should know about it
  const args: Array<[string, string?]> = [[`new URL(${q(issuer)})`], [q(app.clientId)]];
  args.push(app.type === 'confidential' ? [`process.env.${SECRET_ENV}`] : ['undefined']);
  if (issuer.startsWith('http:'))
    args.push(
      ['undefined'],
      ['{ execute: [client.allowInsecureRequests] }', 'http: local development only'],
    );
  else if (app.type !== 'confidential') args.pop(); // no secret: the default, no authentication
  const lines = [
    `import * as client from 'openid-client';`,
    ``,
    ...(app.type === 'confidential'
      ? [`// the client secret comes from the environment (shown once in Tessera), never from code`]
      : []),
    `const config = await client.discovery(`,
    ...args.map(([a, why]) => `  ${a},${why ? ` // ${why}` : ''}`),
    `);`,
  ];
  const user = target(app, 'user');
  if (hasCode(app)) {
    const scope = ['openid', 'email', ...(user?.scopes ?? [])].join(' ');
    const redirect = app.redirectUris[0] ?? REDIRECT_PLACEHOLDER;
    lines.push(
      ``,
      `// sign-in: authorization code with PKCE (S256)`,
      `const redirect_uri = ${q(redirect)};`,
      `const code_verifier = client.randomPKCECodeVerifier();`,
      `const code_challenge = await client.calculatePKCECodeChallenge(code_verifier);`,
      `const state = client.randomState();`,
      `const url = client.buildAuthorizationUrl(config, {`,
      `  redirect_uri,`,
      `  scope: ${q(scope)},`,
      ...(user ? [`  resource: ${q(user.resource)},`] : []),
      `  code_challenge,`,
      `  code_challenge_method: 'S256',`,
      `  state,`,
      `});`,
      `// redirect the browser to url; keep code_verifier and state in its session`,
      ``,
      `// at redirect_uri: currentUrl is the full URL the browser came back to`,
      `const tokens = await client.authorizationCodeGrant(config, currentUrl, {`,
      `  pkceCodeVerifier: code_verifier,`,
      `  expectedState: state,`,
      `});`,
    );
    if (app.grantTypes.includes('refresh_token'))
      lines.push(
        `// later: refresh tokens rotate; keep the new one each time`,
        `const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);`,
      );
  }
  if (hasClientCredentials(app)) {
    const machine = target(app, 'client_credentials');
    lines.push(
      ``,
      `// machine to machine: client credentials`,
      `const machineTokens = await client.clientCredentialsGrant(config, {`,
      ...(machine
        ? [`  scope: ${q(machine.scopes.join(' '))},`, `  resource: ${q(machine.resource)},`]
        : []),
      `});`,
    );
  }
  return lines.join('\n');
}

/** A browser SPA: the authorization request with PKCE (S256), then the code exchange. */
export function spaSnippet(app: Application, d: Discovery): string {
  const user = target(app, 'user');
  const scope = ['openid', 'email', ...(user?.scopes ?? [])].join(' ');
  const redirect = app.redirectUris[0] ?? REDIRECT_PLACEHOLDER;
  return [
    `const b64url = (bytes) =>`,
    `  btoa(String.fromCharCode(...new Uint8Array(bytes)))`,
    `    .replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');`,
    `const random = () => b64url(crypto.getRandomValues(new Uint8Array(32)));`,
    ``,
    `// 1. sign-in: send the browser to the authorization endpoint`,
    `const verifier = random();`,
    `const state = random();`,
    `sessionStorage.setItem('pkce', JSON.stringify({ verifier, state }));`,
    `const challenge = b64url(`,
    `  await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)),`,
    `);`,
    `const url = new URL(${q(d.authorization_endpoint ?? `${d.issuer}/authorize`)});`,
    `url.search = new URLSearchParams({`,
    `  response_type: 'code',`,
    `  client_id: ${q(app.clientId)},`,
    `  redirect_uri: ${q(redirect)},`,
    `  scope: ${q(scope)},`,
    ...(user ? [`  resource: ${q(user.resource)},`] : []),
    `  code_challenge: challenge,`,
    `  code_challenge_method: 'S256',`,
    `  state,`,
    `}).toString();`,
    `location.assign(url);`,
    ``,
    `// 2. at redirect_uri: check state and issuer, then exchange the code`,
    `const back = new URLSearchParams(location.search);`,
    `const saved = JSON.parse(sessionStorage.getItem('pkce'));`,
    `if (back.get('state') !== saved.state || back.get('iss') !== ${q(d.issuer)})`,
    `  throw new Error('Not the answer to this sign-in');`,
    `const tokens = await fetch(${q(d.token_endpoint ?? `${d.issuer}/token`)}, {`,
    `  method: 'POST',`,
    `  headers: { 'content-type': 'application/x-www-form-urlencoded' },`,
    `  body: new URLSearchParams({`,
    `    grant_type: 'authorization_code',`,
    `    code: back.get('code'),`,
    `    redirect_uri: ${q(redirect)},`,
    `    client_id: ${q(app.clientId)},`,
    `    code_verifier: saved.verifier,`,
    `  }),`,
    `}).then((r) => r.json());`,
  ].join('\n');
}

/** A NestJS API that accepts this application's tokens, with @tessera/nest-guards. */
export function guardsSnippet(app: Application, issuer: string): string {
  const t = target(app, 'user') ?? target(app, 'client_credentials');
  const audience = t?.resource ?? app.defaultResource ?? RESOURCE_PLACEHOLDER;
  const scope = t?.scopes[0];
  const credentials =
    app.type === 'confidential'
      ? [
          `      // credentials: revocations reach this API within a second (mode jwt+feed)`,
          `      clientId: ${q(app.clientId)},`,
          `      clientSecret: process.env.${SECRET_ENV},`,
        ]
      : [
          `      // add the resource server's clientId and clientSecret to learn of revocations`,
          `      // within a second (mode jwt+feed); without them tokens are checked offline (jwt)`,
        ];
  return [
    `import { Controller, Get, Module } from '@nestjs/common';`,
    `import {`,
    `  Principal,`,
    `  Public,`,
    `  RequireScopes,`,
    `  TesseraAuthModule,`,
    `  type TesseraPrincipal,`,
    `} from '@tessera/nest-guards';`,
    ``,
    `@Controller()`,
    `export class ApiController {`,
    `  @Get('me')`,
    ...(scope ? [`  @RequireScopes(${q(scope)})`] : []),
    `  me(@Principal() who: TesseraPrincipal) {`,
    `    return { sub: who.sub, clientId: who.clientId, scopes: who.scopes };`,
    `  }`,
    ``,
    `  @Get('health')`,
    `  @Public()`,
    `  health() {`,
    `    return 'ok';`,
    `  }`,
    `}`,
    ``,
    `@Module({`,
    `  imports: [`,
    `    // every route needs a valid token of this audience; @Public() opens one`,
    `    TesseraAuthModule.forRoot({`,
    `      issuer: ${q(issuer)},`,
    `      audience: ${q(audience)},`,
    ...credentials,
    `    }),`,
    `  ],`,
    `  controllers: [ApiController],`,
    `})`,
    `export class AppModule {}`,
  ].join('\n');
}
