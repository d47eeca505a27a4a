import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * A DPoP proof accepted at the token endpoint (RFC 9449 §11.1), by the SHA-256 of its key's
 * thumbprint and its `jti`: a second presentation finds the row on any instance. Kept until the
 * proof falls out of the acceptance window; the retention job deletes it after.
 */
@Entity('dpop_proofs')
@Index('dpop_proofs__expires_at', ['expiresAt'])
export class DpopProof {
  @PrimaryColumn('uuid') tenantId: string;
  @PrimaryColumn('bytea') proofHash: Buffer;
  @Column('timestamptz') expiresAt: Date;
}
