import { randomBytes } from 'node:crypto';
import type { Context, Hono } from 'hono';
import { secureHeaders } from 'hono/secure-headers';
import type { Child } from 'hono/jsx';
import { buildAccount, maskKeyFor } from '../accounts.js';
import type { SimulatorContext } from '../context.js';
import type { SimulatorControl } from '../control-types.js';
import { accountKindsFor, allInstitutions, findInstitution, unsupportedProducts } from '../institutions.js';
import type { InstitutionProfile } from '../institutions.js';
import type { LinkTokenRecord } from '../item-store.js';
import { PlaidApiError } from '../plaid-errors.js';

/** Plaid Sandbox's test credentials; any other pair fails like a wrong password at a real bank. */
export const SANDBOX_USERNAME = 'user_good';
export const SANDBOX_PASSWORD = 'pass_good';
/** The message Plaid gives for INVALID_CREDENTIALS. */
const WRONG_CREDENTIALS = 'The provided credentials were not correct. Please try again.';

const OK = 200;
const BAD_REQUEST = 400;
const UNAUTHORIZED = 401;
const SEE_OTHER = 303;
const SESSION_TTL_MS = 30 * 60 * 1000;
const MAX_SESSIONS = 1_000;

interface LoginSession {
  token: string;
  institutionId: string;
  expiresAt: number;
}

/** No script at all, styles inline, forms only to this page, never framed; the token is in the URL, so no referrer. */
const linkHeaders = secureHeaders({
  contentSecurityPolicy: { defaultSrc: ["'none'"], styleSrc: ["'unsafe-inline'"], formAction: ["'self'"], baseUri: ["'none'"], frameAncestors: ["'none'"] },
  referrerPolicy: 'no-referrer',
});

/**
 * The simulator's Link page, standing in for Plaid's Hosted Link: pick an institution, log in with the
 * Sandbox credentials, choose accounts, get a public token. A link token made with an access token
 * opens update mode, where logging in again repairs the Item's login. Server-rendered, no script.
 */
export function registerLinkPage(app: Hono, ctx: SimulatorContext, control: SimulatorControl): void {
  // A login is remembered between the credentials step and account selection; in memory only, as a
  // Link session is short-lived and a restart ends it.
  const sessions = new Map<string, LoginSession>();
  const startSession = (token: string, institutionId: string): string => {
    const now = ctx.clock.now();
    for (const [id, session] of sessions) if (session.expiresAt <= now || sessions.size >= MAX_SESSIONS) sessions.delete(id);
    const id = randomBytes(18).toString('base64url');
    sessions.set(id, { token, institutionId, expiresAt: now + SESSION_TTL_MS });
    return id;
  };

  app.use('/link', linkHeaders);
  app.use('/link/*', linkHeaders);
  app.use('/link', noStore);
  app.use('/link/*', noStore);

  app.get('/link', (c) => {
    const token = c.req.query('token') ?? '';
    const record = linkTokenOrNull(ctx, token);
    if (!record) return invalidToken(c);
    const update = updateTarget(ctx, record);
    if (update) return c.html(<LoginPage token={token} institution={update} updateMode />, OK);
    const institutionId = c.req.query('institution_id');
    if (institutionId === undefined) return c.html(<InstitutionPage token={token} institutions={institutionsFor(record)} />, OK);
    const institution = eligible(record, institutionId);
    if (!institution) return c.html(<InstitutionPage token={token} institutions={institutionsFor(record)} error="Choose one of the institutions listed." />, BAD_REQUEST);
    return c.html(<LoginPage token={token} institution={institution} updateMode={false} />, OK);
  });

  app.post('/link/login', async (c) => {
    const form = await c.req.parseBody();
    const token = text(form.token);
    const record = linkTokenOrNull(ctx, token);
    if (!record) return invalidToken(c);
    const update = updateTarget(ctx, record);
    const institution = update ?? eligible(record, text(form.institution_id));
    if (!institution) return c.html(<InstitutionPage token={token} institutions={institutionsFor(record)} error="Choose one of the institutions listed." />, BAD_REQUEST);
    if (text(form.username) !== SANDBOX_USERNAME || text(form.password) !== SANDBOX_PASSWORD) {
      return c.html(<LoginPage token={token} institution={institution} updateMode={update !== null} error={WRONG_CREDENTIALS} username={text(form.username)} />, UNAUTHORIZED);
    }
    if (update) return finish(c, record, () => control.completeLink({ linkToken: token }));
    const session = startSession(token, institution.institution.institution_id);
    return c.html(<AccountsPage session={session} institution={institution} record={record} seed={ctx.options.seed} />, OK);
  });

  app.post('/link/accounts', async (c) => {
    const form = await c.req.parseBody({ all: true });
    const id = text(form.session);
    const session = sessions.get(id);
    const record = session && session.expiresAt > ctx.clock.now() ? linkTokenOrNull(ctx, session.token) : null;
    if (!session || !record) return invalidToken(c);
    const institution = findInstitution(session.institutionId) as InstitutionProfile;
    const picked = [form.account ?? []].flat().map((value) => Number(text(value)));
    const count = accountKindsFor(institution, record.products).length;
    if (picked.length === 0 || picked.some((index) => !Number.isInteger(index) || index < 0 || index >= count)) {
      return c.html(<AccountsPage session={id} institution={institution} record={record} seed={ctx.options.seed} error="Select at least one account to continue." />, BAD_REQUEST);
    }
    sessions.delete(id);
    return finish(c, record, () => control.completeLink({ linkToken: session.token, institutionId: session.institutionId, accountIndexes: [...new Set(picked)].sort((a, b) => a - b) }));
  });
}

