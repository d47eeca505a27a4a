import { Module } from '@nestjs/common';
import { ApplicationsModule } from '../applications';
import { KeysModule } from '../keys';
import { ResourceServersModule } from '../resource-servers';
import { TenantsModule } from '../tenants';
import { AccessTokens } from './access-tokens';
import { ClientAuthenticator } from './client-auth';
import { ClientCredentialsGrant } from './client-credentials.grant';
import { TokenController } from './token.controller';

@Module({
  imports: [TenantsModule, KeysModule, ApplicationsModule, ResourceServersModule],
  controllers: [TokenController],
  providers: [AccessTokens, ClientAuthenticator, ClientCredentialsGrant],
  exports: [AccessTokens, ClientAuthenticator],
})
export class TokensModule {}
