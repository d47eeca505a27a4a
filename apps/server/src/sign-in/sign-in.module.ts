import { Module } from '@nestjs/common';
import { ApplicationsModule } from '../applications';
import { AuditModule } from '../audit';
import { ResourceServersModule } from '../resource-servers';
import { SessionsModule } from '../sessions';
import { TenantsModule } from '../tenants';
import { UsersModule } from '../users';
import { SignInController } from './sign-in.controller';
import { ThrottleService } from './throttle.service';

@Module({
  imports: [
    TenantsModule,
    ApplicationsModule,
    ResourceServersModule,
    UsersModule,
    SessionsModule,
    AuditModule,
  ],
  controllers: [SignInController],
  providers: [ThrottleService],
})
export class SignInModule {}
