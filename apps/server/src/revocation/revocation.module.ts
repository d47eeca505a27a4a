import { Module } from '@nestjs/common';
import { BackchannelDelivery, RevocationEvent } from './revocation.entity';
import { RevocationRepository } from './revocation.repository';
import { RevocationService } from './revocation.service';

/** The tables this module owns; the composition root (src/entities.ts) registers them. */
export const REVOCATION_ENTITIES = [RevocationEvent, BackchannelDelivery];

@Module({
  providers: [RevocationRepository, RevocationService],
  exports: [RevocationService, RevocationRepository],
})
export class RevocationModule {}
