import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ENSURE_CHROMIUM = join(__dirname, '..', 'scripts', 'ensure-chromium.sh');
/** apt-get update + install can take minutes, and parallel runs wait on the script's lock meanwhile. */
const ENSURE_CHROMIUM_TIMEOUT_MS = 600_000;

/**
 * Arguments for launching Debian's Chromium headless in the test container (as root, hence no
 * sandbox; no GPU, no background traffic, no first-run pages).
 */
export const CHROMIUM_ARGS: readonly string[] = Object.freeze([
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
]);

/**
 * Makes sure Debian's Chromium is installed (scripts/ensure-chromium.sh: apt-get as root when
 * missing; `CHROMIUM_PATH` overrides /usr/bin/chromium) and resolves with its executable path.
 * Rejects with the script's own explanation (its stderr) when it cannot be installed.
 */
export async function ensureChromium(): Promise<string> {
  try {
    const { stdout } = await run('bash', [ENSURE_CHROMIUM], { timeout: ENSURE_CHROMIUM_TIMEOUT_MS });
    return stdout.trim();
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr?.trim();
    throw new Error(stderr || String(err), { cause: err });
  }
}
