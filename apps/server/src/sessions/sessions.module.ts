import { Module } from '@nestjs/common';
import { AuditModule } from '../audit';
import { RevocationModule } from '../revocation';
import { GrantsService } from './grants.service';
import { SessionsRepository } from './sessions.repository';
import { SessionsService } from './sessions.service';

@Module({
  imports: [AuditModule, RevocationModule],
  providers: [SessionsRepository, SessionsService, GrantsService],
  exports: [SessionsService, GrantsService],
})
export class SessionsModule {}
