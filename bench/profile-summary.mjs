// node bench/profile-summary.mjs FILE.cpuprofile [N]: where a `node --cpu-prof` profile spends its
// time, by function (self time) and by package or source file.
import { readFileSync } from 'node:fs';

const [file, n = '25'] = process.argv.slice(2);
const prof = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(prof.nodes.map((x) => [x.id, x]));
const self = new Map();
const dt = prof.timeDeltas;
for (let i = 0; i < prof.samples.length; i++) {
  self.set(prof.samples[i], (self.get(prof.samples[i]) ?? 0) + (dt[i] ?? 0));
}
const total = [...self.values()].reduce((a, b) => a + b, 0);
const where = (cf) => {
  const url = cf.url || '';
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1];
  if (url.includes('/dist/')) return url.replace(/.*\/dist\//, 'dist/');
  if (url.startsWith('node:')) return url;
  return url || `(${cf.functionName || 'native'})`;
};
const fn = new Map();
const pkg = new Map();
for (const [id, t] of self) {
  const cf = byId.get(id).callFrame;
  const k = `${cf.functionName || '(anonymous)'}  ${where(cf)}:${cf.lineNumber + 1}`;
  fn.set(k, (fn.get(k) ?? 0) + t);
  const w = where(cf);
  pkg.set(w, (pkg.get(w) ?? 0) + t);
}
const pct = (t) => `${((100 * t) / total).toFixed(1).padStart(5)} %`;
console.log(`total sampled ${(total / 1e6).toFixed(1)} s`);
console.log('\nby package / file (self time):');
for (const [k, t] of [...pkg].sort((a, b) => b[1] - a[1]).slice(0, Number(n)))
  console.log(`${pct(t)}  ${k}`);
console.log('\nby function (self time):');
for (const [k, t] of [...fn].sort((a, b) => b[1] - a[1]).slice(0, Number(n)))
  console.log(`${pct(t)}  ${k}`);
