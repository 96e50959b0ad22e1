import type { Child } from 'hono/jsx';
import { assetUrl } from '../src/admin/static-assets.js';

export type Section = 'items' | 'webhooks' | 'notifications' | 'backfill' | 'login';

export interface LayoutProps {
  title: string;
  section: Section;
  /** Absent on the login page, which has no session yet. */
  csrfToken?: string;
  simulator: boolean;
  children?: Child;
}

// htmx must not inject inline styles or evaluate strings: the CSP forbids both.
const HTMX_CONFIG = JSON.stringify({
  includeIndicatorStyles: false,
  allowEval: false,
  allowScriptTags: false,
  historyCacheSize: 0,
  refreshOnHistoryMiss: true,
});

function NavLink(props: { href: string; current: boolean; children: Child }) {
  return (
    <a href={props.href} class={props.current ? 'nav-link current' : 'nav-link'} aria-current={props.current ? 'page' : undefined}>
      {props.children}
    </a>
  );
}

export function Layout(props: LayoutProps) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="htmx-config" content={HTMX_CONFIG} />
        {props.csrfToken !== undefined && <meta name="csrf-token" content={props.csrfToken} />}
        <title>{`${props.title} · plaid-sync`}</title>
        <link rel="icon" type="image/svg+xml" href={assetUrl('favicon.svg')} />
        <link rel="stylesheet" href={assetUrl('admin.css')} />
        <script src={assetUrl('htmx.min.js')} defer></script>
        <script src={assetUrl('admin.js')} defer></script>
      </head>
      <body>
        <header class="topbar">
          <span class="brand">plaid-sync</span>
          <span class="brand-sub">operator</span>
          {props.simulator && <span class="env-tag" title="Plaid calls go to the built-in simulator">simulator</span>}
          {props.csrfToken !== undefined && (
            <nav class="nav">
              <NavLink href="/admin/items" current={props.section === 'items'}>
                Items
              </NavLink>
              <NavLink href="/admin/webhooks" current={props.section === 'webhooks'}>
                Webhooks
              </NavLink>
              <NavLink href="/admin/notifications" current={props.section === 'notifications'}>
                Notifications
              </NavLink>
              <NavLink href="/admin/backfill" current={props.section === 'backfill'}>
                Product backfill
              </NavLink>
              <button type="button" class="link-button" hx-post="/admin/logout">
                Log out
              </button>
            </nav>
          )}
        </header>
        <main class="page">
          <div id="flash" class="flash-area" aria-live="polite"></div>
          {props.children}
        </main>
      </body>
    </html>
  );
}

/**
 * A message for the flash area: out of band, next to whatever fragment the action returns; or, for
 * a failed action retargeted at `#flash`, as the answer itself (`oob={false}`).
 */
export function Flash(props: { tone: 'ok' | 'error'; message: string; oob?: boolean }) {
  return (
    <div id="flash" class="flash-area" hx-swap-oob={props.oob === false ? undefined : 'true'} aria-live="polite">
      <p class={`flash flash-${props.tone}`} role={props.tone === 'error' ? 'alert' : 'status'}>
        {props.message}
      </p>
    </div>
  );
}
