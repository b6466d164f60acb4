import type { z } from 'zod';
import { AppError, type ErrorCode } from '@roomcast/errors';

/**
 * Parses JSON text or bytes and validates it against a schema. Never throws anything but
 * AppError with the given code, so a bad frame or record becomes a typed error.
 */
export function parseJson<S extends z.ZodType>(
  schema: S,
  raw: string | Uint8Array,
  code: ErrorCode = 'BAD_FRAME',
): z.infer<S> {
  let value: unknown;
  try {
    value = JSON.parse(typeof raw === 'string' ? raw : utf8(raw));
  } catch (err) {
    throw new AppError(code, 'not valid JSON', { cause: err });
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
    throw new AppError(code, `${where}${issue?.message ?? 'invalid'}`, { cause: parsed.error });
  }
  return parsed.data as z.infer<S>;
}

/** The bytes as UTF-8 text, without copying them first (Kafka values arrive as Buffers). */
function utf8(raw: Uint8Array): string {
  return (Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength)).toString(
    'utf8',
  );
}
