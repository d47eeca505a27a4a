import { Controller, Get, Header, HttpException, HttpStatus } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Readiness } from './readiness';

@Controller()
export class HealthController {
  constructor(
    private readonly dataSource: DataSource,
    private readonly readiness: Readiness,
  ) {}

  /** The process is up. */
  @Get('healthz')
  @Header('Cache-Control', 'no-store')
  health() {
    return { status: 'ok' };
  }

  /** The database answers, migrations and the bootstrap file are applied. */
  @Get('readyz')
  @Header('Cache-Control', 'no-store')
  async ready() {
    const fail = (reason: string) =>
      new HttpException({ status: 'unavailable', reason }, HttpStatus.SERVICE_UNAVAILABLE);
    if (!this.readiness.isStarted) throw fail('starting');
    try {
      await this.dataSource.query('SELECT 1');
      if (await this.dataSource.showMigrations()) throw fail('migrations pending');
    } catch (err) {
      if (err instanceof HttpException) throw err;
      throw fail('database unreachable');
    }
    return { status: 'ready' };
  }
}
