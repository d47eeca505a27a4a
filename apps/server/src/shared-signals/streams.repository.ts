import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { SsfStreamSubject, type SubjectFormat } from './ssf-stream-subject.entity';
import { SsfStream } from './ssf-stream.entity';

/** The streams and their subjects; every read is scoped to the owning application. */
@Injectable()
export class StreamsRepository {
  constructor(private readonly dataSource: DataSource) {}

  private get streams() {
    return this.dataSource.getRepository(SsfStream);
  }

  private get subjects() {
    return this.dataSource.getRepository(SsfStreamSubject);
  }

  async insert(stream: SsfStream): Promise<void> {
    await this.streams.insert(stream);
  }

  /** The application's stream of this id, or null: another's is as absent as none. */
  byId(tenantId: string, applicationId: string, id: string): Promise<SsfStream | null> {
    return this.streams.findOneBy({ tenantId, applicationId, id });
  }

  list(tenantId: string, applicationId: string): Promise<SsfStream[]> {
    return this.streams.find({ where: { tenantId, applicationId }, order: { createdAt: 'ASC' } });
  }

  count(tenantId: string, applicationId: string): Promise<number> {
    return this.streams.countBy({ tenantId, applicationId });
  }

  async update(id: string, changes: Partial<SsfStream>): Promise<void> {
    await this.streams.update({ id }, { ...changes, updatedAt: () => 'now()' } as never);
  }

  /** With its subjects and outbox rows (ON DELETE CASCADE). */
  async remove(id: string): Promise<void> {
    await this.streams.delete({ id });
  }

  async addSubject(streamId: string, format: SubjectFormat, value: string): Promise<void> {
    await this.subjects
      .createQueryBuilder()
      .insert()
      .values({ streamId, format, value })
      .orIgnore()
      .execute();
  }

  subjectCount(streamId: string): Promise<number> {
    return this.subjects.countBy({ streamId });
  }

  hasSubject(streamId: string, format: SubjectFormat, value: string): Promise<boolean> {
    return this.subjects.existsBy({ streamId, format, value });
  }

  /** The stream's outbox rows of this type still waiting to be delivered. */
  async pendingCount(streamId: string, eventType: string): Promise<number> {
    const [row] = await this.dataSource.query(
      `SELECT count(*)::int AS n FROM ssf_events
       WHERE stream_id = $1 AND event_type = $2 AND status = 'pending'`,
      [streamId, eventType],
    );
    return row.n;
  }

  async removeSubject(streamId: string, format: SubjectFormat, value: string): Promise<number> {
    return (await this.subjects.delete({ streamId, format, value })).affected ?? 0;
  }
}
