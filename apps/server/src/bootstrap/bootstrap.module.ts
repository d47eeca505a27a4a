import { Module } from '@nestjs/common';
import { AdminModule } from '../admin';
import { ApplicationsModule } from '../applications';
import { ResourceServersModule } from '../resource-servers';
import { TenantsModule } from '../tenants';
import { UsersModule } from '../users';
import { BootstrapService } from './bootstrap.service';

@Module({
  imports: [TenantsModule, ResourceServersModule, ApplicationsModule, UsersModule, AdminModule],
  providers: [BootstrapService],
  exports: [BootstrapService],
})
export class BootstrapModule {}
