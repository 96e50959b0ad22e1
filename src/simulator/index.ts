import { serve } from '@hono/node-server';
import type { Hono } from 'hono';
import { buildApp } from './app.js';
import { createContext } from './context.js';
import type { SimulatorOptions } from './context.js';
import { createControl } from './control.js';
import type { SimulatorControl } from './control-types.js';
import { ItemEvents } from './item-events.js';

export type { SimulatorOptions } from './context.js';
export type * from './control-types.js';
export type { DeliverWebhook, WebhookAttempt } from './webhook-dispatcher.js';
export { retryDelays } from './webhook-dispatcher.js';
export { allInstitutions } from './institutions.js';

export interface Simulator {
  app: Hono;
  fetch(request: Request): Promise<Response>;
  control: SimulatorControl;
  close(): Promise<void>;
}

export function createSimulator(options: SimulatorOptions): Simulator {
  const ctx = createContext(options);
  const events = new ItemEvents(ctx);
  const control = createControl(ctx, events);
  const app = buildApp(ctx, events, control);
  return {
    app,
    fetch: async (request) => app.fetch(request),
    control,
    close: () => {
      ctx.closing.abort();
      ctx.dispatcher.close();
      ctx.clock.cancelAll();
      return Promise.resolve();
    },
  };
}

export async function startSimulatorServer(
  options: SimulatorOptions & { port?: number; host?: string },
): Promise<{ url: string; simulator: Simulator; close(): Promise<void> }> {
  const simulator = createSimulator(options);
  const host = options.host ?? '127.0.0.1';
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const started = serve({ fetch: simulator.app.fetch, port: options.port ?? 0, hostname: host }, () => resolve(started));
    started.once('error', reject);
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port ?? 0;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}`,
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
