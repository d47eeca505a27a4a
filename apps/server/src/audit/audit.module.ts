import { Module } from '@nestjs/common';
import { AuditService } from './audit.service';
import { AuditEvent } from './audit-event.entity';

/** The tables this module owns; the composition root (src/entities.ts) registers them. */
export const AUDIT_ENTITIES = [AuditEvent];

@Module({ providers: [AuditService], exports: [AuditService] })
export class AuditModule {}
