export { TokensModule, TOKENS_ENTITIES } from './tokens.module';
export { AccessTokens, type MintedAccessToken } from './access-tokens';
export { ClientAuthenticator, type Caller } from './client-auth';
export type { TokenResponse } from './token-response';
export { OIDC_SCOPES, ID_TOKEN_TTL_SECONDS, selectFromSignIn } from './user-tokens';
export { clientContext } from './user-grants';
export { SUPPORTED_GRANTS } from './token.controller';
export { DPOP_SIGNING_ALGS } from './dpop';
