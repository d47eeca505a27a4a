import { Module } from '@nestjs/common';
import { ApplicationsModule } from '../applications';
import { AuditModule } from '../audit';
import { ResourceServersModule } from '../resource-servers';
import { SessionsModule } from '../sessions';
import { TenantsModule } from '../tenants';
import { UsersModule } from '../users';
import { SignInController } from './sign-in.controller';
import { SignInService } from './sign-in.service';
import { RateLimitModule } from '../rate-limit';

@Module({
  imports: [
    TenantsModule,
    ApplicationsModule,
    ResourceServersModule,
    UsersModule,
    SessionsModule,
    AuditModule,
    RateLimitModule,
  ],
  controllers: [SignInController],
  providers: [SignInService],
})
export class SignInModule {}
