export { SessionsModule, SESSIONS_ENTITIES } from './sessions.module';
export {
  SessionsService,
  type ClientContext,
  type SessionPage,
  type RevocationReason,
} from './sessions.service';
export {
  GrantsService,
  CODE_TTL_SECONDS,
  type GrantedFamily,
  type CodeRequest,
  type EndedSignIns,
} from './grants.service';
export { S256_CHALLENGE_RE, CODE_VERIFIER_RE } from './pkce';
export type { FamilyResource } from './session.entity';
export type { LockedRefreshToken, RefreshTokenState } from './sessions.repository';
export type { SessionView, SessionDetailView } from './session.view';
