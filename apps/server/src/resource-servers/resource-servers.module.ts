import { Module } from '@nestjs/common';
import { AuditModule } from '../audit';
import { SessionsModule } from '../sessions';
import { ResourceServersRepository } from './resource-servers.repository';
import { ResourceServersService } from './resource-servers.service';
import { ApplicationAccess, ResourceServer, UserPermission } from './resource-server.entity';

/** The tables this module owns; the composition root (src/entities.ts) registers them. */
export const RESOURCE_SERVERS_ENTITIES = [ResourceServer, ApplicationAccess, UserPermission];

@Module({
  imports: [SessionsModule, AuditModule],
  providers: [ResourceServersRepository, ResourceServersService],
  exports: [ResourceServersService],
})
export class ResourceServersModule {}
