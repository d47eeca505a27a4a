import { Check, Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * The Shared Signals outbox: one row per stream and event, written in the transaction that records
 * what happened (a session ended, a credential changed), so no event is lost nor sent for a change
 * that rolled back. The shared-signals module delivers it: by poll until acknowledged (RFC 8936),
 * by push until the receiver accepts it (RFC 8935).
 */
@Entity('ssf_events')
@Index('ssf_events__stream_id__id__pending', ['streamId', 'id'], { where: `status = 'pending'` })
@Index('ssf_events__next_attempt_at__pending', ['nextAttemptAt'], { where: `status = 'pending'` })
@Index('ssf_events__created_at', ['createdAt'])
@Index('ssf_events__jti', ['jti'], { unique: true })
@Check('ssf_events__status', `status IN ('pending', 'delivered', 'failed')`)
export class SsfEvent {
  @PrimaryGeneratedColumn('increment', { type: 'bigint' }) id: string;
  @Column('uuid') jti: string;
  @Column('uuid') tenantId: string;
  @Column('uuid') streamId: string;
  /** The event type URI (CAEP 1.0, or SSF 1.0 §8.1.4's verification). */
  @Column('text') eventType: string;
  /** What the event is about: `sub`, `sid`, `email`, `client_id`, or `stream_id` (verification). */
  @Column('jsonb') subject: Record<string, string>;
  /** The event's own members besides `event_timestamp` (CAEP 1.0 §3). */
  @Column('jsonb', { default: {} }) detail: Record<string, unknown>;
  @Column('text', { default: 'pending' }) status: 'pending' | 'delivered' | 'failed';
  @Column('integer', { default: 0 }) attempts: number;
  @Column('timestamptz', { default: () => 'now()' }) nextAttemptAt: Date;
  @Column('text', { nullable: true }) lastError: string | null;
  @Column('timestamptz', { default: () => 'now()' }) createdAt: Date;
  @Column('timestamptz', { nullable: true }) deliveredAt: Date | null;
}
