#!/usr/bin/env node
// Generates src/api/schema.d.ts from the server's OpenAPI document, so the frontend's API types
// come from the Rust code and cannot drift from it.
//
//   npm run gen:api                 regenerate src/api/schema.d.ts (commit the result)
//   npm run check:api               regenerate into a temp file; fail if it differs from the
//                                   committed one (CI: the server changed, the types did not)
//
// The document comes from `chorus openapi` (the same one the server serves at
// /api/openapi.json), run from the binary at $CHORUS_BIN, by default ../target/debug/chorus
// (build it with `cargo build --locked -p chorus --bin chorus`). No server has to be running.
//
// The output depends only on the document: keys are sorted (alphabetize) so that reordering
// in the server does not churn the file, and line endings are normalised.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import openapiTS, { astToString } from 'openapi-typescript';

const frontendDir = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const committed = join(frontendDir, 'src', 'api', 'schema.d.ts');
const chorusBin = process.env.CHORUS_BIN
  ? resolve(process.cwd(), process.env.CHORUS_BIN)
  : resolve(frontendDir, '..', 'target', 'debug', 'chorus');

const BANNER = `// GENERATED FILE — do not edit. Regenerate with \`npm run gen:api\` (in frontend/).
// Source: the OpenAPI document of the Chorus server (\`chorus openapi\`, also served at
// /api/openapi.json). To change these types, change the server's API, rebuild it and regenerate;
// \`npm run check:api\` fails when this file and the server disagree.
// Import from ./types (the names the app uses), not from this file.

`;

function fail(message) {
  console.error(`gen:api: ${message}`);
  process.exit(1);
}

function readDocument() {
  if (!existsSync(chorusBin)) {
    fail(
      `server binary not found at ${chorusBin}.\n` +
        'Build it first (from the repository root): cargo build --locked -p chorus --bin chorus\n' +
        'or point CHORUS_BIN at a chorus binary.',
    );
  }
  let stdout;
  try {
    stdout = execFileSync(chorusBin, ['openapi'], {
      // The document must not depend on whoever runs this: drop local CHORUS_* settings.
      env: Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('CHORUS_'))),
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
      timeout: 60_000,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (error) {
    fail(`\`${chorusBin} openapi\` failed: ${error.stderr?.toString().trim() || error.message}`);
  }
  try {
    return JSON.parse(stdout);
  } catch (error) {
    fail(`\`${chorusBin} openapi\` did not print a JSON document: ${error.message}`);
  }
}

async function generate() {
  const document = readDocument();
  const ast = await openapiTS(document, { alphabetize: true, silent: true });
  const body = astToString(ast).replace(/\r\n/g, '\n').trimEnd();
  return `${BANNER}${body}\n`;
}

function showDifference(expectedPath, actualPath) {
  try {
    execFileSync('diff', ['-u', expectedPath, actualPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const text = error.stdout?.toString() ?? '';
    if (text) {
      const lines = text.split('\n');
      console.error(lines.slice(0, 80).join('\n'));
      if (lines.length > 80) console.error(`… (${lines.length - 80} more diff lines)`);
      return;
    }
  }
  console.error('(install `diff` to see the difference)');
}

const args = process.argv.slice(2);
const unknown = args.filter((a) => a !== '--check');
if (unknown.length) fail(`unknown argument(s): ${unknown.join(' ')} (usage: gen-api.mjs [--check])`);

const output = await generate();
const shown = relative(process.cwd(), committed) || committed;

if (args.includes('--check')) {
  const dir = mkdtempSync(join(tmpdir(), 'chorus-check-api-'));
  try {
    const fresh = join(dir, 'schema.d.ts');
    writeFileSync(fresh, output);
    const current = existsSync(committed) ? readFileSync(committed, 'utf8') : null;
    if (current === output) {
      console.log(`check:api: ${shown} matches the server's OpenAPI document.`);
    } else {
      console.error(
        current === null
          ? `check:api: ${shown} does not exist.`
          : `check:api: ${shown} is out of date with the server's OpenAPI document:`,
      );
      if (current !== null) showDifference(committed, fresh);
      console.error('Run `npm run gen:api` in frontend/, fix any type errors it reveals, and commit the result.');
      process.exitCode = 1;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
} else {
  const previous = existsSync(committed) ? readFileSync(committed, 'utf8') : null;
  writeFileSync(committed, output);
  console.log(`gen:api: ${previous === output ? 'unchanged' : 'wrote'} ${shown}`);
}
