import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Failed sign-ins per key (an account, an address) in a window; shared by every instance. */
@Entity('throttle_counters')
export class ThrottleCounter {
  @PrimaryColumn('text') key: string;
  @Column('integer') failures: number;
  @Column('timestamptz') windowStartedAt: Date;
  @Column('timestamptz', { nullable: true }) blockedUntil: Date | null;
}
