import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { TesseraPrincipal } from '../options';

export const PRINCIPAL_KEY = 'tesseraPrincipal';

/** The verified caller `{ sub, clientId, scopes, sid, jkt, claims }`, set by the guard before the handler runs. */
export const Principal = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): TesseraPrincipal | undefined => {
    const req = ctx.switchToHttp().getRequest<Record<string, unknown>>();
    return (req[PRINCIPAL_KEY] ?? req.user) as TesseraPrincipal | undefined;
  },
);
