import { AppError } from '@roomcast/errors';
import { describeConfig, envBoolean, envList, loadConfig, secret, z } from './index';

const schema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8080).describe('HTTP port'),
  KAFKA_BROKERS: envList.describe('comma-separated host:port list'),
  JWT_SECRET: secret(z.string().min(8)).describe('HS256 secret'),
  OTEL_ENABLED: envBoolean.default(false),
});

describe('loadConfig', () => {
  it('parses, applies defaults and freezes', () => {
    const cfg = loadConfig(schema, { KAFKA_BROKERS: 'a:1, b:2', JWT_SECRET: 'supersecret', OTEL_ENABLED: 'true' });
    expect(cfg).toEqual({ PORT: 8080, KAFKA_BROKERS: ['a:1', 'b:2'], JWT_SECRET: 'supersecret', OTEL_ENABLED: true });
    expect(Object.isFrozen(cfg)).toBe(true);
  });

  it('reports every bad variable at once', () => {
    let caught: unknown;
    try {
      loadConfig(schema, { PORT: 'abc', JWT_SECRET: 'short' });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(AppError);
    const e = caught as AppError;
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.message).toContain('PORT');
    expect(e.message).toContain('KAFKA_BROKERS');
    expect(e.message).toContain('JWT_SECRET');
    expect(e.message).toContain('comma-separated host:port list');
  });

  it('treats empty strings as unset', () => {
    const cfg = loadConfig(schema, { PORT: '', KAFKA_BROKERS: 'a:1', JWT_SECRET: '12345678' });
    expect(cfg.PORT).toBe(8080);
  });

  it('redacts secrets in the description', () => {
    const cfg = loadConfig(schema, { KAFKA_BROKERS: 'a:1', JWT_SECRET: 'supersecret' });
    const d = describeConfig(schema, cfg);
    expect(d.JWT_SECRET).toBe('***');
    expect(d.KAFKA_BROKERS).toEqual(['a:1']);
  });

  it('redacts schemas marked secret() and credentials inside URLs', () => {
    const s2 = z.object({ SIGNING: secret(z.string()), MONGO_URL: z.string() });
    const d = describeConfig(s2, loadConfig(s2, { SIGNING: 'k', MONGO_URL: 'mongodb://u:pw@h:1/db' }));
    expect(d).toEqual({ SIGNING: '***', MONGO_URL: 'mongodb://u:***@h:1/db' });
  });
});
