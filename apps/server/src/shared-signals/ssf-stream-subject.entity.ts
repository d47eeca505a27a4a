import { Check, Column, Entity, PrimaryColumn } from 'typeorm';

export type SubjectFormat = 'iss_sub' | 'email';

/**
 * A subject added to a stream (SSF 1.0 §8.1.3). A stream with none receives events about every
 * subject of the tenant; once one is added, only events about its added subjects.
 */
@Entity('ssf_stream_subjects')
@Check('ssf_stream_subjects__format', `format IN ('iss_sub', 'email')`)
export class SsfStreamSubject {
  @PrimaryColumn('uuid') streamId: string;
  @PrimaryColumn('text') format: SubjectFormat;
  /** `sub` for iss_sub (its `iss` is the tenant's issuer), the lower-cased address for email. */
  @PrimaryColumn('text') value: string;
  @Column('timestamptz', { default: () => 'now()' }) createdAt: Date;
}
