/**
 * Configuration from the environment, for every process (server, vehicle): pick the schema's
 * variables (empty counts as unset), validate them, and fail at start with one error that lists
 * every bad variable.
 */
import { z } from 'zod';

export function parseEnvironment<S extends z.ZodObject>(
  schema: S,
  env: NodeJS.ProcessEnv | Record<string, string | undefined>,
  what: string,
): z.output<S> {
  const picked = Object.fromEntries(Object.keys(schema.shape).map((k) => [k, env[k] === '' ? undefined : env[k]]));
  const parsed = schema.safeParse(picked);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`invalid ${what}:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

/** A comma-separated list of WebAuthn origins (at least one). */
export const originListSchema = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((s) => s.split(',').map((o) => o.trim()).filter(Boolean))
    .refine((a) => a.length > 0, 'at least one origin');
