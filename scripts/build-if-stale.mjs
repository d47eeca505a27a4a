// node scripts/build-if-stale.mjs [--force] [TARGET...]: builds the targets named (default: all)
// and what they depend on, skipping each one whose inputs have not changed since its last
// successful build. `npm start` runs it for the server and the console, so a second start with no
// source change goes straight to the server, and a change to one app rebuilds only that app.
//
// A target's fingerprint is a SHA-256 over its input files' paths and contents (so an edit, a new
// file, a deleted file or a branch switch all count, whatever the mtimes say) and over the
// fingerprints of the targets it depends on. It is written to dist/.build-stamps/TARGET after the
// build succeeds; a target whose stamp differs, or whose output is missing, is rebuilt.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const stamps = join(root, 'dist', '.build-stamps');
const bin = (name) => join(root, 'node_modules', '.bin', name);

// what every target's build reads besides its own files: the installed dependencies and the base
// compiler options
const COMMON = ['package-lock.json', 'tsconfig.json'];

/** Each target: its inputs, the targets whose output (or sources) it reads, its build, its output. */
const TARGETS = {
  contracts: {
    inputs: [
      'libs/contracts/src',
      'libs/contracts/tsconfig.lib.json',
      'libs/contracts/package.json',
    ],
    deps: [],
    build: [[bin('tsc'), '-p', 'libs/contracts/tsconfig.lib.json']],
    output: 'libs/contracts/dist/index.js',
  },
  guards: {
    inputs: ['libs/guards/src', 'libs/guards/tsconfig.lib.json', 'libs/guards/package.json'],
    deps: [],
    build: [[bin('tsc'), '-p', 'libs/guards/tsconfig.lib.json']],
    output: 'libs/guards/dist/index.js',
  },
  server: {
    inputs: ['apps/server/src', 'apps/server/tsconfig.app.json', 'nest-cli.json'],
    deps: ['contracts', 'guards'],
    build: [[bin('nest'), 'build', 'server']],
    output: 'dist/apps/server/main.js',
  },
  'example-orders': {
    inputs: ['apps/example-orders/src', 'apps/example-orders/tsconfig.app.json', 'nest-cli.json'],
    deps: ['guards'],
    build: [[bin('nest'), 'build', 'example-orders']],
    output: 'dist/apps/example-orders/main.js',
  },
  // the console bundles @tessera/contracts from its sources (vite alias), hence the dependency
  admin: {
    inputs: [
      'apps/admin/src',
      'apps/admin/index.html',
      'apps/admin/tsconfig.json',
      'apps/admin/vite.config.mts',
    ],
    deps: ['contracts'],
    build: [
      [bin('tsc'), '-p', 'apps/admin/tsconfig.json'],
      [bin('vite'), 'build', '--config', 'apps/admin/vite.config.mts'],
    ],
    output: 'dist/admin/index.html',
  },
};

// tests sit next to the code but are not part of any build
const IGNORED = /(^|\/)(node_modules|dist)(\/|$)|\.(spec|db-spec|e2e-spec)\.tsx?$/;

function files(path) {
  const abs = join(root, path);
  if (!existsSync(abs)) return [];
  if (!statSync(abs).isDirectory()) return IGNORED.test(path) ? [] : [path];
  return readdirSync(abs, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(root, join(e.parentPath, e.name)).split('\\').join('/'))
    .filter((p) => !IGNORED.test(p));
}

const fingerprints = new Map();
function fingerprint(name) {
  if (fingerprints.has(name)) return fingerprints.get(name);
  const t = TARGETS[name];
  const hash = createHash('sha256');
  for (const dep of t.deps) hash.update(`dep ${dep} ${fingerprint(dep)}\n`);
  for (const file of [...COMMON, ...t.inputs.flatMap(files)].sort()) {
    hash.update(`file ${file}\n`);
    hash.update(readFileSync(join(root, file)));
    hash.update('\n');
  }
  const digest = hash.digest('hex');
  fingerprints.set(name, digest);
  return digest;
}

const stampOf = (name) => {
  try {
    return readFileSync(join(stamps, name), 'utf8').trim();
  } catch {
    return undefined;
  }
};

const args = process.argv.slice(2);
const force = args.includes('--force');
const asked = args.filter((a) => a !== '--force');
for (const name of asked)
  if (!(name in TARGETS)) {
    process.stderr.write(
      `build-if-stale: unknown target ${name} (${Object.keys(TARGETS).join(', ')})\n`,
    );
    process.exit(2);
  }

// the targets asked for and their dependencies, dependencies first
const order = [];
const visit = (name) => {
  if (order.includes(name)) return;
  TARGETS[name].deps.forEach(visit);
  order.push(name);
};
(asked.length ? asked : Object.keys(TARGETS)).forEach(visit);

const started = Date.now();
const built = [];
for (const name of order) {
  const t = TARGETS[name];
  const digest = fingerprint(name);
  if (!force && stampOf(name) === digest && existsSync(join(root, t.output))) continue;
  process.stdout.write(`build-if-stale: building ${name}\n`);
  for (const [cmd, ...cmdArgs] of t.build) {
    const r = spawnSync(cmd, cmdArgs, { cwd: root, stdio: 'inherit' });
    if (r.status !== 0) {
      process.stderr.write(`build-if-stale: ${name} failed (${[cmd, ...cmdArgs].join(' ')})\n`);
      process.exit(r.status ?? 1);
    }
  }
  mkdirSync(stamps, { recursive: true });
  writeFileSync(join(stamps, name), `${digest}\n`);
  built.push(name);
}
const skipped = order.filter((n) => !built.includes(n));
process.stdout.write(
  `build-if-stale: ${built.length ? `built ${built.join(', ')}` : 'nothing to build'}` +
    (skipped.length ? `; up to date: ${skipped.join(', ')}` : '') +
    ` (${((Date.now() - started) / 1000).toFixed(1)} s)\n`,
);
