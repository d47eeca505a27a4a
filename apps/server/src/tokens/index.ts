export { TokensModule } from './tokens.module';
export { AccessTokens, type MintedAccessToken } from './access-tokens';
export { ClientAuthenticator } from './client-auth';
export type { TokenResponse } from './token-response';
