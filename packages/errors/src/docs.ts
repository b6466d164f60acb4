import { ERROR_CODES } from './codes';

/** The docs/errors.md page, generated from ERROR_CODES (`pnpm --filter @roomcast/errors run docs`). */
export function renderErrorCodesMarkdown(): string {
  const rows = Object.entries(ERROR_CODES).map(
    ([code, e]) => `| \`${code}\` | ${e.retriable ? 'yes' : 'no'} | ${e.temporary ? 'yes' : 'no'} | ${e.httpStatus} | ${e.summary} |`,
  );
  return [
    '# Error codes',
    '',
    '<!-- Generated from packages/errors/src/codes.ts by `pnpm --filter @roomcast/errors run docs`. Do not edit. -->',
    '',
    'Every error in roomcast is an `AppError` with one of these codes. `retriable`: the operation may',
    'succeed if repeated (a Kafka consumer retries it with capped backoff until it succeeds, and never',
    'dead-letters it; a record whose handler fails with a non-retriable code goes to `<topic>.dlq`).',
    '`temporary`: what a client is told in an `error` frame. HTTP APIs answer with the status below and',
    'the body `{ code, message, temporary }`.',
    '',
    '| code | retriable | temporary | HTTP | meaning |',
    '|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}
