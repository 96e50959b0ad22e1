import { createAdaptorServer, type Http2Bindings, type HttpBindings, type ServerType } from '@hono/node-server';
import { randomUUID } from 'node:crypto';
import { StartupError } from './startup-error.js';

/** The node adapter passes its bindings (`incoming`, `outgoing`) on as the app's env: keep them. */
type Fetch = (request: Request, env: HttpBindings | Http2Bindings) => Response | Promise<Response>;

export interface HttpListener {
  port: number;
  /** Hands requests to the app from now on; until then every answer is a 503 "starting". */
  serve(fetch: Fetch): void;
  /** Stops accepting, lets requests in flight finish, and cuts what is still open after `timeoutMs`. Idempotent. */
  close(timeoutMs: number): Promise<void>;
}

/** Before the app exists the process is alive (`/healthz`) but serves nothing else. */
const starting: Fetch = (request) => {
  const { pathname } = new URL(request.url);
  if (pathname === '/healthz') return Response.json({ status: 'ok' });
  if (pathname === '/readyz') return Response.json({ status: 'starting', checks: {} }, { status: 503 });
  const error = { code: 'starting', message: 'plaid-sync is starting; try again in a moment', requestId: randomUUID() };
  return Response.json({ error }, { status: 503, headers: { 'Retry-After': '1' } });
};

function listenError(error: NodeJS.ErrnoException, port: number, host: string): Error {
  switch (error.code) {
    case 'EADDRINUSE':
      return new StartupError(`port ${port} is in use (PORT): stop what listens on it, or set PORT to a free port`);
    case 'EACCES':
      return new StartupError(`port ${port} needs privileges this user lacks (PORT): set PORT to 1024 or above`);
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
      return new StartupError(`${host} is not an address of this machine (HOST): use 0.0.0.0, 127.0.0.1 or one of its addresses`);
    default:
      return error;
  }
}

function closeServer(server: ServerType, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      // Keep-alive sockets that will not finish in time are cut so shutdown has an upper bound.
      if ('closeAllConnections' in server) server.closeAllConnections();
    }, timeoutMs);
    timer.unref();
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
    if ('closeIdleConnections' in server) server.closeIdleConnections();
  });
}

/**
 * Binds the HTTP port first thing, so a port in use is found before anything (the embedded
 * PostgreSQL above all) has been started that would then have to be stopped again.
 */
export async function listenHttp(options: { port: number; host: string }): Promise<HttpListener> {
  let current: Fetch = starting;
  const server = createAdaptorServer({ fetch: (request: Request, env: HttpBindings | Http2Bindings) => current(request, env) });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => reject(listenError(error, options.port, options.host)));
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address();
  let closing: Promise<void> | undefined;
  return {
    port: typeof address === 'object' && address !== null ? address.port : options.port,
    serve(fetch) {
      current = fetch;
    },
    close: (timeoutMs) => (closing ??= closeServer(server, timeoutMs)),
  };
}
