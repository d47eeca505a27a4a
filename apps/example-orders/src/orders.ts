import { Body, Controller, Get, HttpCode, HttpException, Injectable, Post } from '@nestjs/common';
import { Principal, Public, RequireScopes, type TesseraPrincipal } from '@tessera/nest-guards';

export interface Order {
  id: number;
  item: string;
  quantity: number;
  createdBy: string;
  createdAt: string;
}

/** Orders kept in memory since the service started. */
@Injectable()
export class OrdersService {
  private readonly orders: Order[] = [];
  /** How many times a handler ran: tests check refused requests never reach one. */
  handled = 0;

  list(): Order[] {
    return this.orders;
  }

  create(item: string, quantity: number, createdBy: string): Order {
    const order = {
      id: this.orders.length + 1,
      item,
      quantity,
      createdBy,
      createdAt: new Date().toISOString(),
    };
    this.orders.push(order);
    return order;
  }
}

@Controller('orders')
export class OrdersController {
  constructor(private readonly orders: OrdersService) {}

  @Get()
  @RequireScopes('orders:read')
  list(): Order[] {
    this.orders.handled++;
    return this.orders.list();
  }

  @Post()
  @HttpCode(201)
  @RequireScopes('orders:write')
  create(@Body() body: unknown, @Principal() who: TesseraPrincipal): Order {
    this.orders.handled++;
    const b = body as { item?: unknown; quantity?: unknown };
    if (
      typeof b?.item !== 'string' ||
      !b.item ||
      typeof b.quantity !== 'number' ||
      !Number.isInteger(b.quantity) ||
      b.quantity < 1
    ) {
      throw new HttpException(
        {
          error: 'invalid_request',
          error_description: 'Send {"item": string, "quantity": positive integer}',
        },
        400,
      );
    }
    return this.orders.create(b.item, b.quantity, who.sub);
  }
}

/** The same read without the guard: the benchmark's baseline for the guard's own cost. */
@Controller('unguarded/orders')
export class UnguardedOrdersController {
  constructor(private readonly orders: OrdersService) {}

  @Get()
  @Public()
  list(): Order[] {
    return this.orders.list();
  }
}
