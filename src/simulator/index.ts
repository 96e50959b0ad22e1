import { serve } from '@hono/node-server';
import type { Hono } from 'hono';
import { buildApp } from './app.js';
import { createContext } from './context.js';
import type { SimulatorContext, SimulatorOptions } from './context.js';
import { createControl } from './control.js';
import type { SimulatorControl } from './control-types.js';
import { ItemEvents } from './item-events.js';
import { SimulatorPersistence, loadState, seedFor } from './persistence.js';
import { openPostgresStateStore } from './state-store.js';
import type { SimulatorStateStore } from './state-store.js';

export type { Readiness, SimulatorOptions } from './context.js';
export { QUICK_READINESS } from './context.js';
export type * from './control-types.js';
export type { DeliverWebhook, WebhookAttempt } from './webhook-dispatcher.js';
export { retryDelays } from './webhook-dispatcher.js';
export { allInstitutions } from './institutions.js';

export interface Simulator {
  app: Hono;
  fetch(request: Request): Promise<Response>;
  control: SimulatorControl;
  /** Where a browser reaches the simulator, for the Hosted Link URLs it hands out. */
  setPublicUrl(url: string): void;
  close(): Promise<void>;
}

export function createSimulator(options: SimulatorOptions): Simulator {
  return build(createContext(options));
}

function build(ctx: SimulatorContext): Simulator {
  const events = new ItemEvents(ctx);
  // Timers do not survive a restart: restored Items take up their remaining phases again.
  for (const item of ctx.store.list()) events.resumePhases(item);
  const control = createControl(ctx, events);
  const app = buildApp(ctx, events, control);
  return {
    app,
    fetch: async (request) => app.fetch(request),
    control,
    setPublicUrl: (url) => {
      ctx.publicUrl = url;
    },
    close: () => {
      ctx.closing.abort();
      ctx.dispatcher.close();
      ctx.clock.cancelAll();
      return Promise.resolve();
    },
  };
}

/**
 * A simulator whose state lives in a store: loaded here, and every change saved before the answer
 * that made it. close() saves what is left and closes the store.
 */
export async function openSimulator(options: SimulatorOptions, store: SimulatorStateStore): Promise<Simulator> {
  const loaded = await loadState(store);
  const ctx = createContext({ ...options, seed: seedFor(loaded, options.seed) });
  const persistence = new SimulatorPersistence(ctx, store);
  await persistence.restore(loaded);
  ctx.saveChanges = () => persistence.flush();
  const simulator = build(ctx);
  return {
    ...simulator,
    close: async () => {
      await simulator.close();
      await persistence.flush().finally(() => store.close());
    },
  };
}

export interface SimulatorServerOptions extends SimulatorOptions {
  port?: number;
  host?: string;
  /** Keep the simulator's state in this PostgreSQL database (schema plaid_simulator) instead of in memory. */
  stateDatabaseUrl?: string;
}

export async function startSimulatorServer(
  options: SimulatorServerOptions,
): Promise<{ url: string; simulator: Simulator; close(): Promise<void> }> {
  let simulator: Simulator;
  if (options.stateDatabaseUrl === undefined) {
    simulator = createSimulator(options);
  } else {
    const store = await openPostgresStateStore(options.stateDatabaseUrl);
    simulator = await openSimulator(options, store).catch(async (error: unknown) => {
      await store.close();
      throw error;
    });
  }
  const host = options.host ?? '127.0.0.1';
  let server: ReturnType<typeof serve>;
  try {
    server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
      const started = serve({ fetch: simulator.app.fetch, port: options.port ?? 0, hostname: host }, () => resolve(started));
      started.once('error', reject);
    });
  } catch (error) {
    await simulator.close();
    throw error;
  }
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port ?? 0;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  const url = `http://${urlHost}:${port}`;
  simulator.setPublicUrl(options.publicUrl ?? url);
  return {
    url,
    simulator,
    close: async () => {
      await simulator.close();
      await new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        if ('closeAllConnections' in server) server.closeAllConnections();
      });
    },
  };
}
