import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

@Entity('audit_events')
@Index('audit_events__tenant_id__created_at', ['tenantId', 'createdAt'])
@Index('audit_events__created_at', ['createdAt'])
@Index('audit_events__tenant_id__actor_sub__created_at', ['tenantId', 'actorSub', 'createdAt'])
@Index('audit_events__tenant_id__target_id__created_at', ['tenantId', 'targetId', 'createdAt'])
@Index('audit_events__tenant_id__user_id__created_at', ['tenantId', 'userId', 'createdAt'])
export class AuditEvent {
  @PrimaryColumn('uuid') id: string;
  @Column('uuid') tenantId: string;
  @Column('text') type: string;
  @Column('uuid', { nullable: true }) sessionId: string | null;
  @Column('uuid', { nullable: true }) userId: string | null;
  @Column('text', { nullable: true }) clientId: string | null;
  @Column('text', { nullable: true }) ip: string | null;
  @Column('text', { nullable: true }) userAgent: string | null;
  /** The administrator who made a change: a principal of the tenant that issued their token. */
  @Column('text', { nullable: true }) actorSub: string | null;
  @Column('uuid', { nullable: true }) actorTenantId: string | null;
  /** Their email or client id when they acted (shown if they are gone since). */
  @Column('text', { nullable: true }) actorName: string | null;
  @Column('text', { nullable: true }) targetKind: string | null;
  @Column('text', { nullable: true }) targetId: string | null;
  @Column('text', { nullable: true }) targetName: string | null;
  @Column('jsonb') detail: Record<string, unknown>;
  @Column('timestamptz', { default: () => 'now()' }) createdAt: Date;
}
