import { Check, Column, Entity, Index, PrimaryColumn } from 'typeorm';

export const PUSH = 'urn:ietf:rfc:8935';
export const POLL = 'urn:ietf:rfc:8936';
export type DeliveryMethod = typeof PUSH | typeof POLL;
export type StreamStatus = 'enabled' | 'paused' | 'disabled';

/**
 * An SSF event stream (SSF 1.0 §8): one receiver's subscription to the tenant's events. It belongs
 * to the application whose client_credentials token created it; no other application sees it.
 */
@Entity('ssf_streams')
@Index('ssf_streams__tenant_id__application_id', ['tenantId', 'applicationId'])
@Check(
  'ssf_streams__delivery_method',
  `delivery_method IN ('urn:ietf:rfc:8935', 'urn:ietf:rfc:8936')`,
)
@Check('ssf_streams__status', `status IN ('enabled', 'paused', 'disabled')`)
export class SsfStream {
  @PrimaryColumn('uuid') id: string;
  @Column('uuid') tenantId: string;
  @Column('uuid') applicationId: string;
  /** The SETs' `aud`: the owning application's client id. */
  @Column('text') audience: string;
  @Column('text', { array: true, default: '{}' }) eventsRequested: string[];
  @Column('text', { array: true, default: '{}' }) eventsDelivered: string[];
  @Column('text') deliveryMethod: DeliveryMethod;
  /** Push: the receiver's endpoint. Poll: null (the endpoint is the transmitter's). */
  @Column('text', { nullable: true }) endpointUrl: string | null;
  /** Push: the receiver's Authorization header value, sealed (SecretsService.sealValue). */
  @Column('bytea', { nullable: true }) authorizationHeader: Buffer | null;
  @Column('text', { nullable: true }) description: string | null;
  @Column('text', { default: 'enabled' }) status: StreamStatus;
  @Column('text', { nullable: true }) statusReason: string | null;
  @Column('timestamptz', { default: () => 'now()' }) createdAt: Date;
  @Column('timestamptz', { default: () => 'now()' }) updatedAt: Date;
}
