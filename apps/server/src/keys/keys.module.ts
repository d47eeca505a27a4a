import { Module } from '@nestjs/common';
import { AuditModule } from '../audit';
import { RevocationModule } from '../revocation';
import { KeysRepository } from './keys.repository';
import { KeysService } from './keys.service';

@Module({
  imports: [AuditModule, RevocationModule],
  providers: [KeysRepository, KeysService],
  exports: [KeysService],
})
export class KeysModule {}
