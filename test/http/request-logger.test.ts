import { Hono } from 'hono';
import { requestId } from 'hono/request-id';
import { describe, expect, it } from 'vitest';
import { requestLogger } from '../../src/http/request-logger.js';
import { captureLogs } from '../support/app.js';

function loggedApp() {
  const logs = captureLogs();
  const app = new Hono();
  app.use(requestId());
  app.use(requestLogger(logs.logger));
  app.get('/readyz', (c) => c.json({ status: 'starting' }, 503));
  app.get('/metrics', (c) => c.text('metrics'));
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/admin/static/admin.css', (c) => c.text('css'));
  app.get('/admin/items/:id/row', (c) => c.text('row'));
  app.get('/admin/items/:id/live', (c) => c.text('live'));
  app.get('/admin/items', (c) => c.text('list'));
  app.post('/api/items/:id/sync', (c) => c.json({ ok: true }));
  app.get('/boom', (c) => c.json({}, 500));
  const levelOf = (path: string) => logs.lines.filter((line) => line.path === path).map((line) => line.level);
  return { app, levelOf };
}

const htmx = { 'HX-Request': 'true' };

describe('request log levels', () => {
  it('logs probes, scrapes, static assets and live-progress polling at debug, so the terminal at info stays readable', async () => {
    const { app, levelOf } = loggedApp();
    await app.request('/healthz');
    await app.request('/readyz');
    await app.request('/metrics');
    await app.request('/admin/static/admin.css');
    await app.request('/admin/items/6f1c2b0e-8d4b-4f8a-9d2e-1a2b3c4d5e6f/row?since=1', { headers: htmx });
    await app.request('/admin/items/6f1c2b0e-8d4b-4f8a-9d2e-1a2b3c4d5e6f/live', { headers: htmx });
    for (const path of ['/healthz', '/readyz', '/metrics', '/admin/static/admin.css']) expect(levelOf(path)).toEqual(['debug']);
    expect(levelOf('/admin/items/6f1c2b0e-8d4b-4f8a-9d2e-1a2b3c4d5e6f/row')).toEqual(['debug']);
    expect(levelOf('/admin/items/6f1c2b0e-8d4b-4f8a-9d2e-1a2b3c4d5e6f/live')).toEqual(['debug']);
  });

  it('logs what people and apps do at info, and server errors at error', async () => {
    const { app, levelOf } = loggedApp();
    await app.request('/admin/items', { headers: htmx });
    await app.request('/admin/items/6f1c2b0e-8d4b-4f8a-9d2e-1a2b3c4d5e6f/row');
    await app.request('/api/items/1/sync', { method: 'POST' });
    await app.request('/boom');
    expect(levelOf('/admin/items')).toEqual(['info']);
    // The same fragment opened directly (not by a page's polling) is a person's request.
    expect(levelOf('/admin/items/6f1c2b0e-8d4b-4f8a-9d2e-1a2b3c4d5e6f/row')).toEqual(['info']);
    expect(levelOf('/api/items/1/sync')).toEqual(['info']);
    expect(levelOf('/boom')).toEqual(['error']);
  });
});
