import { http } from 'msw';
import { setupServer } from 'msw/node';
import { createSimulator, type Simulator, type SimulatorControl, type SimulatorOptions } from '../../src/simulator/index.js';
import { TEST_PLAID_BASE_URL, TEST_PLAID_CLIENT_ID, TEST_PLAID_SECRET } from './app.js';

export type TestSimulatorOptions = Partial<SimulatorOptions>;

export interface TestSimulator {
  sim: Simulator;
  control: SimulatorControl;
  /** Every webhook the simulator tried to deliver (none leave the process). */
  webhooks: { url: string; body: string }[];
  /** Every Plaid request the app made, in order, with its JSON body (for asserting what was sent). */
  requests: { endpoint: string; body: Record<string, unknown> }[];
  /**
   * Holds the next `parties` calls to a Plaid endpoint until all of them have arrived, then lets
   * them through together: a deterministic way to line up concurrent requests for a race test.
   */
  barrier(endpoint: string, parties: number): void;
  close(): Promise<void>;
}

interface Barrier {
  endpoint: string;
  parties: number;
  waiting: (() => void)[];
}

/**
 * The in-process Plaid simulator behind TEST_PLAID_BASE_URL, with the test credentials, so the
 * app's real Plaid client talks to it through msw. One per test file: call it in `beforeAll` and
 * `close()` it in `afterAll`.
 */
export function startTestSimulator(options: TestSimulatorOptions = {}): TestSimulator {
  const webhooks: { url: string; body: string }[] = [];
  const barriers: Barrier[] = [];
  const requests: { endpoint: string; body: Record<string, unknown> }[] = [];
  const passBarrier = (endpoint: string): Promise<void> => {
    const barrier = barriers.find((b) => b.endpoint === endpoint);
    if (!barrier) return Promise.resolve();
    return new Promise((resolve) => {
      barrier.waiting.push(resolve);
      if (barrier.waiting.length < barrier.parties) return;
      barriers.splice(barriers.indexOf(barrier), 1);
      for (const release of barrier.waiting) release();
    });
  };
  const sim = createSimulator({
    clientId: TEST_PLAID_CLIENT_ID,
    secret: TEST_PLAID_SECRET,
    seed: 7,
    deliverWebhook: (url, init) => {
      webhooks.push({ url, body: init.body });
      return Promise.resolve({ status: 200 });
    },
    ...options,
  });
  const server = setupServer(
    http.all(`${TEST_PLAID_BASE_URL}/*`, async ({ request }) => {
      const endpoint = new URL(request.url).pathname;
      requests.push({ endpoint, body: (await request.clone().json().catch(() => ({}))) as Record<string, unknown> });
      await passBarrier(endpoint);
      return sim.fetch(request);
    }),
  );
  server.listen({ onUnhandledRequest: 'bypass' });
  return {
    sim,
    control: sim.control,
    webhooks,
    requests,
    barrier: (endpoint, parties) => {
      barriers.push({ endpoint, parties, waiting: [] });
    },
    close: async () => {
      server.close();
      await sim.close();
    },
  };
}
