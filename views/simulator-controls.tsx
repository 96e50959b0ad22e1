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
  { action: 'advance', label: 'Advance (new transactions)', title: 'The bank posts new transactions; a sync follows' },
  { action: 'break-login', label: 'Break login', title: 'The bank asks the user to log in again (ITEM_LOGIN_REQUIRED); a sync follows' },
  { action: 'revoke', label: 'Revoke', title: 'The user revokes access at the bank (USER_PERMISSION_REVOKED); a sync follows' },
] as const;

export function SimulatorItemControls(props: { itemId: string; disabled: boolean }) {
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
          disabled={props.disabled}
        >
          {control.label}
        </button>
      ))}
    </div>
  );
}
