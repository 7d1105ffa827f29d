// The browser-test harness: a real `chorus serve` on a fresh data directory, the system's
// Chromium driven by playwright-core, the emails the server writes to disk, and the checks
// every visited page must pass (axe-core, no script errors, no CSP violations).
//
// Nothing here sleeps for a fixed time: the server is awaited through the URL it prints and
// /readyz, pages through Playwright's auto-waiting locators, emails by polling the mail folder,
// and every wait has a deadline so a hang fails the run instead of stalling it.
//
// Environment:
//   CHORUS_BIN           the server binary (default <repo>/target/debug/chorus; a relative
//                        path is taken from the current directory, frontend/ under npm)
//   CHORUS_E2E_CHROMIUM  the browser (default /usr/bin/chromium; never downloaded)
//   CHORUS_E2E_KEEP=1    keep each run's data directory (printed) instead of deleting it

import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);

export const frontendDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const repoRoot = resolve(frontendDir, '..');
export const artifactsDir = join(frontendDir, 'e2e', 'artifacts');
const distDir = join(frontendDir, 'dist');
const chorusBin = process.env.CHORUS_BIN
  ? resolve(process.cwd(), process.env.CHORUS_BIN)
  : join(repoRoot, 'target', 'debug', 'chorus');
const chromiumPath = process.env.CHORUS_E2E_CHROMIUM || '/usr/bin/chromium';

/**
 * The base URL the server is told to put in email links. With port 0 the real address is only
 * known after start-up, so links are checked against this origin and then re-rooted on the
 * running server (see `Server.localUrl`).
 */
export const PUBLIC_URL = 'http://chorus-e2e.invalid';

/** Deadlines (ms). Generous for a loaded 2-core CI machine, small enough to fail fast. */
export const TIMEOUTS = { serverStart: 30_000, command: 60_000, action: 15_000, mail: 15_000, stop: 10_000 };

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Poll `probe` until it returns a truthy value or the deadline passes (an error with `fatal` stops at once). */
export async function poll(what, probe, { timeout, interval = 100 }) {
  const deadline = Date.now() + timeout;
  let lastError;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (error) {
      if (error?.fatal) throw error;
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const cause = lastError ? ` (last error: ${lastError.message ?? lastError})` : '';
      throw new Error(`timed out after ${timeout} ms waiting for ${what}${cause}`);
    }
    await sleep(interval);
  }
}

// ---- the server -------------------------------------------------------------

function serverEnv(dataDir) {
  const env = {};
  // A developer's own CHORUS_* settings (database URL, config file, mail transport) must not
  // leak into a test server: it could point at their database.
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('CHORUS_')) env[key] = value;
  }
  return {
    ...env,
    NO_COLOR: '1',
    CHORUS_LISTEN: '127.0.0.1:0',
    CHORUS_DATA_DIR: dataDir,
    CHORUS_FRONTEND_DIR: distDir,
    CHORUS_PUBLIC_URL: PUBLIC_URL,
    CHORUS_MAIL__TRANSPORT: 'file',
    CHORUS_AUTH__LOGIN_PER_ACCOUNT_PER_MINUTE: '1000',
    CHORUS_AUTH__LOGIN_PER_CLIENT_PER_MINUTE: '1000',
  };
}

// Servers still running when this process ends (a crash, or a deadline's SIGTERM from
// scripts/test-browser.sh) are killed and their data directories deleted.
const running = new Set();
const abandonAll = () => {
  for (const abandon of running) abandon();
  running.clear();
};
process.once('exit', abandonAll);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    abandonAll();
    process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
  });
}

/**
 * Start `chorus serve` on a fresh data directory after running `seed` commands against it
 * (each an argument list, e.g. ['create-admin', '--org', 'Acme', …] or ['seed-demo']).
 */
