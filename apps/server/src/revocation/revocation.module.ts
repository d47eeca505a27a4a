import { Module } from '@nestjs/common';
import { BackchannelDelivery } from './backchannel-delivery.entity';
import { BackchannelOutbox } from './backchannel-outbox.service';
import { BackchannelRepository } from './backchannel.repository';
import { RevocationEvent } from './revocation.entity';
import { RevocationRepository } from './revocation.repository';
import { RevocationService } from './revocation.service';
import { SsfEvent } from './ssf-event.entity';
import { SsfOutboxRepository } from './ssf-outbox.repository';
import { SsfOutbox } from './ssf-outbox.service';

/** The tables this module owns; the composition root (src/entities.ts) registers them. */
export const REVOCATION_ENTITIES = [RevocationEvent, BackchannelDelivery, SsfEvent];

@Module({
  providers: [
    RevocationRepository,
    RevocationService,
    BackchannelRepository,
    BackchannelOutbox,
    SsfOutboxRepository,
    SsfOutbox,
  ],
  exports: [RevocationService, RevocationRepository, BackchannelOutbox, SsfOutbox],
})
export class RevocationModule {}
