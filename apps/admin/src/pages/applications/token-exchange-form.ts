import { z } from 'zod';
import { MAX_TOKEN_EXCHANGE_DEPTH, type TokenExchangePolicy } from '@tessera/contracts';
import type { Application, ResourceServer } from '../../api/types';

/** One row per resource server of the tenant: ticked, it is a target of the exchange policy. */
export const tokenExchangeFormSchema = z.object({
  targets: z.array(
    z.object({ resourceServer: z.string(), isEnabled: z.boolean(), scopes: z.array(z.string()) }),
  ),
  maxDepth: z.enum(['1', '2', '3', '4', '5']),
});
export type TokenExchangeForm = z.infer<typeof tokenExchangeFormSchema>;

export const DEPTH_OPTIONS = Array.from({ length: MAX_TOKEN_EXCHANGE_DEPTH }, (_, i) => ({
  value: String(i + 1) as TokenExchangeForm['maxDepth'],
  label: i === 0 ? '1 (acts directly for the user)' : `${i + 1} (a chain of ${i + 1} services)`,
}));

export function tokenExchangeFormOf(
  app: Application | undefined,
  servers: ResourceServer[],
): TokenExchangeForm {
  const policy = app?.tokenExchange;
  return {
    targets: servers.map((rs) => {
      const t = policy?.targets.find((x) => x.resourceServer === rs.identifier);
      return { resourceServer: rs.identifier, isEnabled: !!t, scopes: t?.scopes ?? [] };
    }),
    maxDepth: String(policy?.maxDepth ?? 1) as TokenExchangeForm['maxDepth'],
  };
}

/** No ticked target: no policy (the application exchanges nothing). */
export function toTokenExchangeInput(f: TokenExchangeForm): TokenExchangePolicy | null {
  const targets = f.targets
    .filter((t) => t.isEnabled)
    .map((t) => ({ resourceServer: t.resourceServer, scopes: t.scopes }));
  return targets.length ? { targets, maxDepth: Number(f.maxDepth) } : null;
}
