import { Module } from '@nestjs/common';
import { RevocationRepository } from './revocation.repository';
import { RevocationService } from './revocation.service';

@Module({
  providers: [RevocationRepository, RevocationService],
  exports: [RevocationService, RevocationRepository],
})
export class RevocationModule {}
