import { Module } from '@nestjs/common';
import { ApplicationsModule } from '../applications';
import { KeysModule } from '../keys';
import { ResourceServersModule } from '../resource-servers';
import { TenantsModule } from '../tenants';
import { AccessTokens } from './access-tokens';
import { ClientAuthenticator } from './client-auth';
import { ClientCredentialsGrant } from './client-credentials.grant';
import { TokenController } from './token.controller';
import { UserGrants } from './user-grants';
import { UserTokens } from './user-tokens';
import { SessionsModule } from '../sessions';
import { UsersModule } from '../users';
import { RATE_LIMIT_SUBJECTS, RateLimitModule } from '../rate-limit';
import { ClientSubjects } from './client-subjects';
import { DpopProof } from './dpop-proof.entity';
import { DpopProofs } from './dpop';

export const TOKENS_ENTITIES = [DpopProof];
import { AuditModule } from '../audit';
import { TokenExchangeGrant } from './token-exchange.grant';

@Module({
  imports: [
    TenantsModule,
    KeysModule,
    ApplicationsModule,
    ResourceServersModule,
    SessionsModule,
    UsersModule,
    RateLimitModule,
    AuditModule,
  ],
  controllers: [TokenController],
  providers: [
    AccessTokens,
    ClientAuthenticator,
    ClientCredentialsGrant,
    UserGrants,
    UserTokens,
    DpopProofs,
    TokenExchangeGrant,
    { provide: RATE_LIMIT_SUBJECTS, useClass: ClientSubjects },
  ],
  exports: [AccessTokens, ClientAuthenticator, RATE_LIMIT_SUBJECTS, RateLimitModule],
})
export class TokensModule {}
