// End-to-end walk through the console in a real browser (Debian's Chromium driven by playwright-core)
// against a running Kagami server: import a dataset by upload, start a short fine-tuning run and watch it
// live, open the comparison and the PoC report, compare search results, check the gate, switch to Japanese,
// print, and fetch the PDFs. axe-core checks every page (no serious or critical violation allowed).
//
//   KAGAMI_BASE_URL=http://localhost:8080 KAGAMI_E2E_ZIP=/path/patterns.zip KAGAMI_E2E_OUT=out node e2e/run.mjs
//
// Writes screenshots, the printed page and the server's PDFs to KAGAMI_E2E_OUT and prints one line per
// step; exits 1 at the first failure (its screenshot is saved as failure.png).
import { chromium } from 'playwright-core';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const base = process.env.KAGAMI_BASE_URL ?? 'http://localhost:8080';
const zip = process.env.KAGAMI_E2E_ZIP;
const out = process.env.KAGAMI_E2E_OUT ?? 'e2e/screenshots';
const chromiumPath = process.env.KAGAMI_CHROMIUM ?? '/usr/bin/chromium';
const runTimeout = Number(process.env.KAGAMI_E2E_RUN_TIMEOUT_MS ?? 300000);
if (!zip) throw new Error('KAGAMI_E2E_ZIP must name the zip of class folders to upload');
mkdirSync(out, { recursive: true });
const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

const browser = await chromium.launch({
  executablePath: chromiumPath,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
    '--no-first-run', '--disable-sync', '--disable-quic'],
});
const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 900 } });
const page = await context.newPage();
const consoleErrors = [];
page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
page.on('pageerror', (e) => consoleErrors.push(String(e)));
const violations = [];

function step(name) {
  console.log('e2e: ' + name);
}

async function shot(name) {
  await page.screenshot({ path: join(out, name + '.png'), fullPage: true });
}

