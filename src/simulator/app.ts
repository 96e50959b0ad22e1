import { Hono } from 'hono';
import type { SimulatorContext } from './context.js';
import type { SimulatorControl } from './control-types.js';
import type { ItemEvents } from './item-events.js';
import { plaidErrors } from './plaid-errors.js';
import { registerControlRoutes } from './routes/control.js';
import { registerInstitutionRoutes } from './routes/institutions.js';
import { registerInvestmentRoutes } from './routes/investments.js';
import { registerItemRoutes } from './routes/items.js';
import { registerLiabilityRoutes } from './routes/liabilities.js';
import { registerLinkPage } from './routes/link-page.js';
import { registerLinkRoutes } from './routes/link.js';
import { registerSandboxRoutes } from './routes/sandbox.js';
import { registerTransactionRoutes } from './routes/transactions.js';

const NOT_FOUND = 404;
const SERVER_ERROR = 500;

export function buildApp(ctx: SimulatorContext, events: ItemEvents, control: SimulatorControl): Hono {
  const app = new Hono();
  app.use(async (c, next) => {
    await next();
    if (ctx.saveChanges === null) return;
    try {
      await ctx.saveChanges();
    } catch {
      // The change stays in memory and is saved with the next one; the caller learns it did not stick yet.
      const body = JSON.stringify(plaidErrors.internalServerError().toBody(ctx.nextRequestId()));
      c.res = new Response(body, { status: SERVER_ERROR, headers: { 'content-type': 'application/json' } });
    }
  });
  registerLinkRoutes(app, ctx);
  registerItemRoutes(app, ctx, events);
  registerTransactionRoutes(app, ctx, events);
  registerInvestmentRoutes(app, ctx);
  registerLiabilityRoutes(app, ctx);
  registerInstitutionRoutes(app, ctx);
  registerSandboxRoutes(app, ctx, events);
  registerControlRoutes(app, ctx, control);
  registerLinkPage(app, ctx, control);
  app.notFound((c) => c.json(plaidErrors.notFound().toBody(ctx.nextRequestId()), NOT_FOUND));
  app.onError((_error, c) => c.json(plaidErrors.internalServerError().toBody(ctx.nextRequestId()), SERVER_ERROR));
  return app;
}
