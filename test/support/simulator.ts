import { createHash } from 'node:crypto';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import type { AccountsGetResponse } from 'plaid';
import { createSimulator, type Simulator, type SimulatorControl, type SimulatorOptions } from '../../src/simulator/index.js';
import { TEST_PLAID_BASE_URL, TEST_PLAID_CLIENT_ID, TEST_PLAID_SECRET } from './app.js';

export interface TestSimulatorOptions extends Partial<SimulatorOptions> {
  /**
   * Give an account the same mask whenever it is linked again at the same institution, as a real
   * bank does (the simulator draws a fresh mask per Item). Needed to exercise smart adoption.
   */
  stableMasks?: boolean;
}

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
  const { stableMasks = false, ...simOptions } = options;
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
    ...simOptions,
  });
  const server = setupServer(
    http.all(`${TEST_PLAID_BASE_URL}/*`, async ({ request }) => {
      const endpoint = new URL(request.url).pathname;
      requests.push({ endpoint, body: (await request.clone().json().catch(() => ({}))) as Record<string, unknown> });
      await passBarrier(endpoint);
      const response = await sim.fetch(request);
      if (!stableMasks || endpoint !== '/accounts/get' || !response.ok) return response;
      const body = (await response.json()) as AccountsGetResponse;
      const institution = body.item.institution_id ?? '';
      for (const account of body.accounts) account.mask = stableMask(institution, account.name, account.subtype);
      return HttpResponse.json(body, { status: response.status });
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

function stableMask(institutionId: string, name: string, subtype: string | null): string {
  const digest = createHash('sha256').update(`${institutionId}|${name}|${subtype ?? ''}`).digest();
  return String(digest.readUInt32BE(0) % 10_000).padStart(4, '0');
}