async function axe(where) {
  await page.addScriptTag({ path: axePath });
  const result = await page.evaluate(() => window.axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'best-practice'] }));
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  for (const v of bad) violations.push(where + ': ' + v.id + ' (' + v.impact + ') ' + v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', '));
  console.log('e2e: axe ' + where + ': ' + result.violations.length + ' violations, ' + bad.length + ' serious or critical'
    + bad.map((v) => '\n  ' + v.id + ': ' + v.help + ' at ' + v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')).join(''));
}

async function text(selector) {
  return (await page.locator(selector).first().innerText()).trim();
}

function expect(cond, message) {
  if (!cond) throw new Error(message);
}

try {
  step('overview');
  await page.goto(base + '/');
  await page.locator('.alias[data-alias="production"] .big').waitFor();
  expect((await text('.alias[data-alias="production"] .big')).includes('/'), 'production alias shows no version');
  await page.locator('[data-testid="operations"]').waitFor();
  await shot('01-overview');
  await axe('overview');

  step('import a dataset by upload');
  await page.click('a[href="#/datasets"]');
  await page.fill('input[name="trainFraction"]', '0.5');
  await page.fill('input[name="validationFraction"]', '0.25');
  await page.fill('input[name="testFraction"]', '0.25');
  await page.fill('input[name="uploadName"]', 'patterns');
  await page.setInputFiles('input[name="file"]', zip);
  await page.click('form[aria-label="By upload"] button[type="submit"]');
  await page.locator('.job[data-state="SUCCEEDED"]').waitFor({ timeout: 120000 });
  await page.locator('[data-testid="import-result"]').waitFor();
  expect(page.url().includes('job='), 'the import job is not in the URL');
  await shot('02-dataset-imported');
  step('reload re-attaches to the job');
  await page.reload();
  await page.locator('.job[data-state="SUCCEEDED"]').waitFor();
  await axe('datasets');
  await page.click('[data-testid="import-result"] a');
  await page.locator('.thumbs img').first().waitFor();
  await shot('03-dataset');
  await axe('dataset');

  step('start a short run');
  await page.click('a[href="#/finetune"]');
  await page.selectOption('select[name="dataset"]', 'patterns');
  await page.check('input[name="method"][value="MCIP"]');
  await page.fill('input[name="epochs"]', '2');
  await page.selectOption('select[name="captions"]', 'LABEL_TEMPLATES');
  await page.fill('input[name="learningRate"]', '0.001');
  await page.locator('[data-testid="estimate"]').filter({ hasText: 'training images' }).waitFor();
  await shot('04-finetune-form');
  await axe('finetune');
  await page.click('form[aria-label="Start a run"] button[type="submit"]');
  await page.waitForURL(/#\/runs\//);
  const runId = decodeURIComponent(page.url().split('#/runs/')[1]);
  step('watch run ' + runId);
  await page.locator('[data-testid="run-status"][data-state="RUNNING"], [data-testid="run-status"][data-state="SUCCEEDED"]').waitFor({ timeout: 60000 });
  await page.locator('[data-testid="run-status"]:is([data-state="SUCCEEDED"], [data-state="FAILED"], [data-state="CANCELLED"])')
    .waitFor({ timeout: runTimeout });
  const ended = await page.locator('[data-testid="run-status"]').getAttribute('data-state');
  expect(ended === 'SUCCEEDED', 'the run ended ' + ended + ': ' + (await page.locator('.error').allInnerTexts()).join(' '));
  await page.locator('[data-testid="validations"]').waitFor();
  await shot('05-run');
  await axe('run');

  step('compare before and after');
  await page.click('a[href^="#/compare"]');
  await page.locator('[data-testid="kpi-changes"] tbody tr').first().waitFor();
  await page.locator('[data-testid="worse-count"]').waitFor();
  await shot('06-compare');
  await axe('compare');

  step('PoC report');
  await page.goto(base + '/#/poc/' + encodeURIComponent(runId));
  await page.locator('[data-testid="recommendation"]').waitFor();
  await shot('07-poc');
  await axe('poc');
  await page.emulateMedia({ media: 'print' });
  await page.pdf({ path: join(out, 'poc-printed.pdf'), format: 'A4' });
  await page.emulateMedia({ media: 'screen' });
  for (const lang of ['en', 'ja']) {
    const res = await page.request.get(base + '/api/v1/poc/' + encodeURIComponent(runId) + '/pdf?lang=' + lang);
    expect(res.ok(), 'PDF ' + lang + ': HTTP ' + res.status());
    expect(res.headers()['content-type'].startsWith('application/pdf'), 'PDF ' + lang + ' has type ' + res.headers()['content-type']);
    writeFileSync(join(out, 'poc-' + lang + '.pdf'), await res.body());
  }
  const tuned = (await page.request.get(base + '/api/v1/runs/' + encodeURIComponent(runId)).then((r) => r.json())).resultModel;

  step('search side by side');
  await page.click('a[href="#/search"]');
  await page.selectOption('select[name="dataset"]', 'patterns');
  await page.locator('select[name="queryClass"] option[value="vertical"]').waitFor({ state: 'attached' });
  const first = await page.locator('select[name="left"] option').nth(1).getAttribute('value');
  await page.selectOption('select[name="left"]', first === tuned ? (await page.locator('select[name="left"] option').nth(2).getAttribute('value')) : first);
  await page.selectOption('select[name="right"]', tuned);
  await page.fill('input[name="text"]', 'vertical stripes');
  await page.selectOption('select[name="queryClass"]', 'vertical');
  await page.click('form[aria-label="Query"] button[type="submit"]');
  await page.locator('[data-testid="precision-1"] strong').waitFor({ timeout: 60000 });
  expect(/\d/.test(await text('[data-testid="precision-0"] strong')), 'no precision@k on the left');
  await shot('08-search');
  await axe('search');

  step('gate verdict for the tuned version');
  await page.click('a[href="#/models"]');
  await page.selectOption('select[name="candidate"]', tuned);
  await page.selectOption('form[aria-label="Promote to production"] select[name="dataset"]', 'patterns');
  await page.click('form[aria-label="Promote to production"] button[type="submit"]');
  await page.locator('[data-testid="verdict"]').waitFor({ timeout: 120000 });
  await shot('09-models');
  await axe('models');

  step('switch to Japanese');
  await page.selectOption('select[name="language"]', 'ja');
  await page.locator('nav a[href="#/overview"]', { hasText: '概要' }).waitFor();
  await page.goto(base + '/#/poc/' + encodeURIComponent(runId));
  await page.locator('h1', { hasText: 'PoC レポート' }).waitFor();
  expect((await page.locator('html').getAttribute('lang')) === 'ja', 'html lang is not ja');
  await shot('10-poc-ja');
  await axe('poc-ja');
  step('keyboard: skip link and navigation');
  await page.reload();
  await page.locator('h1', { hasText: 'PoC レポート' }).waitFor();
  await page.keyboard.press('Tab');
  expect((await page.evaluate(() => document.activeElement?.className)) === 'skip', 'the first Tab does not reach the skip link');
  await page.keyboard.press('Enter');
  expect((await page.evaluate(() => document.activeElement?.id)) === 'main', 'the skip link does not move focus to the content');
  await page.keyboard.press('Tab');
  expect(await page.evaluate(() => !!document.activeElement?.closest('main')), 'Tab after the skip link leaves the content');

  expect(violations.length === 0, 'axe found serious violations:\n' + violations.join('\n'));
  expect(consoleErrors.length === 0, 'the browser console logged errors:\n' + consoleErrors.join('\n'));
  console.log('e2e: passed (run ' + runId + ', tuned ' + tuned + ')');
} catch (e) {
  await page.screenshot({ path: join(out, 'failure.png'), fullPage: true }).catch(() => {});
  console.error('e2e: FAILED: ' + (e instanceof Error ? e.message : String(e)));
  if (consoleErrors.length) console.error('e2e: browser console:\n' + consoleErrors.join('\n'));
  process.exitCode = 1;
} finally {
  await browser.close();
}
