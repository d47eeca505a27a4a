import { ConfigurableModuleBuilder } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import type { TesseraAuthOptions } from './options';
import { TesseraAuthGuard } from './tessera-auth.guard';
import { TESSERA_OPTIONS } from './tokens';

export const { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN, OPTIONS_TYPE, ASYNC_OPTIONS_TYPE } =
  new ConfigurableModuleBuilder<TesseraAuthOptions>({ optionsInjectionToken: TESSERA_OPTIONS })
    .setClassMethodName('forRoot')
    // `global: false` leaves it to @UseGuards(TesseraAuthGuard) on the routes that want it
    .setExtras({ global: true }, (definition, extras) => ({
      ...definition,
      providers: [
        ...(definition.providers ?? []),
        ...(extras.global ? [{ provide: APP_GUARD, useExisting: TesseraAuthGuard }] : []),
      ],
    }))
    .build();
