import { Module } from '@nestjs/common';
import { KeysModule } from '../keys';
import { TenantsModule } from '../tenants';
import { DiscoveryController } from './discovery.controller';

@Module({ imports: [TenantsModule, KeysModule], controllers: [DiscoveryController] })
export class DiscoveryModule {}
