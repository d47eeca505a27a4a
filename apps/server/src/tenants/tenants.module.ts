import { Module } from '@nestjs/common';
import { KeysModule } from '../keys';
import { TenantsRepository } from './tenants.repository';
import { TenantsService } from './tenants.service';
import { Tenant } from './tenant.entity';

/** The tables this module owns; the composition root (src/entities.ts) registers them. */
export const TENANTS_ENTITIES = [Tenant];

@Module({
  imports: [KeysModule],
  providers: [TenantsRepository, TenantsService],
  exports: [TenantsService],
})
export class TenantsModule {}
