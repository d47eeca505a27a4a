import { Controller, Get, Inject } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config';
import { ADMIN_CONTROLLERS } from './admin-controllers';
import { openApiDocument } from './openapi';

@Controller('admin/api/docs')
export class AdminDocsController {
  private document?: Record<string, unknown>;
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /** The OpenAPI 3.1 document of the admin API, generated from its controllers. */
  @Get()
  get(): Record<string, unknown> {
    // built at the first request, not at start-up (some 35 ms of schema conversion): the committed
    // document plus where this server answers
    this.document ??= {
      ...openApiDocument(ADMIN_CONTROLLERS),
      servers: [{ url: this.config.publicUrl }],
    };
    return this.document;
  }
}
