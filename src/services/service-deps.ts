import type { PlaidApi } from 'plaid';
import type { Config } from '../config/load-config.js';
import type { Database, Sql } from '../db/client.js';
import type { WebhookEnqueuer } from '../webhooks/webhook-enqueuer.js';
import type { Logger } from '../logger.js';
import type { SyncScheduler } from '../sync/sync-scheduler.js';
import type { TokenVault } from '../vault/token-vault.js';

/** What the link, exchange and item services use; a subset of the app's dependencies. */
export interface ServiceDeps {
  /** plaid.env: in simulator mode, link tokens also open the simulator's Link page. */
  config: Pick<Config, 'webhookUrl'> & { plaid?: Pick<Config['plaid'], 'env'> };
  db: Database;
  logger: Logger;
  vault: TokenVault;
  plaid: PlaidApi;
  syncs: SyncScheduler;
  /** With both, an exchange processes the webhooks that arrived before it stored the item. */
  sql?: Sql;
  queue?: WebhookEnqueuer;
}
