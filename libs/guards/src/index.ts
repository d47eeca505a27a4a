export { TesseraAuthModule } from './tessera-auth.module';
export { TesseraAuthGuard } from './tessera-auth.guard';
export { RequireScopes, RequireAnyScope, Public } from './decorators/scopes';
export { Principal } from './decorators/principal';
export { TesseraVerifier, type VerifierHealth } from './verifier/tessera-verifier';
export { TESSERA_OPTIONS } from './tokens';
export type { TesseraAuthOptions, TesseraPrincipal, ValidationMode } from './options';
export { DpopProofRejectedError, TokenRejectedError, VerifierUnavailableError } from './errors';
export {
  TesseraExchange,
  TokenExchangeError,
  type ExchangeRequest,
  type ExchangedToken,
} from './exchange';
