import { AppError } from '../http/errors.js';

export const SIMULATOR_ITEM_ACTIONS = {
  advance: { path: 'advance', body: { added: 5, modified: 1, posted: 1 } },
  'break-login': { path: 'login-required', body: {} },
  revoke: { path: 'revoke-permission', body: {} },
} as const;

export type SimulatorItemAction = keyof typeof SIMULATOR_ITEM_ACTIONS;

async function post(baseUrl: string, path: string, body: unknown, what: string): Promise<void> {
  const response = await fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  if (!response.ok) {
    const answer = (await response.json().catch(() => ({}))) as { error_code?: unknown };
    const code = typeof answer.error_code === 'string' ? answer.error_code : `HTTP ${response.status}`;
    throw new AppError(502, 'simulator_error', `The simulator refused ${what} (${code}).`);
  }
}

/**
 * Drives the Plaid simulator through its HTTP control endpoints, the way a tester would. Only the
 * outcome is kept: the simulator's answers can carry access tokens, which never reach a page.
 */
export async function runSimulatorItemAction(baseUrl: string, input: { plaidItemId: string; action: SimulatorItemAction }): Promise<void> {
  const action = SIMULATOR_ITEM_ACTIONS[input.action];
  await post(baseUrl, `/simulator/items/${encodeURIComponent(input.plaidItemId)}/${action.path}`, action.body, input.action);
}

/** What the user does in Link with a link token: here, completing it at the simulator (its public token is not needed in update mode). */
export async function completeSimulatedLink(baseUrl: string, linkToken: string): Promise<void> {
  await post(baseUrl, '/simulator/link/complete', { link_token: linkToken }, 'to complete Link');
}
