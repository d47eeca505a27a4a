export { RevocationModule } from './revocation.module';
export { RevocationService } from './revocation.service';
export { RevocationRepository } from './revocation.repository';
export {
  ACCESS_TOKEN_REVOKED,
  longestAccessTokenSql,
  EVENT_MARGIN_SECONDS,
  type FeedRow,
} from './revocation.sql';
export { RevocationEvent, BackchannelDelivery, type RevocationType } from './revocation.entity';
