import { Module } from '@nestjs/common';
import { IntrospectionModule } from '../introspection';
import { RevocationModule } from '../revocation';
import { SessionsModule } from '../sessions';
import { TenantsModule } from '../tenants';
import { TokensModule } from '../tokens';
import { FeedStreams } from './feed-streams';
import { RevocationFeedController } from './revocation-feed.controller';
import { RevokeController } from './revoke.controller';

/**
 * The HTTP face of revocation: RFC 7009 `/revoke` and the revocation feed validators follow. The
 * events themselves are written by the revocation module, far below, in the transactions that
 * revoke; these endpoints sit on top because they authenticate clients and find tokens.
 */
@Module({
  imports: [TenantsModule, TokensModule, SessionsModule, IntrospectionModule, RevocationModule],
  controllers: [RevokeController, RevocationFeedController],
  providers: [FeedStreams],
})
export class TokenRevocationModule {}
