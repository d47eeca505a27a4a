import { Module } from '@nestjs/common';
import { AuditModule } from '../audit';
import { ResourceServersModule } from '../resource-servers';
import { RevocationModule } from '../revocation';
import { SessionsModule } from '../sessions';
import { ApplicationsRepository } from './applications.repository';
import { ApplicationsService } from './applications.service';
import { Application } from './application.entity';

/** The tables this module owns; the composition root (src/entities.ts) registers them. */
export const APPLICATIONS_ENTITIES = [Application];

@Module({
  imports: [ResourceServersModule, SessionsModule, RevocationModule, AuditModule],
  providers: [ApplicationsRepository, ApplicationsService],
  exports: [ApplicationsService],
})
export class ApplicationsModule {}
