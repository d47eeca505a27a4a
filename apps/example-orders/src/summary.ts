import { Controller, Get, HttpException, Inject } from '@nestjs/common';
import {
  Principal,
  RequireScopes,
  TesseraExchange,
  TokenExchangeError,
  type TesseraPrincipal,
} from '@tessera/nest-guards';
import { OrdersService } from './orders';

/** The second service this one calls on the user's behalf (TESSERA_DOWNSTREAM_URL/_AUDIENCE). */
export interface Downstream {
  url: string;
  audience: string;
}
export const DOWNSTREAM = Symbol('DOWNSTREAM');

/** What a summary says: how many orders, for whom, who acted (RFC 8693 `act`), and the downstream's. */
export interface Summary {
  orders: number;
  sub: string;
  act: unknown;
  downstream?: unknown;
}

@Controller('orders')
export class SummaryController {
  constructor(
    private readonly orders: OrdersService,
    private readonly tessera: TesseraExchange,
    @Inject(DOWNSTREAM) private readonly downstream: Downstream | null,
  ) {}

  /**
   * This service's orders, and when a downstream is configured, its summary too, fetched with a
   * token exchanged for the caller's (the user stays the subject; this service is the actor).
   */
  @Get('summary')
  @RequireScopes('orders:read')
  async summary(@Principal() who: TesseraPrincipal): Promise<Summary> {
    this.orders.handled++;
    const own = { orders: this.orders.list().length, sub: who.sub, act: who.claims.act ?? null };
    if (!this.downstream) return own;
    let token: string;
    try {
      ({ accessToken: token } = await this.tessera.exchange(who, {
        resource: this.downstream.audience,
        scope: 'orders:read',
      }));
    } catch (err) {
      if (err instanceof TokenExchangeError)
        throw new HttpException({ error: 'downstream_refused', exchange: err.error }, 502);
      throw err;
    }
    const res = await fetch(`${this.downstream.url}/orders/summary`, {
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(10_000),
    });
    if (!res.ok) throw new HttpException({ error: 'downstream_failed', status: res.status }, 502);
    return { ...own, downstream: await res.json() };
  }
}
