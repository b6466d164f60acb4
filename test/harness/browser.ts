import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CHROMIUM_ARGS, ensureChromium } from '@roomcast/testing';
import { ROOT } from './processes';
import { startEmbeddedStack, type Stack } from './stacks';

/**
 * Where browser tests write their artefacts (screenshots/ below it): `test-artifacts/` at the repo
 * root (git-ignored), or `ROOMCAST_TEST_ARTIFACTS`.
 */
export const ARTIFACTS_DIR = process.env.ROOMCAST_TEST_ARTIFACTS ?? join(ROOT, 'test-artifacts');
export const SCREENSHOTS_DIR = join(ARTIFACTS_DIR, 'screenshots');

/** How long a page gets for one expected change (a frame to arrive and render). */
export const PAGE_WAIT_MS = 20_000;

/**
 * One user in one headless Chromium: its own browser process with exactly one page. Two pages in
 * one browser sometimes ended in "Target closed" on the 2-core CI machine, so two users are two
 * browsers.
 */
export interface BrowserSession {
  readonly name: string;
  readonly browser: Browser;
  readonly page: Page;
  /** Uncaught errors of the page (`pageerror`) and `console.error` lines, for assertions. */
  readonly errors: string[];
  /** Saves a full-page PNG as `<SCREENSHOTS_DIR>/<prefix>-<session>-<label>.png`; returns its path. */
  screenshot(label: string): Promise<string>;
  close(): Promise<void>;
}

let chromiumPath: Promise<string> | undefined;

/** Debian's Chromium (packages/testing/scripts/ensure-chromium.sh installs it when missing), once per test file. */
export function chromiumExecutable(): Promise<string> {
  chromiumPath ??= ensureChromium();
  return chromiumPath;
}

/**
 * Launches a browser for `name` and opens `url` in its one page. `prefix` names the screenshots
 * (e.g. the test file), so runs of several files do not overwrite each other's.
 */
export async function openSession(name: string, url: string, prefix: string): Promise<BrowserSession> {
  const browser = await chromium.launch({
    executablePath: await chromiumExecutable(),
    args: [...CHROMIUM_ARGS],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 960, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(`pageerror: ${String(e)}`));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(`console.error: ${m.text()}`);
    });
    await page.goto(url);
    return {
      name,
      browser,
      page,
      errors,
      async screenshot(label) {
        mkdirSync(SCREENSHOTS_DIR, { recursive: true });
        const path = join(SCREENSHOTS_DIR, `${prefix}-${name}-${label}.png`.replace(/[^A-Za-z0-9_.-]/g, '_'));
        await page.screenshot({ path, fullPage: true });
        console.log(`[screenshot] ${path}`);
        return path;
      },
      async close() {
        await browser.close();
      },
    };
  } catch (err) {
    await browser.close();
    throw err;
  }
}

/** What {@link joinRoom} fills into the page's join form. */
export interface JoinAs {
  userId: string;
  roomId: string;
  /** Tick "join as host" (the page then asks /dev/token for the host role in the room). */
  host?: boolean;
}

/** Fills the join form, submits it and waits until the page says it joined. */
export async function joinRoom(session: BrowserSession, as: JoinAs): Promise<void> {
  const { page } = session;
  await page.fill('#name', as.userId);
  await page.fill('#room', as.roomId);
  if (as.host !== undefined) await page.setChecked('#as-host', as.host);
  await page.click('#join');
  await page.waitForSelector('#status[data-state="joined"]', { timeout: PAGE_WAIT_MS });
}

/** Types `text` into the composer and sends it with the Send button. */
export async function sendChat(session: BrowserSession, text: string): Promise<void> {
  await session.page.fill('#text', text);
  await session.page.click('#send');
}

/** The page's chat list: seq, author and text of every message element shown. */
export async function shownMessages(
  session: BrowserSession,
): Promise<{ seq: number; userId: string; text: string }[]> {
  return session.page.$$eval('#messages li[data-seq]', (lis) =>
    lis.map((li) => ({
      seq: Number(li.getAttribute('data-seq')),
      userId: li.getAttribute('data-user') ?? '',
      text: li.querySelector('.body')?.textContent ?? '',
    })),
  );
}

/**
 * The setup every room-page browser test shares: before the describe's tests, the embedded start as
 * its own process (with `env`) and Chromium; after them, every session closed and the process
 * stopped. `open(name)` opens a session on the page (screenshots prefixed `prefix`); `stack()` is
 * the running stack (tokens, HTTP).
 */
export function usePageStack(prefix: string, env: Record<string, string> = {}): { open(name: string): Promise<BrowserSession>; stack(): Stack } {
  let stack: Stack | undefined;
  const sessions: BrowserSession[] = [];
  beforeAll(async () => {
    [stack] = await Promise.all([startEmbeddedStack(env), chromiumExecutable()]);
  }, 660_000);
  afterAll(async () => {
    await Promise.all(sessions.splice(0).map((s) => s.close()));
    await stack?.stop();
  }, 60_000);
  const running = (): Stack => {
    if (!stack) throw new Error('the embedded stack did not start');
    return stack;
  };
  return {
    stack: running,
    async open(name) {
      const session = await openSession(name, `${running().historyUrl}/`, prefix);
      sessions.push(session);
      return session;
    },
  };
}
