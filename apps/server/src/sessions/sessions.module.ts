import { Module } from '@nestjs/common';
import { AuditModule } from '../audit';
import { RevocationModule } from '../revocation';
import { RefreshFamiliesService } from './refresh-families.service';
import { SessionsRepository } from './sessions.repository';
import { SessionsService } from './sessions.service';
import {
  AuthorizationCode,
  RefreshToken,
  RefreshTokenFamily,
  Session,
  SessionSurface,
} from './session.entity';

/** The tables this module owns; the composition root (src/entities.ts) registers them. */
export const SESSIONS_ENTITIES = [
  Session,
  SessionSurface,
  RefreshTokenFamily,
  RefreshToken,
  AuthorizationCode,
];

@Module({
  imports: [AuditModule, RevocationModule],
  providers: [SessionsRepository, SessionsService, RefreshFamiliesService],
  exports: [SessionsService, RefreshFamiliesService],
})
export class SessionsModule {}
