import { Check, Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * The back-channel logout outbox: a row is written in the transaction that ends the session (so
 * it is never lost nor sent for a revocation that rolled back); logout's worker sends it.
 */
@Entity('backchannel_deliveries')
@Index('backchannel_deliveries__status__next_attempt_at', ['status', 'nextAttemptAt'])
@Index('backchannel_deliveries__session_id', ['sessionId'])
@Index('backchannel_deliveries__created_at', ['createdAt'])
@Index('backchannel_deliveries__tenant_id__created_at__failed', ['tenantId', 'createdAt'], {
  where: `status = 'failed'`,
})
@Check('backchannel_deliveries__status', `status IN ('pending', 'delivered', 'failed')`)
export class BackchannelDelivery {
  @PrimaryColumn('uuid') id: string;
  @Column('uuid') tenantId: string;
  @Column('uuid') applicationId: string;
  @Column('uuid') sessionId: string;
  @Column('text') sub: string;
  @Column('text') status: 'pending' | 'delivered' | 'failed';
  @Column('integer', { default: 0 }) attempts: number;
  @Column('timestamptz', { default: () => 'now()' }) nextAttemptAt: Date;
  @Column('text', { nullable: true }) lastError: string | null;
  @Column('timestamptz', { default: () => 'now()' }) createdAt: Date;
  @Column('timestamptz', { nullable: true }) deliveredAt: Date | null;
}
