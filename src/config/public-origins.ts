/**
 * One origin browsers use to reach the service. `port` is '' for the scheme's default port and '*'
 * for any port (only the simulator-mode default uses it: with `PORT=0` the port is known only once
 * the server listens).
 */
export interface PublicOrigin {
  protocol: 'http:' | 'https:';
  hostname: string;
  port: string;
}

function splitList(text: string): string[] {
  return text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/** `PUBLIC_URL`: one or more `scheme://host[:port]` separated by commas; throws with the reason. */
export function parsePublicOrigins(text: string): PublicOrigin[] {
  const items = splitList(text);
  if (items.length === 0) throw new Error('must name at least one origin');
  return items.map((item) => {
    let url: URL;
    try {
      url = new URL(item);
    } catch {
      throw new Error(`"${item}" is not a URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`"${item}" must be http or https`);
    if (url.username !== '' || url.password !== '' || url.pathname !== '/' || url.search !== '' || url.hash !== '') {
      throw new Error(`"${item}" must be an origin only (scheme, host and optional port, no path)`);
    }
    return { protocol: url.protocol, hostname: url.hostname, port: url.port };
  });
}

/** Where a browser on the same machine reaches a simulator-mode service. */
export function loopbackOrigins(port: number): PublicOrigin[] {
  return ['127.0.0.1', 'localhost', '[::1]'].map((hostname) => ({ protocol: 'http:', hostname, port: port === 0 ? '*' : String(port) }));
}

/** `METRICS_ALLOWED_HOSTS`: `name` (any port) or `name:port` items, normalised as URL hosts. */
export function parseMetricsHosts(text: string): string[] {
  return splitList(text).map((item) => {
    let url: URL | undefined;
    try {
      url = new URL(`http://${item}`);
    } catch {
      url = undefined;
    }
    if (!url || url.username !== '' || url.pathname !== '/' || url.search !== '' || url.hash !== '' || /[/?#@]/.test(item)) {
      throw new Error(`"${item}" must be a host name, optionally with :port`);
    }
    return url.port === '' ? url.hostname : `${url.hostname}:${url.port}`;
  });
}
