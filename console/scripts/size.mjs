// The initial JavaScript of the standalone build: the entry script and the chunks index.html
// preloads, gzip-compressed. Fails when over the budget (KB, default 300).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const dist = new URL('../dist/', import.meta.url).pathname;
const budget = Number(process.env.KSFLUX_JS_BUDGET_KB ?? 300);
const html = readFileSync(join(dist, 'index.html'), 'utf8');
const files = [
  ...html.matchAll(/<script[^>]+src="\/([^"]+\.js)"/g),
  ...html.matchAll(/<link[^>]+rel="modulepreload"[^>]+href="\/([^"]+\.js)"/g),
].map((m) => m[1]);
let raw = 0;
let gz = 0;
for (const f of new Set(files)) {
  const b = readFileSync(join(dist, f));
  raw += b.length;
  gz += gzipSync(b, { level: 9 }).length;
}
const kb = (n) => (n / 1024).toFixed(1);
console.log(`initial JS: ${[...new Set(files)].join(', ')}`);
console.log(`initial JS: ${kb(raw)} KB raw, ${kb(gz)} KB gzip (budget ${budget} KB gzip)`);
if (gz / 1024 > budget) {
  console.error('initial JS is over budget');
  process.exit(1);
}
