import { Controller, Get, HttpException, Module, type DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { HealthCheckService, TerminusModule } from '@nestjs/terminus';
import {
  Public,
  TesseraAuthModule,
  type TesseraAuthOptions,
  type ValidationMode,
} from '@tessera/nest-guards';
import { TesseraHealthIndicator } from '@tessera/nest-guards/terminus';
import { OrdersController, OrdersService, UnguardedOrdersController } from './orders';
import { DOWNSTREAM, SummaryController, type Downstream } from './summary';

/** The guard library's options (its documented variables set a few; tests may set any) and the port. */
export interface OrdersConfig extends TesseraAuthOptions {
  port: number;
  /** GET /orders/summary also asks this second service, on the user's behalf (token exchange). */
  downstream?: Downstream;
}

/** The example's whole configuration, from its documented variables (README). */
export function ordersConfig(env: NodeJS.ProcessEnv): OrdersConfig {
  const need = (k: string) => {
    const v = env[k];
    if (!v) throw new Error(`${k} is required`);
    return v;
  };
  const mode = env.TESSERA_MODE as ValidationMode | undefined;
  if (mode && !['jwt', 'introspection', 'jwt+feed'].includes(mode))
    throw new Error('TESSERA_MODE: must be jwt, introspection or jwt+feed');
  return {
    port: Number(env.PORT ?? 4000),
    issuer: need('TESSERA_ISSUER').replace(/\/+$/, ''),
    audience: need('TESSERA_AUDIENCE'),
    clientId: env.TESSERA_CLIENT_ID || undefined,
    clientSecret: env.TESSERA_CLIENT_SECRET || undefined,
    mode,
    ...downstreamConfig(env),
  };
}

/** TESSERA_DOWNSTREAM_URL and TESSERA_DOWNSTREAM_AUDIENCE: both, or neither. */
function downstreamConfig(env: NodeJS.ProcessEnv): { downstream?: Downstream } {
  const url = env.TESSERA_DOWNSTREAM_URL;
  const audience = env.TESSERA_DOWNSTREAM_AUDIENCE;
  if (!url && !audience) return {};
  if (!url || !audience)
    throw new Error('TESSERA_DOWNSTREAM_URL and TESSERA_DOWNSTREAM_AUDIENCE go together');
  return { downstream: { url: url.replace(/\/+$/, ''), audience } };
}

@Controller('healthz')
class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly tessera: TesseraHealthIndicator,
  ) {}

  /** 200 once the guard has the JWKS (and, in feed mode, the feed). */
  @Get()
  @Public()
  async check() {
    try {
      return await this.health.check([() => this.tessera.check()]);
    } catch (err) {
      throw err instanceof HttpException ? err : new HttpException({ status: 'error' }, 503);
    }
  }
}

@Module({})
export class OrdersModule {
  static register({ port: _port, downstream, ...guard }: OrdersConfig): DynamicModule {
    return {
      module: OrdersModule,
      imports: [TerminusModule, TesseraAuthModule.forRoot(guard)],
      controllers: [
        OrdersController,
        UnguardedOrdersController,
        HealthController,
        SummaryController,
      ],
      providers: [
        OrdersService,
        TesseraHealthIndicator,
        { provide: DOWNSTREAM, useValue: downstream ?? null },
      ],
    };
  }
}

export async function startOrders(c: OrdersConfig) {
  const app = await NestFactory.create(OrdersModule.register(c), {
    logger: ['error', 'warn'],
    abortOnError: false,
  });
  app.enableShutdownHooks();
  await app.listen(c.port, '127.0.0.1');
  return app;
}
