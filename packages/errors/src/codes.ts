/**
 * The one table of error codes. Every AppError carries one of these codes; the docs page
 * (docs/errors.md) is generated from this table by `pnpm --filter @roomcast/errors run docs`.
 *
 * `retriable`: the same operation may succeed later (back off and retry).
 * `temporary`: what the client is told in an error frame (true = try again later).
 * `httpStatus`: the status used when the error leaves through HTTP.
 */
export const ERROR_CODES = {
  BAD_FRAME: { retriable: false, temporary: false, httpStatus: 400, summary: 'A WebSocket frame was not valid JSON or did not match any known frame type.' },
  FRAME_TOO_LARGE: { retriable: false, temporary: false, httpStatus: 413, summary: 'A frame or a chat text exceeded its size cap.' },
  BAD_REQUEST: { retriable: false, temporary: false, httpStatus: 400, summary: 'An HTTP request was malformed (a body that is not JSON, a path that does not decode) or its body or query failed validation.' },
  NOT_IN_ROOM: { retriable: false, temporary: false, httpStatus: 409, summary: 'The connection sent to a room it has not joined.' },
  TOO_MANY_ROOMS: { retriable: false, temporary: false, httpStatus: 429, summary: 'The connection, or the user over their connections, tried to join more rooms than allowed.' },
  TOO_MANY_CONNECTIONS: { retriable: false, temporary: true, httpStatus: 429, summary: 'The user, or the client address, already has as many connections as allowed over all gateways (close 4505).' },
  RATE_LIMITED: { retriable: true, temporary: true, httpStatus: 429, summary: 'Too many frames in too short a time; slow down.' },
  UNAUTHORIZED: { retriable: false, temporary: false, httpStatus: 401, summary: 'Missing, malformed or wrongly signed token.' },
  TOKEN_EXPIRED: { retriable: false, temporary: false, httpStatus: 401, summary: 'The token has expired; fetch a new one.' },
  NOT_FOUND: { retriable: false, temporary: false, httpStatus: 404, summary: 'No such resource.' },
  PUBLISH_FAILED: { retriable: true, temporary: true, httpStatus: 503, summary: 'The message bus did not accept the record; the client may resend with the same clientMsgId.' },
  BUS_UNAVAILABLE: { retriable: true, temporary: true, httpStatus: 503, summary: 'The message bus could not be reached.' },
  STORE_UNAVAILABLE: { retriable: true, temporary: true, httpStatus: 503, summary: 'The message store could not be reached.' },
  PRESENCE_UNAVAILABLE: { retriable: true, temporary: true, httpStatus: 503, summary: 'The presence store (Redis) could not be reached.' },
  BAD_EVENT: { retriable: false, temporary: false, httpStatus: 500, summary: 'A Kafka record did not match its topic schema; it goes to the dead-letter topic.' },
  HANDLER_FAILED: { retriable: true, temporary: true, httpStatus: 500, summary: 'A consumer handler threw something that is not an AppError (a bug); retried a few times with backoff, then dead-lettered with this code.' },
  CONFIG_INVALID: { retriable: false, temporary: false, httpStatus: 500, summary: 'Environment variables failed validation at start-up.' },
  SHUTTING_DOWN: { retriable: true, temporary: true, httpStatus: 503, summary: 'The service is stopping; reconnect or retry elsewhere.' },
  INTERNAL: { retriable: false, temporary: true, httpStatus: 500, summary: 'An unexpected server error.' },
  FORBIDDEN: { retriable: false, temporary: false, httpStatus: 403, summary: 'The user\'s role in the room does not allow this action (e.g. a viewer moderating, a moderator banning a host, a user reading a room they are banned from).' },
  MUTED: { retriable: false, temporary: true, httpStatus: 403, summary: 'The user is muted in this room; chats are refused until the mute ends (room-mode.mutedUntil).' },
  BANNED: { retriable: false, temporary: false, httpStatus: 403, summary: 'The user is banned from this room: joins are refused until the ban is lifted (their sockets in the room closed with 4503).' },
  SLOW_MODE: { retriable: true, temporary: true, httpStatus: 429, summary: 'The room is in slow mode: one chat per user per room-mode.slowModeMs; send again later.' },
  SOLD_OUT: { retriable: false, temporary: false, httpStatus: 409, summary: 'The flash sale has fewer units left than asked for (none, once announced sold out).' },
  POLL_CLOSED: { retriable: false, temporary: false, httpStatus: 409, summary: 'A vote for a poll that is closed, past its deadline, or not the room\'s current poll; or an option it does not have.' },
  ADMIN_DISABLED: { retriable: false, temporary: false, httpStatus: 403, summary: 'An admin API is off because its token is not set (FILTER_ADMIN_TOKEN, INGEST_ADMIN_TOKEN).' },
  ID_CONFLICT: { retriable: false, temporary: false, httpStatus: 409, summary: 'An idempotency id (e.g. a notice id) was already used for a different request.' },
  REVIEW_ALREADY_DECIDED: { retriable: false, temporary: false, httpStatus: 409, summary: 'The held message was already decided the other way (approved vs denied).' },
  DICTIONARY_INVALID: { retriable: false, temporary: false, httpStatus: 400, summary: 'A dictionary word or file is unusable (empty after normalisation, unknown policy, malformed line, too many room entries).' },
} as const satisfies Record<string, { retriable: boolean; temporary: boolean; httpStatus: number; summary: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export const ERROR_CODE_LIST = Object.keys(ERROR_CODES) as ErrorCode[];
