import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * One rate-limit counter per key (a client, a caller, an account, an address) in a fixed window,
 * shared by every instance. `failures` counts what the rule counts: requests, or failed sign-ins.
 */
@Entity('throttle_counters')
export class ThrottleCounter {
  @PrimaryColumn('text') key: string;
  @Column('integer') failures: number;
  @Column('timestamptz') windowStartedAt: Date;
  @Column('timestamptz', { nullable: true }) blockedUntil: Date | null;
}
