import type { ItemStatus } from '../src/db/schema/index.js';

/** Simulator mode only: lets a newcomer drive each flow from the page. */
export function SimulatorLinkControl() {
  return (
    <button
      type="button"
      class="button sim"
      hx-post="/admin/simulator/link"
      hx-target="#items-results"
      hx-swap="outerHTML"
      title="Create a demo item in the simulator and link it through the exchange service"
    >
      Link demo item
    </button>
  );
}

const ITEM_CONTROLS = [
  { action: 'advance', label: 'Advance (new transactions)', title: 'The bank posts new transactions; a sync follows', enabled: (s: ItemStatus) => s !== 'disconnected' },
  {
    action: 'break-login',
    label: 'Break login',
    title: 'The bank asks the user to log in again (ITEM_LOGIN_REQUIRED); a sync follows',
    enabled: (s: ItemStatus) => s === 'active',
  },
  {
    action: 'repair-login',
    label: 'Repair login',
    title: 'The user completes Fix Connection (update mode in Link) and the app tells the service; the item is active again and syncs',
    enabled: (s: ItemStatus) => s === 'needs_reauth',
  },
  { action: 'revoke', label: 'Revoke', title: 'The user revokes access at the bank (USER_PERMISSION_REVOKED); a sync follows', enabled: (s: ItemStatus) => s !== 'disconnected' },
] as const;

export function SimulatorItemControls(props: { itemId: string; status: ItemStatus }) {
  return (
    <div class="action-group sim-group" aria-label="Simulator controls">
      <span class="group-label">Simulator</span>
      {ITEM_CONTROLS.map((control) => (
        <button
          type="button"
          class="button sim"
          data-sim-action={control.action}
          hx-post={`/admin/simulator/items/${props.itemId}/${control.action}`}
          hx-target="#item-live"
          hx-swap="outerHTML"
          title={control.title}
          disabled={!control.enabled(props.status)}
        >
          {control.label}
        </button>
      ))}
    </div>
  );
}
