import { http } from 'msw';
import { setupServer } from 'msw/node';
import { createSimulator, type Simulator, type SimulatorOptions } from '../../src/simulator/index.js';
import { TEST_PLAID_BASE_URL, TEST_PLAID_CLIENT_ID, TEST_PLAID_SECRET } from './app.js';

export interface CapturedWebhook {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/**
 * The in-process simulator behind TEST_PLAID_BASE_URL whose webhook deliveries are captured with
 * their headers instead of sent, so a test can deliver them (as they are, or tampered with) itself.
 * `clockOffsetMs` shifts the simulator's clock into the past, e.g. to sign with an old `iat`.
 */
export function startWebhookSimulator(options: Partial<SimulatorOptions> = {}) {
  const state = { clockOffsetMs: 0 };
  const captured: CapturedWebhook[] = [];
  const sim: Simulator = createSimulator({
    clientId: TEST_PLAID_CLIENT_ID,
    secret: TEST_PLAID_SECRET,
    seed: 11,
    now: () => Date.now() - state.clockOffsetMs,
    deliverWebhook: (url, init) => {
      captured.push({ url, headers: init.headers, body: init.body });
      return Promise.resolve({ status: 200 });
    },
    ...options,
  });
  const server = setupServer(http.all(`${TEST_PLAID_BASE_URL}/*`, ({ request }) => sim.fetch(request)));
  server.listen({ onUnhandledRequest: 'bypass' });
  return {
    sim,
    control: sim.control,
    captured,
    state,
    /** The last captured delivery (after the control call that fired it). */
    last(): CapturedWebhook {
      const delivery = captured.at(-1);
      if (!delivery) throw new Error('no webhook was delivered');
      return delivery;
    },
    async close() {
      server.close();
      await sim.close();
    },
  };
}
