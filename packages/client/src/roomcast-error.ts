import { AppError, ERROR_CODES, type ErrorCode } from '@roomcast/errors';
import { CLOSE_CODES, isTerminalClose, type ErrorFrame } from '@roomcast/contracts';

/**
 * Where a RoomcastError came from:
 * - `server`:   an `error` frame from the gateway (code and `temporary` as sent);
 * - `closed`:   the connection closed (or was not open) before the reply; see `closeCode`;
 * - `timeout`:  no reply within `requestTimeoutMs`; a chat may be resent with the same clientMsgId;
 * - `local`:    the SDK refused the call (invalid frame, same clientMsgId already pending);
 * - `protocol`: the gateway sent something that is not a valid server frame.
 */
export type RoomcastErrorKind = 'server' | 'closed' | 'timeout' | 'local' | 'protocol';

export interface RoomcastErrorOptions {
  kind: RoomcastErrorKind;
  temporary?: boolean;
  retriable?: boolean;
  clientMsgId?: string | undefined;
  reqId?: string | undefined;
  closeCode?: number | undefined;
  cause?: unknown;
}

/**
 * The error every client promise rejects with. An AppError, so `instanceof AppError` and `code`
 * branching work as everywhere else; `temporary` is what the server said, not the table default.
 */
export class RoomcastError extends AppError {
  readonly kind: RoomcastErrorKind;
  /** The chat message this error is about, if any. */
  readonly clientMsgId: string | undefined;
  readonly reqId: string | undefined;
  /** The WebSocket close code, for `kind: 'closed'` (undefined when the socket was never open). */
  readonly closeCode: number | undefined;
  private readonly isTemporary: boolean;

  constructor(code: ErrorCode, message: string, options: RoomcastErrorOptions) {
    super(code, message, { cause: options.cause, retriable: options.retriable });
    this.name = 'RoomcastError';
    this.kind = options.kind;
    this.clientMsgId = options.clientMsgId;
    this.reqId = options.reqId;
    this.closeCode = options.closeCode;
    this.isTemporary = options.temporary ?? ERROR_CODES[code].temporary;
  }

  override get temporary(): boolean {
    return this.isTemporary;
  }
}

function isErrorCode(code: string): code is ErrorCode {
  return Object.prototype.hasOwnProperty.call(ERROR_CODES, code);
}

/** An `error` frame as a RoomcastError. Unknown codes (possible with validation off) become INTERNAL. */
export function errorFromFrame(frame: ErrorFrame): RoomcastError {
  const code = isErrorCode(frame.code) ? frame.code : 'INTERNAL';
  return new RoomcastError(code, frame.message, {
    kind: 'server',
    temporary: frame.temporary,
    clientMsgId: frame.clientMsgId,
    reqId: frame.reqId,
  });
}

/**
 * A close as a RoomcastError. The errors table has no "connection lost" code, so reconnectable
 * closes map to SHUTTING_DOWN ("reconnect or retry elsewhere", retriable); terminal ones to the
 * codes they mean (4502 TOKEN_EXPIRED, 4503 BANNED, other 4500–4999 UNAUTHORIZED). `closeCode`
 * always carries the exact number.
 */
export function errorFromClose(
  closeCode: number | undefined,
  reason: string,
  cause?: unknown,
): RoomcastError {
  let code: ErrorCode = 'SHUTTING_DOWN';
  if (closeCode === CLOSE_CODES.TOKEN_EXPIRED) code = 'TOKEN_EXPIRED';
  else if (closeCode === CLOSE_CODES.BANNED) code = 'BANNED';
  else if (closeCode !== undefined && isTerminalClose(closeCode)) code = 'UNAUTHORIZED';
  const what =
    closeCode === undefined
      ? 'not connected'
      : `connection closed (${closeCode}${reason ? `: ${reason}` : ''})`;
  return new RoomcastError(code, what, {
    kind: 'closed',
    closeCode,
    retriable: code === 'SHUTTING_DOWN',
    temporary: code === 'SHUTTING_DOWN',
    cause,
  });
}
