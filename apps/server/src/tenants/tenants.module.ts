import { Module } from '@nestjs/common';
import { KeysModule } from '../keys';
import { TenantPurge } from './tenant-purge';
import { TenantsRepository } from './tenants.repository';
import { TenantsService } from './tenants.service';

@Module({
  imports: [KeysModule],
  providers: [TenantsRepository, TenantsService, TenantPurge],
  exports: [TenantsService],
})
export class TenantsModule {}
