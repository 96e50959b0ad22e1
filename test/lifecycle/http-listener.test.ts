import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { listenHttp, type HttpListener } from '../../src/lifecycle/http-listener.js';
import { StartupError } from '../../src/lifecycle/startup-error.js';

const open: HttpListener[] = [];
const blockers: Server[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((listener) => listener.close(100)));
  await Promise.all(blockers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

function occupiedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    blockers.push(server);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port));
  });
}

describe('the HTTP listener, bound before anything else starts', () => {
  it('turns a port in use into one line naming the port, the variable and what to do', async () => {
    const port = await occupiedPort();
    const attempt = listenHttp({ port, host: '127.0.0.1' });
    await expect(attempt).rejects.toBeInstanceOf(StartupError);
    await expect(attempt).rejects.toThrow(`port ${port} is in use (PORT): stop what listens on it, or set PORT to a free port`);
  });

  it('answers 503 "starting" (alive, not ready) until the app is handed over, then serves the app', async () => {
    const listener = await listenHttp({ port: 0, host: '127.0.0.1' });
    open.push(listener);
    const base = `http://127.0.0.1:${listener.port}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status: 'starting' });
    const api = await fetch(`${base}/api/items`);
    expect(api.status).toBe(503);
    expect(api.headers.get('retry-after')).toBe('1');
    expect(await api.json()).toMatchObject({ error: { code: 'starting', requestId: expect.any(String) } });

    listener.serve(() => new Response('app'));
    expect(await (await fetch(`${base}/api/items`)).text()).toBe('app');
  });
});
