/**
 * The chaos suite's own Kafka, Redis and FerretDB: `scripts/infra.sh` with other ports and
 * another run dir, so restarting them never touches the instance the tests share.
 */
import { spawn } from 'node:child_process';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { InfraEnv } from '@roomcast/testing';
import { ROOT } from '../../test/harness/processes';

/** Ports of the private instance: the test instance's plus 10000 (19092 -> 29092, ...). */
export const CHAOS_PORTS = { kafka: 29092, kafkaController: 29093, redis: 26379, ferretdb: 27028 } as const;

export type InfraComponent = 'kafka' | 'redis' | 'mongo';

export class ChaosInfra {
  /** Environment of every infra.sh call: the overrides that make the instance private. */
  readonly env: NodeJS.ProcessEnv;
  readonly runDir: string;

  constructor(env: NodeJS.ProcessEnv = process.env) {
    const cache = env.ROOMCAST_CACHE ?? join(homedir(), '.cache', 'roomcast');
    this.runDir = join(cache, 'run-chaos');
    this.env = {
      ...env,
      ROOMCAST_RUN: this.runDir,
      ROOMCAST_KAFKA_PORT: String(CHAOS_PORTS.kafka),
      ROOMCAST_KAFKA_CONTROLLER_PORT: String(CHAOS_PORTS.kafkaController),
      ROOMCAST_REDIS_PORT: String(CHAOS_PORTS.redis),
      ROOMCAST_FERRETDB_PORT: String(CHAOS_PORTS.ferretdb),
    };
  }

  /** Where the services and the audit reach it. */
  get urls(): InfraEnv {
    return {
      kafkaBrokers: [`127.0.0.1:${CHAOS_PORTS.kafka}`],
      redisUrl: `redis://127.0.0.1:${CHAOS_PORTS.redis}`,
      mongoUrl: `mongodb://127.0.0.1:${CHAOS_PORTS.ferretdb}`,
    };
  }

  /** Starts what is not running (a fresh state for each component started). */
  async up(): Promise<void> {
    await this.checkPrivate();
    await this.run(['up']);
  }

  /** Stops everything of the private instance. */
  async down(): Promise<void> {
    await this.checkPrivate();
    await this.run(['down']);
  }

  /** Restarts one server keeping its data; resolves once it answers again. */
  async restart(component: InfraComponent): Promise<void> {
    await this.run(['restart', component]);
  }

  /**
   * Refuses to go on unless scripts/infra.sh takes the ROOMCAST_* overrides: an infra.sh without
   * them would bring up, restart and finally stop the instance everyone's tests share.
   */
  private async checkPrivate(): Promise<void> {
    const env = await this.run(['env']);
    const want = this.urls;
    const ok =
      env.includes(`KAFKA_BROKERS=${want.kafkaBrokers.join(',')}\n`) &&
      env.includes(`REDIS_URL=${want.redisUrl}\n`) &&
      env.includes(`MONGO_URL=${want.mongoUrl}\n`);
    if (!ok) {
      throw new Error(
        `scripts/infra.sh ignores ROOMCAST_RUN/ROOMCAST_*_PORT (its env printed:\n${env}); the chaos suite ` +
          'needs them for a private instance and will not restart or stop the shared one',
      );
    }
  }

  /**
   * `bash scripts/infra.sh <args>`: resolves with its stdout; its log lines (stderr) go to ours.
   * Rejects on a non-zero exit.
   */
  private run(args: string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      const child = spawn('bash', [join(ROOT, 'scripts', 'infra.sh'), ...args], {
        cwd: ROOT,
        env: this.env,
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child.once('error', reject);
      child.once('exit', (code, signal) =>
        code === 0
          ? resolve(out)
          : reject(new Error(`scripts/infra.sh ${args.join(' ')} exited with ${code ?? signal}`)),
      );
    });
  }
}
