import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

@Entity('audit_events')
@Index('audit_events__tenant_id__created_at', ['tenantId', 'createdAt'])
@Index('audit_events__created_at', ['createdAt'])
export class AuditEvent {
  @PrimaryColumn('uuid') id: string;
  @Column('uuid') tenantId: string;
  @Column('text') type: string;
  @Column('uuid', { nullable: true }) sessionId: string | null;
  @Column('uuid', { nullable: true }) userId: string | null;
  @Column('text', { nullable: true }) clientId: string | null;
  @Column('text', { nullable: true }) ip: string | null;
  @Column('text', { nullable: true }) userAgent: string | null;
  @Column('jsonb') detail: Record<string, unknown>;
  @Column('timestamptz', { default: () => 'now()' }) createdAt: Date;
}
