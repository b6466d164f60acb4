import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The repository root: the load tool runs from there, as `pnpm roomcast-load` does. */
export const ROOT = join(__dirname, '..', '..', '..');
export const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const CLI = join(__dirname, '..', 'src', 'cli.ts');

/** What a `roomcast-load` process ended with; `code` -1 when it was killed or did not start. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `roomcast-load` with `args` as a process (90 s at most) and resolves whatever its exit code. */
export async function roomcastLoad(args: string[]): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run(TSX, [CLI, ...args], { cwd: ROOT, timeout: 90_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}
