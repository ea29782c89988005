/** Whether an Authorization header carries the expected bearer token, compared in constant time. */
import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * Both sides are hashed first, so the comparison takes the same time whatever the given value's
 * length or content (timingSafeEqual needs equal lengths).
 * @example bearerTokenMatches(req.headers.authorization, config.METRICS_TOKEN)
 */
export function bearerTokenMatches(authorization: string | undefined, expected: string): boolean {
  const given = /^Bearer (\S+)$/i.exec(authorization ?? '')?.[1] ?? '';
  return timingSafeEqual(digest(given), digest(expected)) && given.length > 0;
}
