import net, { type AddressInfo } from 'node:net';

/**
 * What the proxy does with a connection: pass it on to the database, refuse it (nothing listens on
 * the port, as while the server is stopped), or accept it and never answer (a network that drops
 * packets, or a server that hangs).
 */
export type ProxyMode = 'forward' | 'refuse' | 'hang';

/**
 * A TCP proxy in front of the test PostgreSQL, so a test can take the database away and give it back
 * on the same address without stopping the server other test files share.
 */
export interface TcpProxy {
  port: number;
  /** `databaseUrl` with its host and port replaced by the proxy's. */
  url(databaseUrl: string): string;
  /** Connections accepted since the last `setMode`. */
  accepted(): number;
  setMode(mode: ProxyMode): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(databaseUrl: string): Promise<TcpProxy> {
  const target = new URL(databaseUrl);
  const sockets = new Set<net.Socket>();
  let mode: ProxyMode = 'forward';
  let accepted = 0;

  const server = net.createServer((client) => {
    accepted++;
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => client.destroy());
    // Refused: reset at once, as a port nothing listens on answers. The proxy keeps listening, so no
    // other socket can take its port while the database is "away" (re-listening then failed with
    // EADDRINUSE once in a parallel run).
    if (mode === 'refuse') return void client.resetAndDestroy();
    if (mode === 'hang') return;
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    sockets.add(upstream);
    upstream.on('close', () => {
      sockets.delete(upstream);
      client.destroy();
    });
    upstream.on('error', () => upstream.destroy());
    client.on('close', () => upstream.destroy());
    client.pipe(upstream).pipe(client);
  });
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  const stopListening = () => new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));
  const dropConnections = () => {
    for (const socket of sockets) socket.destroy();
    sockets.clear();
  };

  await listen(0);
  const port = (server.address() as AddressInfo).port;

  return {
    port,
    url(url: string) {
      const proxied = new URL(url);
      proxied.hostname = '127.0.0.1';
      proxied.port = String(port);
      return proxied.toString();
    },
    accepted: () => accepted,
    setMode(next: ProxyMode) {
      accepted = 0;
      mode = next;
      // As when the server stops: established connections are cut, new ones refused.
      if (next === 'refuse') dropConnections();
      return Promise.resolve();
    },
    async close() {
      dropConnections();
      await stopListening();
    },
  };
}
