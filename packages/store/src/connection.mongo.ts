import { AppError } from '@roomcast/errors';
import { silentLogger, type Logger } from '@roomcast/logger';
import { createConnection, type Connection } from 'mongoose';

/** How long a command of a Mongo store waits for a reachable server, in ms, unless overridden. */
export const DEFAULT_STORE_SERVER_SELECTION_TIMEOUT_MS = 5000;

/** Connection options shared by the Mongo adapters of the message, dictionary and review stores. */
export interface MongoStoreOptions {
  /** MongoDB (or FerretDB) connection string, e.g. `mongodb://127.0.0.1:27018`. */
  uri: string;
  /** Database name; default: the one in `uri`, else `roomcast`. */
  dbName?: string;
  /** Default: a silent logger. */
  logger?: Logger;
  /** How long an operation waits for a reachable server before STORE_UNAVAILABLE, in ms. Default 5000. */
  serverSelectionTimeoutMS?: number;
}

/**
 * One owned mongoose connection (never the global one), opened on first use and dialled again on
 * the next call when that failed. `run` turns anything an operation throws into a retriable
 * STORE_UNAVAILABLE (AppErrors pass through), and SHUTTING_DOWN after `close()`.
 */
export class MongoConnection {
  readonly conn: Connection;
  /** `options.logger`, else a silent one; for the store's own log lines. */
  readonly logger: Logger;
  private opening: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly options: MongoStoreOptions,
    private readonly storeName: string,
  ) {
    this.logger = options.logger ?? silentLogger();
    this.conn = createConnection();
    this.conn.on('error', (err: unknown) => this.logger.warn({ err, store: storeName }, 'store connection error'));
  }

  async run<T>(what: string, op: () => Promise<T>): Promise<T> {
    if (this.closed) throw new AppError('SHUTTING_DOWN', `${this.storeName} is closed`);
    try {
      await this.connected();
      return await op();
    } catch (err) {
      if (err instanceof AppError) throw err;
      const reason = err instanceof Error ? err.message : String(err);
      throw new AppError('STORE_UNAVAILABLE', `${this.storeName}: ${what} failed: ${reason}`, { cause: err });
    }
  }

  /** True when the server answers an admin `ping`; never throws. */
  async healthy(): Promise<boolean> {
    if (this.closed) return false;
    try {
      await this.connected();
      const db = this.conn.db;
      if (!db) throw new Error('connection has no database handle');
      await db.admin().ping();
      return true;
    } catch (err) {
      this.logger.warn({ err, store: this.storeName }, 'store ping failed');
      return false;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.conn.close();
  }

  private connected(): Promise<void> {
    this.opening ??= this.conn
      .openUri(this.options.uri, {
        dbName: this.options.dbName ?? dbNameFromUri(this.options.uri),
        serverSelectionTimeoutMS:
          this.options.serverSelectionTimeoutMS ?? DEFAULT_STORE_SERVER_SELECTION_TIMEOUT_MS,
        autoIndex: false,
        autoCreate: false,
      })
      .then(
        () => undefined,
        (err: unknown) => {
          // Forget the failed attempt so the next call (e.g. the consumer's retry) dials again.
          this.opening = undefined;
          throw err;
        },
      );
    return this.opening;
  }
}

/** The database named in the connection string's path, else `roomcast`. */
function dbNameFromUri(uri: string): string {
  const path = /^mongodb(?:\+srv)?:\/\/[^/]+\/([^?]+)/.exec(uri)?.[1];
  return path ? decodeURIComponent(path) : 'roomcast';
}
