import { Module } from '@nestjs/common';
import { AuditModule } from '../audit';
import { RevocationModule } from '../revocation';
import { KeysRepository } from './keys.repository';
import { KeysService } from './keys.service';
import { SigningKey } from './signing-key.entity';

/** The tables this module owns; the composition root (src/entities.ts) registers them. */
export const KEYS_ENTITIES = [SigningKey];

@Module({
  imports: [AuditModule, RevocationModule],
  providers: [KeysRepository, KeysService],
  exports: [KeysService],
})
export class KeysModule {}
