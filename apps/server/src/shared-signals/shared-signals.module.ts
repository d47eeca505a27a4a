import { Module } from '@nestjs/common';
import { ApplicationsModule } from '../applications';
import { IntrospectionModule } from '../introspection';
import { KeysModule } from '../keys';
import { RATE_LIMIT_SUBJECTS, RateLimitModule } from '../rate-limit';
import { RevocationModule } from '../revocation';
import { TenantsModule } from '../tenants';
import { PushWorker } from './push.worker';
import { SharedSignalsController } from './shared-signals.controller';
import { SsfStreamSubject } from './ssf-stream-subject.entity';
import { SsfStream } from './ssf-stream.entity';
import { SsfSubjects } from './ssf-subjects';
import { StreamsRepository } from './streams.repository';
import { StreamsService } from './streams.service';

/** The tables this module owns; the composition root (src/entities.ts) registers them. */
export const SHARED_SIGNALS_ENTITIES = [SsfStream, SsfStreamSubject];

@Module({
  imports: [
    TenantsModule,
    ApplicationsModule,
    KeysModule,
    IntrospectionModule,
    RevocationModule,
    RateLimitModule,
  ],
  controllers: [SharedSignalsController],
  // the rate-limit guard on this module's routes counts callers by their SSF API token
  providers: [
    StreamsRepository,
    StreamsService,
    PushWorker,
    { provide: RATE_LIMIT_SUBJECTS, useClass: SsfSubjects },
  ],
})
export class SharedSignalsModule {}
