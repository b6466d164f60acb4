import { AppError } from '@roomcast/errors';

/** The AppError code a promise rejects with, or undefined when it resolves (auth tests). */
export async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    return (err as AppError).code;
  }
}
