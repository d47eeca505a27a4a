import { Module } from '@nestjs/common';
import { ApplicationsModule } from '../applications';
import { AuditModule } from '../audit';
import { ResourceServersModule } from '../resource-servers';
import { SessionsModule } from '../sessions';
import { TenantsModule } from '../tenants';
import { TokensModule } from '../tokens';
import { UsersModule } from '../users';
import { PushedAuthorizationController } from './par.controller';
import { PushedAuthorizationRequest } from './pushed-request.entity';
import { PushedRequests } from './pushed-requests';
import { SignInController } from './sign-in.controller';
import { SignInService } from './sign-in.service';
import { RateLimitModule } from '../rate-limit';

export const SIGN_IN_ENTITIES = [PushedAuthorizationRequest];

@Module({
  imports: [
    TenantsModule,
    ApplicationsModule,
    ResourceServersModule,
    UsersModule,
    SessionsModule,
    AuditModule,
    RateLimitModule,
    // client authentication (RFC 6749 §2.3) and its rate-limit subjects, for the PAR endpoint
    TokensModule,
  ],
  controllers: [SignInController, PushedAuthorizationController],
  providers: [SignInService, PushedRequests],
})
export class SignInModule {}
