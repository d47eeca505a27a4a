import { Module } from '@nestjs/common';
import { ApplicationsModule } from '../applications';
import { AuditModule } from '../audit';
import { ResourceServersModule } from '../resource-servers';
import { SessionsModule } from '../sessions';
import { TenantsModule } from '../tenants';
import { UsersModule } from '../users';
import { SignInController } from './sign-in.controller';
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
})
export class SignInModule {}
