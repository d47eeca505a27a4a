export { AuditModule, AUDIT_ENTITIES } from './audit.module';
export { AuditService, type AuditType, type AuditInput } from './audit.service';
export { AuditEvent } from './audit-event.entity';
