export { AuditModule, AUDIT_ENTITIES } from './audit.module';
export {
  AuditService,
  ADMIN_CHANGE_TYPES,
  AUDIT_EXPORT_LIMIT,
  type AdminChangeType,
  type AuditFilters,
  type AuditType,
  type AuditInput,
} from './audit.service';
export { AuditEvent } from './audit-event.entity';
