import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { waitFor } from '@roomcast/testing';

export const ROOT = join(__dirname, '..', '..');

/** A free TCP port on loopback (bound then released). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (addr && typeof addr === 'object' ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

export interface ServiceProcess {
  name: string;
  port: number;
  /** The running process; a new one after `restart()`. */
  readonly child: ChildProcess;
  /** Last lines of output, for failure messages. */
  output(): string;
  stop(): Promise<number | null>;
  /** SIGKILL (kill -9): no shutdown hooks run. Resolves once the process is gone. */
  kill(): Promise<void>;
  /**
   * Starts the service again with the same env and port (so a gateway keeps its GATEWAY_ID and
   * URL) and resolves once its `/readyz` answers 200. Only after it has exited (`kill`, `stop`).
   */
  restart(readyTimeoutMs?: number): Promise<void>;
}

/** Options of {@link startService}. */
export interface StartServiceOptions {
  /** How long to wait for `/readyz` = 200, in ms. Default 60000. */
  readyTimeoutMs?: number;
  /** Also append every output line to this file (kept across restarts). */
  logFile?: string;
}

interface Run {
  child: ChildProcess;
  exited: Promise<number | null>;
  exitCode: number | null | undefined;
}

/**
 * `SERVICE_CPU_PROF_DIR=<dir>` in the environment of a bench or test: every service started here
 * writes a V8 CPU profile there when it exits (`node --cpu-prof`; NODE_OPTIONS refuses the flag).
 */
function cpuProfileArgs(): string[] {
  const dir = process.env.SERVICE_CPU_PROF_DIR;
  return dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : [];
}

/**
 * Starts `services/<dir>/src/main.ts` as its own process and waits for `/readyz` = 200. The
 * process is node itself with tsx as a loader (`node --import tsx`), not the tsx CLI: the CLI
 * runs the service in a child process, so a SIGKILL of it would leave the service running.
 */
export async function startService(
  name: string,
  dir: string,
  env: Record<string, string>,
  options: StartServiceOptions | number = {},
): Promise<ServiceProcess> {
  const { readyTimeoutMs = 60000, logFile } =
    typeof options === 'number' ? { readyTimeoutMs: options } : options;
  const port = env.PORT ? Number(env.PORT) : await freePort();
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    const text = chunk.toString();
    if (logFile) appendFileSync(logFile, text);
    lines.push(...text.split('\n').filter(Boolean));
    if (lines.length > 200) lines.splice(0, lines.length - 200);
  };
  const launch = (): Run => {
    const child = spawn(
      process.execPath,
      [...cpuProfileArgs(), '--import', 'tsx', join(ROOT, 'services', dir, 'src', 'main.ts')],
      {
        cwd: ROOT,
        env: {
          ...process.env,
          NODE_ENV: 'test',
          LOG_LEVEL: 'warn',
          HOST: '127.0.0.1',
          ...env,
          PORT: String(port),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const run: Run = { child, exitCode: undefined, exited: Promise.resolve(null) };
    run.exited = new Promise<number | null>((resolve) =>
      child.once('exit', (code) => {
        run.exitCode = code;
        resolve(code);
      }),
    );
    return run;
  };
  let run = launch();

  const stop = async (): Promise<number | null> => {
    if (run.exitCode !== undefined) return run.exitCode;
    run.child.kill('SIGTERM');
    const timer = setTimeout(() => run.child.kill('SIGKILL'), 20000);
    const code = await run.exited;
    clearTimeout(timer);
    return code;
  };
  const proc: ServiceProcess = {
    name,
    port,
    get child() {
      return run.child;
    },
    output: () => lines.slice(-40).join('\n'),
    stop,
    async kill() {
      if (run.exitCode !== undefined) return;
      run.child.kill('SIGKILL');
      await run.exited;
    },
    async restart(timeoutMs = readyTimeoutMs) {
      if (run.exitCode === undefined)
        throw new Error(`${name} is still running: kill or stop it before restart`);
      keep(Buffer.from(`--- ${name} restarted ---\n`));
      run = launch();
      await awaitReady(timeoutMs);
    },
  };
  const awaitReady = async (timeoutMs: number): Promise<void> => {
    const current = run;
    try {
      await waitFor(
        async () => {
          if (current.exitCode !== undefined)
            throw new Error(`${name} exited with ${current.exitCode}:\n${proc.output()}`);
          const res = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined);
          return res?.status === 200;
        },
        `${name} /readyz`,
        timeoutMs,
        200,
      );
    } catch (err) {
      await stop();
      throw new Error(`${String(err)}\n--- ${name} output ---\n${proc.output()}`);
    }
  };
  await awaitReady(readyTimeoutMs);
  return proc;
}
