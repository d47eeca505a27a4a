import type { Application } from '../../api/types';

/** What Tessera uses a built-in client for, in the words of the page that shows it. */
export function systemClientUse(
  app: Pick<Application, 'clientId' | 'isSystem'>,
): string | undefined {
  if (!app.isSystem) return undefined;
  if (app.clientId === 'tessera-console')
    return 'signing this tenant’s administrators in to this console';
  if (app.clientId === 'tessera-automation')
    return 'scripts and deployments that call the admin API (client credentials)';
  return 'its own administration';
}

/** Why a built-in client has no Delete action. */
export const systemClientReason = (app: Pick<Application, 'clientId' | 'isSystem'>) =>
  `System client: Tessera uses it for ${systemClientUse(app)}, so it cannot be deleted.`;
