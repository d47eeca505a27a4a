import { Inject, Injectable, Logger } from '@nestjs/common';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config';
import { digestsEqual, hmacSha256, open, seal } from './crypto';
import { ServerSecret } from './server-secret.entity';

const SECRET_NAMES = ['token-hmac', 'key-encryption', 'refresh-derivation'] as const;
type SecretName = (typeof SECRET_NAMES)[number];

/**
 * The server's own secrets, generated on first start and kept in the database so every instance
 * shares them. They are wrapped with the master key: in embedded mode a file in the data dir
 * (mode 0600, generated); in server mode TESSERA_MASTER_KEY when set (recommended), otherwise
 * stored unwrapped with a warning at every start.
 */
@Injectable()
export class SecretsService {
  private readonly logger = new Logger('Secrets');
  private secrets = new Map<SecretName, Buffer>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly dataSource: DataSource,
  ) {}

  async load(embedded: boolean): Promise<void> {
    const master = this.masterKey(embedded);
    if (!master) {
      this.logger.warn(
        'TESSERA_MASTER_KEY is not set: server secrets are stored unwrapped in the database; set it in production',
      );
    }
    const repo = this.dataSource.getRepository(ServerSecret);
    for (const name of SECRET_NAMES) {
      const fresh = randomBytes(32);
      // first writer wins; every instance then reads the same value
      await repo
        .createQueryBuilder()
        .insert()
        .values({
          name,
          value: master ? seal(master, fresh, `secret:${name}`) : fresh,
          isWrapped: !!master,
        })
        .orIgnore()
        .execute();
      const row = await repo.findOneByOrFail({ name });
      if (row.isWrapped && !master) {
        throw new Error(
          'TESSERA_MASTER_KEY: the server secrets are wrapped with a master key; set the same TESSERA_MASTER_KEY',
        );
      }
      let value: Buffer;
      try {
        value = row.isWrapped && master ? open(master, row.value, `secret:${name}`) : row.value;
      } catch {
        throw new Error(
          'TESSERA_MASTER_KEY: does not unwrap the server secrets stored in this database',
        );
      }
      if (!row.isWrapped && master) {
        await repo.update(
          { name },
          { value: seal(master, value, `secret:${name}`), isWrapped: true },
        );
      }
      this.secrets.set(name, value);
    }
  }

  private masterKey(embedded: boolean): Buffer | undefined {
    if (this.config.masterKey) return Buffer.from(this.config.masterKey, 'base64url');
    if (!embedded) return undefined;
    const path = join(this.config.dataDir, 'master.key');
    if (!existsSync(path)) {
      mkdirSync(this.config.dataDir, { recursive: true, mode: 0o700 });
      writeFileSync(path, randomBytes(32).toString('base64url'), { mode: 0o600, flag: 'wx' });
    }
    return Buffer.from(readFileSync(path, 'utf8').trim(), 'base64url');
  }

  private get(name: SecretName): Buffer {
    const s = this.secrets.get(name);
    if (!s) throw new Error('Server secrets are not loaded');
    return s;
  }

  /** HMAC-SHA256 under the token key: how tokens, codes, cookies and client secrets are stored. */
  tokenHash(value: string): Buffer {
    return hmacSha256(this.get('token-hmac'), value);
  }

  tokenHashMatches(value: string, stored: Buffer): boolean {
    return digestsEqual(this.tokenHash(value), stored);
  }

  /** Derives a refresh token's successor from it, so a grace replay can return the same one. */
  deriveSuccessor(presented: string): string {
    return hmacSha256(this.get('refresh-derivation'), presented).toString('base64url');
  }

  sealPrivateKey(der: Buffer, kid: string): Buffer {
    return seal(this.get('key-encryption'), der, `signing-key:${kid}`);
  }

  openPrivateKey(sealed: Buffer, kid: string): Buffer {
    return open(this.get('key-encryption'), sealed, `signing-key:${kid}`);
  }

  /** A credential a tenant gave the server to present elsewhere (a push endpoint's Authorization). */
  sealValue(value: string, purpose: string): Buffer {
    return seal(this.get('key-encryption'), Buffer.from(value), purpose);
  }

  openValue(sealed: Buffer, purpose: string): string {
    return open(this.get('key-encryption'), sealed, purpose).toString();
  }
}
