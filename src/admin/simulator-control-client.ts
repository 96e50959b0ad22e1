import { AppError } from '../http/errors.js';

export const SIMULATOR_ITEM_ACTIONS = {
  advance: { path: 'advance', body: { added: 5, modified: 1, posted: 1 } },
  'break-login': { path: 'login-required', body: {} },
  revoke: { path: 'revoke-permission', body: {} },
} as const;

export type SimulatorItemAction = keyof typeof SIMULATOR_ITEM_ACTIONS;

/**
 * Drives the Plaid simulator through its HTTP control endpoints, the way a tester would. Only the
 * outcome is kept: the simulator's answers can carry access tokens, which never reach a page.
 */
export async function runSimulatorItemAction(baseUrl: string, input: { plaidItemId: string; action: SimulatorItemAction }): Promise<void> {
  const action = SIMULATOR_ITEM_ACTIONS[input.action];
  const response = await fetch(`${baseUrl}/simulator/items/${encodeURIComponent(input.plaidItemId)}/${action.path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(action.body),
    signal: AbortSignal.timeout(10_000),
  });
  if (!response.ok) {
    const body = (await response.json().catch(() => ({}))) as { error_code?: unknown };
    const code = typeof body.error_code === 'string' ? body.error_code : `HTTP ${response.status}`;
    throw new AppError(502, 'simulator_error', `The simulator refused ${input.action} (${code}).`);
  }
}
