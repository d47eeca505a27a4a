import { Inject, Module, type OnModuleDestroy } from '@nestjs/common';
import { validateOptions, type TesseraAuthOptions } from './options';
import { TesseraAuthGuard } from './tessera-auth.guard';
import { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN } from './tessera-auth.module-definition';
import { TesseraVerifier } from './verifier/tessera-verifier';
import { TesseraExchange } from './exchange';

/**
 * `TesseraAuthModule.forRoot({ issuer, audience, clientId, clientSecret })` or `forRootAsync(...)`:
 * validates tokens for one resource server and guards every route (unless `global: false`).
 */
@Module({
  providers: [
    {
      provide: TesseraVerifier,
      inject: [MODULE_OPTIONS_TOKEN],
      useFactory: async (options: TesseraAuthOptions) => {
        const verifier = new TesseraVerifier(validateOptions(options));
        await verifier.init();
        return verifier;
      },
    },
    TesseraAuthGuard,
    TesseraExchange,
  ],
  exports: [TesseraVerifier, TesseraAuthGuard, MODULE_OPTIONS_TOKEN, TesseraExchange],
})
export class TesseraAuthModule extends ConfigurableModuleClass implements OnModuleDestroy {
  constructor(@Inject(TesseraVerifier) private readonly verifier: TesseraVerifier) {
    super();
  }

  onModuleDestroy(): void {
    this.verifier.close();
  }
}
