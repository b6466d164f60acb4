import { ERROR_CODES, type ErrorCode } from './codes';

export interface AppErrorOptions {
  cause?: unknown;
  /** Overrides the table's default for this code. */
  retriable?: boolean;
  details?: Record<string, unknown>;
}

/**
 * The single error class of roomcast. Branch on `code` (or `instanceof AppError`), never on
 * the message text.
 */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.retriable = options.retriable ?? ERROR_CODES[code].retriable;
    this.details = options.details;
  }

  get temporary(): boolean {
    return ERROR_CODES[this.code].temporary;
  }

  get httpStatus(): number {
    return ERROR_CODES[this.code].httpStatus;
  }

  /** The `{ code, message, temporary }` shape sent to clients. */
  toWire(): { code: ErrorCode; message: string; temporary: boolean } {
    return { code: this.code, message: this.message, temporary: this.temporary };
  }
}

export function isAppError(err: unknown, code?: ErrorCode): err is AppError {
  return err instanceof AppError && (code === undefined || err.code === code);
}

/** Wraps anything thrown into an AppError, keeping the original as `cause`. */
export function toAppError(err: unknown, fallback: ErrorCode = 'INTERNAL'): AppError {
  if (err instanceof AppError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new AppError(fallback, message, { cause: err });
}

/** Whether an operation that threw `err` may be retried. Unknown errors count as retriable. */
export function isRetriable(err: unknown): boolean {
  if (err instanceof AppError) return err.retriable;
  if (err && typeof err === 'object' && 'retriable' in err) return Boolean((err as { retriable: unknown }).retriable);
  return true;
}
