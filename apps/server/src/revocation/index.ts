export { RevocationModule, REVOCATION_ENTITIES } from './revocation.module';
export { RevocationService } from './revocation.service';
export { RevocationRepository } from './revocation.repository';
export {
  ACCESS_TOKEN_REVOKED,
  longestAccessTokenSql,
  EVENT_MARGIN_SECONDS,
  type FeedRow,
} from './revocation.sql';
export type { RevocationType } from './revocation.entity';
export { BackchannelOutbox } from './backchannel-outbox.service';
export type { ClaimedDelivery } from './backchannel.repository';
export type { InFlight } from './outbox';
export { OutboxWorker, retryDelay, type OutboxRow } from './outbox-worker';
export { SsfOutbox } from './ssf-outbox.service';
export type { ClaimedSet, PendingSet } from './ssf-outbox.repository';
export {
  SESSION_REVOKED,
  CREDENTIAL_CHANGE,
  TOKEN_CLAIMS_CHANGE,
  VERIFICATION,
  SSF_EVENTS_SUPPORTED,
} from './ssf-event-types';
export { SSF_API_AUDIENCE, SSF_SCOPES, type SsfScope } from './ssf-api';
