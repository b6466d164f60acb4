import { z } from 'zod';
import { AppError } from '@roomcast/errors';

const secretSchemas = new WeakSet<z.ZodType>();

/** Marks a schema as a secret: its value is redacted by `describeConfig`. */
export function secret<S extends z.ZodType>(schema: S): S {
  secretSchemas.add(schema);
  return schema;
}

/** Env values are strings; this turns "true"/"1"/"false"/"0" into a boolean. */
export const envBoolean = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

/** A comma-separated list, e.g. `KAFKA_BROKERS=a:9092,b:9092`. */
export const envList = z
  .string()
  .transform((v) =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0),
  )
  .pipe(z.array(z.string()).min(1));

export type EnvShape = z.ZodRawShape;

/**
 * Validates `env` against `schema` once. Every bad or missing variable is reported in ONE
 * AppError(CONFIG_INVALID) that says what to set; the result is frozen.
 */
export function loadConfig<S extends z.ZodObject<EnvShape>>(
  schema: S,
  env: Record<string, string | undefined>,
): Readonly<z.infer<S>> {
  const input: Record<string, string | undefined> = {};
  for (const key of Object.keys(schema.shape)) {
    const v = env[key];
    input[key] = v === '' ? undefined : v;
  }
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => {
      const key = i.path.join('.') || '(root)';
      const desc = (schema.shape[key] as z.ZodType | undefined)?.description;
      return `  ${key}: ${i.message}${desc ? ` — ${desc}` : ''}`;
    });
    throw new AppError('CONFIG_INVALID', `invalid configuration; set these environment variables:\n${lines.join('\n')}`, {
      details: { issues: parsed.error.issues.map((i) => ({ key: i.path.join('.'), message: i.message })) },
    });
  }
  return Object.freeze(parsed.data) as Readonly<z.infer<S>>;
}

/** The config as a plain object for the start-up log line, with secrets replaced by `***`. */
export function describeConfig<S extends z.ZodObject<EnvShape>>(schema: S, config: z.infer<S>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config as Record<string, unknown>)) {
    const field = schema.shape[key] as z.ZodType | undefined;
    if ((field && isSecret(field)) || SECRET_NAME.test(key)) out[key] = '***';
    else if (typeof value === 'string') out[key] = value.replace(URL_CREDENTIALS, '$1***@');
    else out[key] = value;
  }
  return out;
}

/** Names that are secrets whether or not they were marked: `JWT_SECRET`, `REDIS_PASSWORD`, ... */
const SECRET_NAME = /(SECRET|PASSWORD|TOKEN|PRIVATE_KEY)$/;
/** `scheme://user:pass@host` -> `scheme://user:***@host`. */
const URL_CREDENTIALS = /(\/\/[^:/@]+:)[^@/]*@/g;

function isSecret(schema: z.ZodType): boolean {
  if (secretSchemas.has(schema)) return true;
  // .optional()/.default() wrap the marked schema; look inside.
  const inner = (schema as unknown as { def?: { innerType?: z.ZodType } }).def?.innerType;
  return inner !== undefined && isSecret(inner);
}

export { z };
