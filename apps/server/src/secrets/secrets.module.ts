import { Global, Module } from '@nestjs/common';
import { SecretsService } from './secrets.service';
import { ServerSecret } from './server-secret.entity';

/** The tables this module owns; the composition root (src/entities.ts) registers them. */
export const SECRETS_ENTITIES = [ServerSecret];

@Global()
@Module({ providers: [SecretsService], exports: [SecretsService] })
export class SecretsModule {}
