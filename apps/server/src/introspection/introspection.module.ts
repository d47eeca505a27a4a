import { Module } from '@nestjs/common';
import { KeysModule } from '../keys';
import { RevocationModule } from '../revocation';
import { SessionsModule } from '../sessions';
import { TenantsModule } from '../tenants';
import { TokensModule } from '../tokens';
import { IntrospectionController } from './introspection.controller';
import { FeedStreams } from './feed-streams';
import { RevocationFeedController } from './revocation-feed.controller';
import { RevokeController } from './revoke.controller';
import { TokenInspector } from './token-inspector';

@Module({
  imports: [TenantsModule, KeysModule, TokensModule, SessionsModule, RevocationModule],
  controllers: [IntrospectionController, RevokeController, RevocationFeedController],
  providers: [TokenInspector, FeedStreams],
  exports: [TokenInspector],
})
export class IntrospectionModule {}
