export { SessionsModule, SESSIONS_ENTITIES } from './sessions.module';
export {
  SessionsService,
  type ClientContext,
  type SessionPage,
  type SessionHistoryPage,
  type RevocationReason,
} from './sessions.service';
export {
  RefreshFamiliesService,
  CODE_TTL_SECONDS,
  type RedeemedFamily,
  type EndedSignIns,
} from './refresh-families.service';
export { S256_CHALLENGE_RE, CODE_VERIFIER_RE } from './pkce';
export type { FamilyResource } from './session.entity';
export type { CodeRequest, LockedRefreshToken, RefreshTokenState } from './sessions.repository';
export type { EndedSessionView, SessionView, SessionDetailView } from './session.view';
