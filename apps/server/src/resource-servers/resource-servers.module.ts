import { Module } from '@nestjs/common';
import { AuditModule } from '../audit';
import { SessionsModule } from '../sessions';
import { ResourceServersRepository } from './resource-servers.repository';
import { ResourceServersService } from './resource-servers.service';

@Module({
  imports: [SessionsModule, AuditModule],
  providers: [ResourceServersRepository, ResourceServersService],
  exports: [ResourceServersService],
})
export class ResourceServersModule {}
