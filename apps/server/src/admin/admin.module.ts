import { Module } from '@nestjs/common';
import { ApplicationsModule } from '../applications';
import { KeysModule } from '../keys';
import { ResourceServersModule } from '../resource-servers';
import { TenantsModule } from '../tenants';
import { UsersModule } from '../users';
import { AdminApplicationsController } from './admin-applications.controller';
import { AdminAuthGuard } from './admin-auth.guard';
import { AdminKeysController } from './admin-keys.controller';
import { AdminSessionsController } from './admin-sessions.controller';
import { AdminUsersController } from './admin-users.controller';
import { SessionsModule } from '../sessions';
import { AdminResourceServersController } from './admin-resource-servers.controller';
import { AdminTenantsController } from './admin-tenants.controller';
import { AdminDocsController } from './docs.controller';
import { AdminSecurityController } from './admin-security.controller';
import { AuditModule } from '../audit';
import { LogoutModule } from '../logout';
import { SystemSetup } from './system-setup.service';
import { TenantAccessService } from './tenant-access.service';
import { TenantAdminsRepository } from './tenant-admins.repository';

@Module({
  imports: [
    TenantsModule,
    KeysModule,
    ApplicationsModule,
    ResourceServersModule,
    UsersModule,
    SessionsModule,
    AuditModule,
    LogoutModule,
  ],
  controllers: [
    AdminTenantsController,
    AdminApplicationsController,
    AdminResourceServersController,
    AdminKeysController,
    AdminUsersController,
    AdminSessionsController,
    AdminSecurityController,
    AdminDocsController,
  ],
  providers: [AdminAuthGuard, TenantAccessService, TenantAdminsRepository, SystemSetup],
  exports: [SystemSetup, TenantAccessService],
})
export class AdminModule {}
