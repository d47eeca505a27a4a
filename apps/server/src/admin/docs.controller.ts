import { Controller, Get, Inject } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config';
import { openApiDocument } from './openapi';

@Controller('admin/api/docs')
export class AdminDocsController {
  private readonly document: Record<string, unknown>;
  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.document = openApiDocument(config.publicUrl);
  }

  /** The OpenAPI 3.1 document of the admin API. */
  @Get()
  get(): Record<string, unknown> {
    return this.document;
  }
}
