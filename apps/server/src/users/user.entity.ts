import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

@Entity('users')
@Index('users__tenant_id__email', ['tenantId', 'email'], { unique: true })
export class User {
  @PrimaryColumn('uuid') id: string;
  @Column('uuid') tenantId: string;
  /** Stored lower-cased, so uniqueness ignores case. */
  @Column('text') email: string;
  /** argon2id PHC string. */
  @Column('text') passwordHash: string;
  @Column('boolean', { default: false }) isDisabled: boolean;
  @Column('jsonb') roles: string[];
  @Column('timestamptz', { default: () => 'now()' }) createdAt: Date;
  @Column('timestamptz', { default: () => 'now()' }) updatedAt: Date;
}
