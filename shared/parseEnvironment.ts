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

/**
 * Whether `value` is an origin WebAuthn client data can carry: a web origin (`https://app.example`,
 * `http://localhost:8080`: scheme, host and port only, no path) or an Android app's
 * `android:apk-key-hash:<base64url SHA-256 of its signing certificate>`.
 */
export function isWebAuthnOrigin(value: string): boolean {
  if (/^android:apk-key-hash:[A-Za-z0-9_-]{43}$/.test(value)) return true;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === value;
}

/** A comma-separated list of WebAuthn origins (at least one, each an origin: see {@link isWebAuthnOrigin}). */
export const originListSchema = () =>
  z
    .string()
    .transform((s) => s.split(',').map((o) => o.trim()).filter(Boolean))
    .refine((a) => a.length > 0, 'at least one origin')
    .superRefine((origins, ctx) => {
      for (const o of origins) {
        if (!isWebAuthnOrigin(o)) {
          ctx.addIssue({ code: 'custom', message: `"${o}" is not an origin (scheme://host[:port] with no path, e.g. https://app.example.com, or android:apk-key-hash:…)` });
        }
      }
    });
