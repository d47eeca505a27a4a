import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity('server_secrets')
export class ServerSecret {
  @PrimaryColumn('text') name: string;
  /** Wrapped (AES-256-GCM under the master key) when isWrapped. */
  @Column('bytea') value: Buffer;
  @Column('boolean') isWrapped: boolean;
  @Column('timestamptz', { default: () => 'now()' }) createdAt: Date;
}
