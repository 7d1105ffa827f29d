#!/usr/bin/env node
// Budget for the JavaScript a browser must download before the first screen: every script
// and modulepreload referenced from dist/index.html, gzipped. Fails above the budget.
// Usage: node scripts/check-size.mjs [--budget-kb 200] [--dist dist]

import { readFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync, constants } from 'node:zlib';

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? args[i + 1] : fallback;
};
const budgetKb = Number(opt('--budget-kb', '200'));
const dist = resolve(dirname(fileURLToPath(import.meta.url)), '..', opt('--dist', 'dist'));
const indexPath = join(dist, 'index.html');

if (!existsSync(indexPath)) {
  console.error(`check-size: ${indexPath} not found — run "npm run build" first.`);
  process.exit(1);
}

const html = readFileSync(indexPath, 'utf8');
const refs = new Set();
for (const tag of html.match(/<(script|link)\b[^>]*>/gi) ?? []) {
  const isScript = /^<script/i.test(tag);
  const isPreload = /\brel\s*=\s*["']?modulepreload/i.test(tag);
  if (!isScript && !isPreload) continue;
  const attr = tag.match(/\b(?:src|href)\s*=\s*["']([^"']+)["']/i);
  if (!attr) continue;
  const url = attr[1];
  if (/^(?:[a-z]+:)?\/\//i.test(url)) {
    console.error(`check-size: external script ${url} cannot be measured; bundle it instead.`);
    process.exit(1);
  }
  refs.add(url.split(/[?#]/)[0]);
}

if (refs.size === 0) {
  console.error('check-size: no scripts referenced from dist/index.html — is the build broken?');
  process.exit(1);
}

let total = 0;
const rows = [];
for (const ref of refs) {
  const file = join(dist, ref.replace(/^\//, ''));
  if (!existsSync(file)) {
    console.error(`check-size: ${ref} is referenced from index.html but missing from dist/.`);
    process.exit(1);
  }
  const raw = readFileSync(file);
  const gz = gzipSync(raw, { level: constants.Z_BEST_COMPRESSION }).length;
  total += gz;
  rows.push({ ref, raw: raw.length, gz });
}

const kb = (n) => (n / 1024).toFixed(2);
for (const r of rows) console.log(`  ${r.ref}  ${kb(r.raw)} KB raw, ${kb(r.gz)} KB gzipped`);
const budget = budgetKb * 1024;
const verdict = total <= budget ? 'OK' : 'OVER BUDGET';
console.log(`Initial JS: ${kb(total)} KB gzipped (budget ${budgetKb} KB) — ${verdict}`);
process.exit(total <= budget ? 0 : 1);
