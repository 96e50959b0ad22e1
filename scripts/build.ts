/**
 * `npm run build`: bundles each entry point into one ES module in dist/ (dependencies stay in
 * node_modules) and copies beside them the files the service reads at run time, so dist/ plus
 * node_modules is all production needs. Why a bundle and not tsc: docs/adr/0007-build.md.
 */
import { cpSync, rmSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const { values } = parseArgs({ options: { outdir: { type: 'string', default: 'dist' } } });
const outdir = values.outdir;

const entryPoints = {
  main: 'src/main.ts',
  migrate: 'src/cli/migrate.ts',
  'backfill-products': 'src/cli/backfill-products.ts',
  simulator: 'src/simulator/cli.ts',
};

rmSync(outdir, { recursive: true, force: true });
// One bundle per entry point, no shared chunks: every file in dist/ then sits at the same depth,
// so the run-time paths below (./static, ./drizzle) resolve from each of them.
await build({
  entryPoints,
  outdir,
  bundle: true,
  splitting: false,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: 'linked',
  legalComments: 'none',
  logLevel: 'warning',
});
cpSync('src/admin/static', `${outdir}/static`, { recursive: true });
cpSync('drizzle', `${outdir}/drizzle`, { recursive: true });
process.stdout.write(`built ${Object.keys(entryPoints).map((name) => `${outdir}/${name}.js`).join(', ')}\n`);
