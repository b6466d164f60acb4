/** Caps shared by the gateway, the services and the client SDK. */

/** Largest inbound WebSocket frame the gateway accepts (ws `maxPayload`), in bytes. */
export const MAX_FRAME_BYTES = 4096;
/** Longest chat text, in UTF-16 code units. */
export const MAX_CHAT_TEXT_CHARS = 500;
/** Room ids: letters, digits, `_`, `-`, `.`, `:`; 1–64 chars. */
export const ROOM_ID_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;
/** User ids come from the JWT `sub`; same alphabet as rooms plus `@`. */
export const USER_ID_PATTERN = /^[A-Za-z0-9_.:@-]{1,128}$/;
/** Most rooms one connection may be in at once. */
export const MAX_ROOMS_PER_CONNECTION = 16;
/** Largest number of likes one `like` frame may carry. */
export const MAX_LIKES_PER_FRAME = 100;