async function noStore(c: Context, next: () => Promise<void>): Promise<void> {
  await next();
  c.header('Cache-Control', 'no-store');
}

function finish(c: Context, record: LinkTokenRecord, complete: () => ReturnType<SimulatorControl['completeLink']>): Response | Promise<Response> {
  let result;
  try {
    result = complete();
  } catch (error) {
    if (!(error instanceof PlaidApiError)) throw error;
    return c.html(<ErrorPage title="Link could not finish" message={`${error.errorCode}: ${error.message}`} />, BAD_REQUEST);
  }
  if (record.completionRedirectUri) return c.redirect(record.completionRedirectUri, SEE_OTHER);
  return c.html(<DonePage publicToken={result.publicToken} updateMode={result.updateMode} />, OK);
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function linkTokenOrNull(ctx: SimulatorContext, token: string): LinkTokenRecord | null {
  try {
    return ctx.store.linkToken(token);
  } catch {
    return null;
  }
}

/** Update mode's institution, or null in normal mode; a removed Item cannot be repaired. */
function updateTarget(ctx: SimulatorContext, record: LinkTokenRecord): InstitutionProfile | null {
  if (record.itemId === null) return null;
  return ctx.store.get(record.itemId).institution;
}

function institutionsFor(record: LinkTokenRecord): InstitutionProfile[] {
  return allInstitutions().filter((profile) => unsupportedProducts(profile, record.products).length === 0);
}

function eligible(record: LinkTokenRecord, institutionId: string): InstitutionProfile | null {
  return institutionsFor(record).find((profile) => profile.institution.institution_id === institutionId) ?? null;
}

function invalidToken(c: Context): Response | Promise<Response> {
  return c.html(<ErrorPage title="This Link session is not valid" message="The link token is unknown or expired. Create a new one and open its Link URL again." />, BAD_REQUEST);
}

const STYLE = `
body { font-family: system-ui, sans-serif; background: #f4f5f7; margin: 0; color: #111; }
main { max-width: 26rem; margin: 2rem auto; background: #fff; border-radius: 12px; padding: 1.5rem; box-shadow: 0 2px 12px #0002; }
h1 { font-size: 1.25rem; margin: 0 0 1rem; }
ul { list-style: none; padding: 0; margin: 0; }
li { margin: 0 0 .5rem; }
a.choice, button, input[type=text], input[type=password] { box-sizing: border-box; width: 100%; font: inherit; }
a.choice { display: block; padding: .75rem; border: 1px solid #ccd; border-radius: 8px; color: inherit; text-decoration: none; }
a.choice:hover { border-color: #000; }
label { display: block; margin: .75rem 0 .25rem; }
input[type=text], input[type=password] { padding: .6rem; border: 1px solid #ccd; border-radius: 8px; }
button { margin-top: 1rem; padding: .7rem; border: 0; border-radius: 8px; background: #111; color: #fff; cursor: pointer; }
.account { display: flex; gap: .5rem; align-items: center; padding: .5rem 0; margin: 0; }
.error { background: #fde8e8; color: #8a1111; padding: .6rem; border-radius: 8px; }
.hint { color: #555; font-size: .9rem; }
code { word-break: break-all; background: #f0f0f3; padding: .1rem .3rem; border-radius: 4px; }
`;

function Page(props: { title: string; children?: Child }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${props.title} · Plaid simulator Link`}</title>
        <style>{STYLE}</style>
      </head>
      <body>
        <main>
          <h1>{props.title}</h1>
          {props.children}
        </main>
      </body>
    </html>
  );
}

function ErrorLine(props: { error?: string | undefined }) {
  return props.error ? <p class="error" role="alert">{props.error}</p> : null;
}

function InstitutionPage(props: { token: string; institutions: InstitutionProfile[]; error?: string }) {
  return (
    <Page title="Select your institution">
      <ErrorLine error={props.error} />
      <ul>
        {props.institutions.map((profile) => (
          <li>
            <a class="choice" href={`/link?token=${encodeURIComponent(props.token)}&institution_id=${encodeURIComponent(profile.institution.institution_id)}`}>
              {profile.institution.name}
            </a>
          </li>
        ))}
      </ul>
    </Page>
  );
}

function LoginPage(props: { token: string; institution: InstitutionProfile; updateMode: boolean; error?: string; username?: string }) {
  const name = props.institution.institution.name;
  return (
    <Page title={props.updateMode ? `Reconnect to ${name}` : `Log in to ${name}`}>
      {props.updateMode ? <p>Your login at {name} needs to be confirmed again to keep your accounts connected.</p> : null}
      <ErrorLine error={props.error} />
      <form method="post" action="/link/login">
        <input type="hidden" name="token" value={props.token} />
        <input type="hidden" name="institution_id" value={props.institution.institution.institution_id} />
        <label for="username">Username</label>
        <input type="text" id="username" name="username" autocomplete="off" value={props.username ?? ''} />
        <label for="password">Password</label>
        <input type="password" id="password" name="password" autocomplete="off" />
        <button type="submit">Submit</button>
      </form>
      <p class="hint">Simulator credentials: <code>{SANDBOX_USERNAME}</code> / <code>{SANDBOX_PASSWORD}</code></p>
    </Page>
  );
}

function AccountsPage(props: { session: string; institution: InstitutionProfile; record: LinkTokenRecord; seed: number; error?: string }) {
  const kinds = accountKindsFor(props.institution, props.record.products);
  // The accounts as the Item will hold them: names and masks follow from the institution, not the Item.
  const maskKey = maskKeyFor(props.seed, props.institution.institution.institution_id);
  return (
    <Page title="Select accounts to share">
      <ErrorLine error={props.error} />
      <form method="post" action="/link/accounts">
        <input type="hidden" name="session" value={props.session} />
        {kinds.map((kind, index) => {
          const { account } = buildAccount(maskKey, kind, index, maskKey);
          return (
            <label class="account">
              <input type="checkbox" name="account" value={String(index)} checked />
              <span>{account.name} ••••{account.mask}</span>
            </label>
          );
        })}
        <button type="submit">Continue</button>
      </form>
    </Page>
  );
}

function DonePage(props: { publicToken: string; updateMode: boolean }) {
  if (props.updateMode) {
    return (
      <Page title="Connection repaired">
        <p>The login is repaired and the Item is healthy again. Update mode needs no token exchange.</p>
      </Page>
    );
  }
  return (
    <Page title="Success">
      <p>Your accounts are connected. Exchange this public token (single use, valid for 30 minutes):</p>
      <p><code id="public-token">{props.publicToken}</code></p>
    </Page>
  );
}

function ErrorPage(props: { title: string; message: string }) {
  return (
    <Page title={props.title}>
      <p class="error" role="alert">{props.message}</p>
    </Page>
  );
}
