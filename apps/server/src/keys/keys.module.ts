import { Module } from '@nestjs/common';
import { KeysRepository } from './keys.repository';
import { KeysService } from './keys.service';

@Module({ providers: [KeysRepository, KeysService], exports: [KeysService] })
export class KeysModule {}
