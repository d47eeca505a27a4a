import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * One rate-limit counter per key (a client, a caller, an account, an address) in a fixed window,
 * shared by every instance. `hits` counts what the rule counts: requests, or failed sign-ins.
 * The table is UNLOGGED (see its migration): counters are worth less than a WAL flush per request.
 */
@Entity('rate_limit_counters')
export class RateLimitCounter {
  @PrimaryColumn('text') key: string;
  @Column('integer') hits: number;
  @Column('timestamptz') windowStartedAt: Date;
  @Column('timestamptz', { nullable: true }) blockedUntil: Date | null;
}
