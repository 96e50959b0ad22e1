import type { AppDeps } from '../app.js';

/** What the admin pages use of the app's dependencies; the queue only for refresh-all. */
export type AdminDeps = Pick<AppDeps, 'config' | 'db' | 'sql' | 'logger' | 'metrics' | 'vault' | 'plaid' | 'syncs'> & Partial<Pick<AppDeps, 'queue' | 'appReceiver'>>;
