import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Hono } from 'hono';

interface Asset {
  body: string;
  contentType: string;
  version: string;
}

const require = createRequire(import.meta.url);

function load(file: string, contentType: string): Asset {
  const body = readFileSync(file, 'utf8');
  return { body, contentType, version: createHash('sha256').update(body).digest('hex').slice(0, 12) };
}

export type AssetName = 'htmx.min.js' | 'admin.js' | 'admin.css' | 'favicon.svg';

/**
 * Everything the admin page loads comes from the service itself: the CSP allows no other origin.
 * A Map, not an object literal, so a requested name is only ever one of these: `constructor`,
 * `__proto__` and other names every object inherits find nothing.
 */
const ASSETS = new Map<string, Asset>([
  ['htmx.min.js', load(require.resolve('htmx.org/dist/htmx.min.js'), 'text/javascript; charset=utf-8')],
  ['admin.js', load(new URL('./static/admin.js', import.meta.url).pathname, 'text/javascript; charset=utf-8')],
  ['admin.css', load(new URL('./static/admin.css', import.meta.url).pathname, 'text/css; charset=utf-8')],
  ['favicon.svg', load(new URL('./static/favicon.svg', import.meta.url).pathname, 'image/svg+xml')],
] satisfies [AssetName, Asset][]);

/** A URL that changes with the file's content, so browsers may cache it for a long time. */
export function assetUrl(name: AssetName): string {
  return `/admin/static/${name}?v=${ASSETS.get(name)!.version}`;
}

export function staticRoutes() {
  return new Hono().get('/static/:name', (c) => {
    const asset = ASSETS.get(c.req.param('name'));
    if (!asset) return c.text('not found', 404);
    c.header('Content-Type', asset.contentType);
    c.header('Cache-Control', c.req.query('v') === asset.version ? 'public, max-age=31536000, immutable' : 'no-cache');
    return c.body(asset.body);
  });
}
