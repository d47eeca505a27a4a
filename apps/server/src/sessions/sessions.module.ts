import { Module } from '@nestjs/common';
import { AuditModule } from '../audit';
import { RevocationModule } from '../revocation';
import { RefreshFamiliesService } from './refresh-families.service';
import { SessionsRepository } from './sessions.repository';
import { SessionsService } from './sessions.service';

@Module({
  imports: [AuditModule, RevocationModule],
  providers: [SessionsRepository, SessionsService, RefreshFamiliesService],
  exports: [SessionsService, RefreshFamiliesService],
})
export class SessionsModule {}
