// Bundles the app's modules (static/app/) into static/bundle/app/: the page's module
// graph (main.js) and the file worker (files/opfs-worker.js), with the modules that
// load on demand (import()) and the code both share as chunks beside them. A page then
// loads a handful of files instead of one per module: a browser asks for a module's
// imports only once it has it, and each file costs a lookup in the service worker's
// cache or a request to the server.
//
// The source stays the modules: the server serves the bundle only while
// static/bundle/manifest.json's hash of every input matches the files
// (signal_server/app_bundle.py), and the modules otherwise. The vendored libraries stay
// separate files, loaded with their integrity hashes (scripts/build-vendor.mjs).
//
// The output sits two folders below static/, as the modules do, so that a relative URL
// a module makes (new URL('./opfs-worker.js', import.meta.url), '../../icons/…') points
// at the same file from the bundle.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, posix, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const staticDir = join(root, 'static');
const bundleDir = join(staticDir, 'bundle');
const outDir = join(bundleDir, 'app');
const entryPoints = ['app/main.js', 'app/files/opfs-worker.js'];

// An import of a vendored file stays an import of that file, by the URL it has from
// the bundle's folder.
const vendorStaysExternal = {
  name: 'vendor-stays-external',
  setup(build) {
    build.onResolve({ filter: /\/vendor\/[^/]+\.js$/ }, (args) => ({
      path: `../../vendor/${posix.basename(args.path)}`,
      external: true,
    }));
  },
};

await rm(bundleDir, { recursive: true, force: true });
await mkdir(outDir, { recursive: true });
const result = await build({
  absWorkingDir: staticDir,
  entryPoints,
  outdir: outDir,
  entryNames: '[name]',
  chunkNames: 'chunk-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  minify: true,
  sourcemap: 'linked',
  legalComments: 'inline',
  metafile: true,
  plugins: [vendorStaysExternal],
  logLevel: 'warning',
});

const inputs = {};
for (const input of Object.keys(result.metafile.inputs).sort()) {
  const digest = createHash('sha256').update(await readFile(join(staticDir, input))).digest('hex');
  inputs[input] = digest;
}
// What main.js loads at once: its chunks' static imports, and its own import()s (the
// app, app-start.js) with theirs. The page preloads all of them with it.
const outputs = result.metafile.outputs;
const mainOutput = Object.keys(outputs).find((path) => outputs[path].entryPoint === 'app/main.js');
const toStatic = (path) => relative(staticDir, join(staticDir, path)).split('\\').join('/');
const preload = new Set();
const visit = (output, kinds) => {
  for (const imported of outputs[output].imports) {
    if (imported.external || !kinds.includes(imported.kind) || preload.has(imported.path)) continue;
    preload.add(imported.path);
    visit(imported.path, ['import-statement']);
  }
};
visit(mainOutput, ['import-statement', 'dynamic-import']);
const manifest = { entry: toStatic(mainOutput), preload: [...preload].map(toStatic), inputs };
await writeFile(join(bundleDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
console.log(`app bundle written to ${outDir} (${Object.keys(inputs).length} modules)`);
