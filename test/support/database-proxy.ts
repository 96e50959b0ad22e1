import net, { type AddressInfo } from 'node:net';

export interface DatabaseProxy {
  /** The database URL with its host and port replaced by the proxy's. */
  url: string;
  /** Cuts every connection through the proxy and stops listening. */
  close(): Promise<void>;
}

/**
 * A TCP proxy in front of the test PostgreSQL whose traffic a test decides: for each client
 * connection it opens one to the server and hands both sockets to `wire`, which forwards (or holds,
 * rewrites, drops) the bytes each way. Either side closing closes the other.
 */
export async function startDatabaseProxy(databaseUrl: string, wire: (client: net.Socket, upstream: net.Socket) => void): Promise<DatabaseProxy> {
  const target = new URL(databaseUrl);
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => socket.destroy());
      socket.on('close', () => {
        sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    wire(client, upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = new URL(databaseUrl);
  url.hostname = '127.0.0.1';
  url.port = String((server.address() as AddressInfo).port);
  return {
    url: url.toString(),
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
