/**
 * WebSocket close codes. 4000–4499: reconnect with backoff. 4500–4999: terminal, do not reconnect
 * with the same credentials.
 */
export const CLOSE_CODES = {
  /** The gateway is shutting down; reconnect (another gateway will take you). */
  SHUTDOWN: 4000,
  /** The socket's outbound buffer passed its hard budget. */
  SLOW_CONSUMER: 4001,
  /** An unexpected server error. */
  SERVER_ERROR: 4002,
  /** No pong/ping within the heartbeat window. */
  HEARTBEAT_TIMEOUT: 4003,
  /** Missing, malformed or wrongly signed token. */
  UNAUTHORIZED: 4501,
  /** The token has expired. */
  TOKEN_EXPIRED: 4502,
  /** The user is banned. */
  BANNED: 4503,
  /** The handshake asked for something malformed (e.g. a `protocol` that is not a positive integer). */
  BAD_REQUEST: 4504,
  /** The user or the client address already has as many connections as allowed: close one first. */
  TOO_MANY_CONNECTIONS: 4505,
} as const;

export type CloseCodeName = keyof typeof CLOSE_CODES;
export type CloseCode = (typeof CLOSE_CODES)[CloseCodeName];

export const RECONNECTABLE_CLOSE_MIN = 4000;
export const RECONNECTABLE_CLOSE_MAX = 4499;

/** Whether a client should reconnect (with backoff) after this close code. */
export function isReconnectable(code: number): boolean {
  if (code >= 4500 && code <= 4999) return false;
  return true;
}

export function isTerminalClose(code: number): boolean {
  return code >= 4500 && code <= 4999;
}
