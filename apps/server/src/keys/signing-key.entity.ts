import { Check, Column, Entity, Index, PrimaryColumn } from 'typeorm';

export type KeyState = 'next' | 'active' | 'retired' | 'withdrawn';

@Entity('signing_keys')
@Index('signing_keys__kid', ['kid'], { unique: true })
@Index('signing_keys__tenant_id__state', ['tenantId', 'state'])
@Index('signing_keys__one_active', ['tenantId'], { unique: true, where: `state = 'active'` })
@Index('signing_keys__one_next', ['tenantId'], { unique: true, where: `state = 'next'` })
@Check('signing_keys__state', `state IN ('next', 'active', 'retired', 'withdrawn')`)
export class SigningKey {
  @PrimaryColumn('uuid') id: string;
  @Column('uuid') tenantId: string;
  @Column('text') kid: string;
  @Column('text') alg: 'ES256' | 'EdDSA';
  @Column('text') state: KeyState;
  @Column('jsonb') publicJwk: Record<string, string>;
  /** AES-256-GCM under the key-encryption secret: iv ‖ tag ‖ ciphertext of the PKCS#8 DER. */
  @Column('bytea') privateKeyEnc: Buffer;
  @Column('timestamptz', { default: () => 'now()' }) createdAt: Date;
  @Column('timestamptz', { nullable: true }) activatedAt: Date | null;
  @Column('timestamptz', { nullable: true }) retiredAt: Date | null;
  /** A retired key stays in the JWKS until every token it signed has expired. */
  @Column('timestamptz', { nullable: true }) publishUntil: Date | null;
  /** Withdrawn (a leaked key): out of the JWKS at once, every token it signed refused. */
  @Column('timestamptz', { nullable: true }) withdrawnAt: Date | null;
}