export async function startServer({ seed = [], env: extraEnv = {} } = {}) {
  if (!existsSync(chorusBin)) {
    throw new Error(`server binary not found at ${chorusBin}: run \`cargo build --locked -p chorus --bin chorus\` or set CHORUS_BIN`);
  }
  if (!existsSync(join(distDir, 'index.html'))) {
    throw new Error(`${distDir}/index.html not found: run \`npm run build\` first`);
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'chorus-e2e-'));
  const env = { ...serverEnv(dataDir), ...extraEnv };
  try {
    for (const args of seed) {
      execFileSync(chorusBin, args, { env, cwd: dataDir, timeout: TIMEOUTS.command, stdio: ['ignore', 'pipe', 'pipe'] });
    }
  } catch (error) {
    rmSync(dataDir, { recursive: true, force: true });
    const output = `${error.stdout ?? ''}${error.stderr ?? ''}`.trim();
    throw new Error(`seeding failed: ${error.message}\n${output}`);
  }

  const child = spawn(chorusBin, ['serve'], { env, cwd: dataDir, stdio: ['ignore', 'pipe', 'pipe'] });
  const abandon = () => {
    child.kill('SIGKILL');
    if (process.env.CHORUS_E2E_KEEP !== '1') rmSync(dataDir, { recursive: true, force: true });
  };
  running.add(abandon);
  let log = '';
  const exited = new Promise((resolveExit) => child.once('exit', (code, signal) => resolveExit({ code, signal })));
  let exitInfo = null;
  void exited.then((info) => (exitInfo = info));

  const url = await new Promise((resolveUrl, reject) => {
    let settled = false;
    const timer = setTimeout(() => fail(new Error(`chorus serve printed no URL within ${TIMEOUTS.serverStart} ms`)), TIMEOUTS.serverStart);
    function fail(error) {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${error.message}\n--- server output ---\n${log}`));
    }
    const record = (chunk) => {
      // Keep only recent output for diagnostics; the server may log a lot.
      log = (log + chunk.toString()).slice(-20_000);
      if (settled) return;
      // The announcement is not guaranteed to be the first line (logs may share stdout).
      const match = log.replace(/\x1b\[[0-9;]*m/g, '').match(/Chorus is running at (https?:\/\/[^\s/]+)/);
      if (match) {
        settled = true;
        clearTimeout(timer);
        resolveUrl(match[1]);
      }
    };
    child.stdout.on('data', record);
    child.stderr.on('data', record);
    child.once('error', fail);
    void exited.then(({ code, signal }) => fail(new Error(`chorus serve exited early (code ${code}, signal ${signal})`)));
  });

  await poll(
    `${url}/readyz`,
    async () => {
      if (exitInfo) {
        throw Object.assign(new Error(`chorus serve exited (code ${exitInfo.code}) before it was ready\n${log}`), { fatal: true });
      }
      const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2_000) });
      return res.status === 200;
    },
    { timeout: TIMEOUTS.serverStart },
  );

  const mail = new Mailbox(join(dataDir, 'mail'));

  return {
    url,
    dataDir,
    mail,
    /** The server's recent output, for failure messages. */
    log: () => log,
    /** An emailed link, checked to carry the configured public URL, re-rooted on this server. */
    localUrl(link) {
      const parsed = new URL(link);
      if (parsed.origin !== new URL(PUBLIC_URL).origin) {
        throw new Error(`emailed link ${link} does not start with CHORUS_PUBLIC_URL ${PUBLIC_URL}`);
      }
      return new URL(`${parsed.pathname}${parsed.search}`, url).toString();
    },
    /**
     * SIGTERM, wait for a graceful exit (SIGKILL after a deadline), delete the data directory.
     * Fails if the server did not exit cleanly (status 0) on SIGTERM.
     */
    async stop() {
      running.delete(abandon);
      try {
        if (exitInfo) throw new Error(`chorus serve had already exited (code ${exitInfo.code}, signal ${exitInfo.signal})\n${log}`);
        child.kill('SIGTERM');
        let timer;
        const deadline = new Promise((r) => (timer = setTimeout(r, TIMEOUTS.stop, null)));
        const result = await Promise.race([exited, deadline]);
        clearTimeout(timer);
        if (!result) {
          child.kill('SIGKILL');
          await exited;
          throw new Error(`chorus serve did not stop within ${TIMEOUTS.stop} ms of SIGTERM\n${log}`);
        }
        if (result.code !== 0) {
          throw new Error(`chorus serve exited with code ${result.code} (signal ${result.signal}) on SIGTERM\n${log}`);
        }
      } finally {
        if (process.env.CHORUS_E2E_KEEP === '1') console.log(`kept data directory ${dataDir}`);
        else rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };
}

// ---- email --------------------------------------------------------------------

function decodeQuotedPrintable(text) {
  const joined = text.replace(/=\r?\n/g, '');
  const bytes = [];
  for (let i = 0; i < joined.length; i++) {
    const hex = joined[i] === '=' ? joined.slice(i + 1, i + 3) : '';
    if (/^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(Number.parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(joined[i], 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

function decodeBody(body, encoding) {
  switch ((encoding ?? '').toLowerCase()) {
    case 'quoted-printable':
      return decodeQuotedPrintable(body);
    case 'base64':
      return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
    default:
      return body;
  }
}

/** RFC 2047 encoded words (=?utf-8?Q?…?= / =?utf-8?B?…?=), as used in Subject. */
function decodeHeaderValue(value) {
  return value.replace(/=\?[^?]+\?([QqBb])\?([^?]*)\?=/g, (_, kind, data) =>
    kind.toUpperCase() === 'B'
      ? Buffer.from(data, 'base64').toString('utf8')
      : decodeQuotedPrintable(data.replace(/_/g, ' ')),
  );
}

function parseEntity(raw) {
  const split = raw.search(/\r?\n\r?\n/);
  const head = split < 0 ? raw : raw.slice(0, split);
  const body = split < 0 ? '' : raw.slice(split).replace(/^\r?\n\r?\n/, '');
  const headers = {};
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { headers, body };
}

/** The text/plain content of an email (searching multipart bodies), decoded. */
function plainText(entity) {
  const type = entity.headers['content-type'] ?? 'text/plain';
  const boundary = type.match(/boundary="?([^";]+)"?/i)?.[1];
  if (/^multipart\//i.test(type) && boundary) {
    const parts = entity.body.split(`--${boundary}`).slice(1);
    for (const part of parts) {
      if (part.startsWith('--')) break;
      const text = plainText(parseEntity(part.replace(/^\r?\n/, '')));
      if (text !== null) return text;
    }
    return null;
  }
  if (!/^text\/plain/i.test(type)) return null;
  return decodeBody(entity.body, entity.headers['content-transfer-encoding']);
}

/** Parse one .eml file: { file, to, subject, text, links }. */
export function parseEmail(file) {
  const entity = parseEntity(readFileSync(file, 'utf8'));
  const text = plainText(entity);
  return {
    file,
    to: decodeHeaderValue(entity.headers.to ?? ''),
    subject: decodeHeaderValue(entity.headers.subject ?? ''),
    text,
    links: text ? [...text.matchAll(/https?:\/\/[^\s<>"')]+/g)].map((m) => m[0]) : [],
  };
}

/** The emails the server's file transport writes to <data dir>/mail/*.eml. */
class Mailbox {
  constructor(dir) {
    this.dir = dir;
    this.taken = new Set();
  }

  all() {
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir)
      .filter((name) => name.endsWith('.eml'))
      .map((name) => join(this.dir, name))
      .sort((a, b) => statSync(a).mtimeMs - statSync(b).mtimeMs);
  }

  /**
   * Wait for the next email to `to` not returned before (optionally one whose link path starts
   * with `linkPath`), and return it with its link (re-rooting is up to the caller).
   */
  async next({ to, linkPath }) {
    return poll(
      `an email to ${to}${linkPath ? ` with a ${linkPath} link` : ''} in ${this.dir}`,
      () => {
        for (const file of this.all()) {
          if (this.taken.has(file)) continue;
          const email = parseEmail(file);
          if (!email.to.toLowerCase().includes(to.toLowerCase())) continue;
          // A half-written file has no body yet; try again on the next poll.
          if (email.text === null) continue;
          const link = email.links.find((l) => !linkPath || URL.canParse(l) && new URL(l).pathname === linkPath);
          if (!link) continue;
          this.taken.add(file);
          return { ...email, link };
        }
        return null;
      },
      { timeout: TIMEOUTS.mail },
    );
  }
}

// ---- the browser --------------------------------------------------------------

const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Launch Debian's Chromium (never a downloaded browser). Playwright gives every launch a fresh,
 * temporary user-data-dir and removes it on close; each test then opens its own context, so no
 * cookies or localStorage carry over between tests.
 */
export async function launchBrowser() {
  if (!existsSync(chromiumPath)) {
    throw new Error(`${chromiumPath} not found: run scripts/install-browser.sh (or set CHORUS_E2E_CHROMIUM)`);
  }
  return chromium.launch({ executablePath: chromiumPath, headless: true, args: CHROMIUM_ARGS, timeout: TIMEOUTS.serverStart });
}

/**
 * A fresh context and page that record script errors and CSP violations; `assertClean()`
 * fails the test if any happened. Returns { context, page, assertClean }.
 */
export async function openPage(browser, { viewport = { width: 1280, height: 900 }, colorScheme = 'light' } = {}) {
  const context = await browser.newContext({ viewport, colorScheme, locale: 'en-GB', timezoneId: 'Europe/London' });
  context.setDefaultTimeout(TIMEOUTS.action);
  context.setDefaultNavigationTimeout(TIMEOUTS.action);
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (error) => problems.push(`uncaught error on ${page.url()}: ${error.message}`));
  page.on('console', (message) => {
    const text = message.text();
    if (/Content[- ]Security[- ]Policy/i.test(text)) problems.push(`CSP violation on ${page.url()}: ${text}`);
  });
  return {
    context,
    page,
    assertClean() {
      if (problems.length) throw new Error(`the page reported problems:\n  ${problems.join('\n  ')}`);
    },
  };
}

// ---- page checks ----------------------------------------------------------------

const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const BLOCKING_IMPACTS = new Set(['serious', 'critical']);

function describeViolation(v) {
  const nodes = v.nodes
    .slice(0, 5)
    .map((n) => `      ${n.target.join(' ')}${n.failureSummary ? `\n        ${n.failureSummary.replace(/\n/g, '\n        ')}` : ''}`)
    .join('\n');
  const more = v.nodes.length > 5 ? `\n      … and ${v.nodes.length - 5} more` : '';
  return `  [${v.impact}] ${v.id}: ${v.help} (${v.helpUrl})\n${nodes}${more}`;
}

/**
 * Run axe-core on the page as it is now; fail on any serious or critical violation (printing
 * them all), and record every result in artifacts/axe/<name>.json.
 *
 * axe is injected through the DevTools protocol (page.evaluate), not a <script> tag, so the
 * server's CSP (script-src 'self') stays in force for the app itself.
 */
export async function checkAccessibility(page, name) {
  const hasAxe = await page.evaluate(() => typeof window.axe !== 'undefined');
  if (!hasAxe) await page.evaluate(AXE_SOURCE);
  const result = await page.evaluate(() =>
    window.axe.run(document, { resultTypes: ['violations'] }).then((r) => ({
      violations: r.violations.map((v) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        helpUrl: v.helpUrl,
        nodes: v.nodes.map((n) => ({ target: n.target, failureSummary: n.failureSummary })),
      })),
      passes: r.passes.length,
    })),
  );
  mkdirSync(join(artifactsDir, 'axe'), { recursive: true });
  writeFileSync(
    join(artifactsDir, 'axe', `${name}.json`),
    `${JSON.stringify({ name, url: page.url(), ...result }, null, 2)}\n`,
  );
  const blocking = result.violations.filter((v) => BLOCKING_IMPACTS.has(v.impact));
  if (blocking.length) {
    throw new Error(
      `axe-core found ${blocking.length} serious/critical violation(s) on ${name} (${page.url()}):\n${blocking.map(describeViolation).join('\n')}`,
    );
  }
  return result.violations;
}

/** Save a screenshot of the whole page to artifacts/<name>.png. */
export async function screenshot(page, name) {
  mkdirSync(artifactsDir, { recursive: true });
  await page.screenshot({ path: join(artifactsDir, `${name}.png`), fullPage: true, animations: 'disabled' });
}

/** The checks for a page a person would look at: accessibility, then a screenshot. */
export async function checkpoint(page, name) {
  await checkAccessibility(page, name);
  await screenshot(page, name);
}

/** Fail unless the page fits the viewport's width (no sideways scrolling on small screens). */
export async function assertNoHorizontalOverflow(page) {
  const { scrollWidth, clientWidth } = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    clientWidth: document.documentElement.clientWidth,
  }));
  if (scrollWidth > clientWidth) {
    throw new Error(`page ${page.url()} scrolls sideways: ${scrollWidth}px of content in a ${clientWidth}px viewport`);
  }
}

/** Run every clean-up step even if one fails; then fail with the first error. */
export async function cleanUp(...steps) {
  const results = await Promise.allSettled(steps.map((step) => step?.()));
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
}
