/**
 * Strict parsing of a compact JWS before any library sees it. JSON.parse keeps the last of two
 * members with one name, so `{"aud":"A","aud":"B"}` is judged by "B" and `{"alg":"none","alg":"ES256"}`
 * by "ES256" — while another parser (a car's, a log's) may see the first. We refuse both, and every
 * encoding with slack in it: a segment that is not canonical base64url (unused bits set), or an ES256
 * signature that is not exactly 64 bytes. One token then has one reading, everywhere.
 */
const SEGMENT = /^[A-Za-z0-9_-]+$/;
/** An ES256 JWS signature is r ‖ s, 32 bytes each (RFC 7518 §3.4). */
const ES256_SIGNATURE_BYTES = 64;

/** What is wrong with a token: its structure (header, payload, segments) or its signature. */
export interface StrictJwsProblem {
  in: 'structure' | 'signature';
  message: string;
}

/** Why a token is not strict, or null when it is. */
export function strictJwsProblem(token: string): StrictJwsProblem | null {
  const [header, payload, signature, ...more] = token.split('.');
  if (header === undefined || payload === undefined || signature === undefined || more.length > 0) {
    return { in: 'structure', message: 'a compact JWS has three segments' };
  }
  for (const [name, part] of [['header', header], ['payload', payload]] as const) {
    if (!isCanonicalBase64Url(part)) return { in: 'structure', message: `the ${name} is not canonical base64url` };
    const json = Buffer.from(part, 'base64url').toString('utf8');
    if (!isJsonObject(json)) return { in: 'structure', message: `the ${name} is not a JSON object` };
    const duplicate = duplicateMemberName(json);
    if (duplicate !== null) return { in: 'structure', message: `the ${name} repeats the member name "${duplicate}"` };
  }
  const parsedHeader: unknown = JSON.parse(Buffer.from(header, 'base64url').toString('utf8'));
  if (!(typeof parsedHeader === 'object' && parsedHeader !== null && 'alg' in parsedHeader && typeof parsedHeader.alg === 'string')) {
    return { in: 'structure', message: 'the header names no alg' };
  }
  if (!isCanonicalBase64Url(signature) || Buffer.from(signature, 'base64url').length !== ES256_SIGNATURE_BYTES) {
    return { in: 'signature', message: 'the signature is not 64 bytes of canonical base64url' };
  }
  return null;
}

function isJsonObject(json: string): boolean {
  try {
    const value: unknown = JSON.parse(json);
    return typeof value === 'object' && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
}

function isCanonicalBase64Url(part: string): boolean {
  return SEGMENT.test(part) && Buffer.from(part, 'base64url').toString('base64url') === part;
}

/**
 * The first member name that appears twice in one object of a JSON text (after unescaping, so
 * `"aud"` and `"\u0061ud"` are one name), or null. The text's syntax is checked by JSON.parse
 * elsewhere; on malformed text this returns whatever it found so far.
 */
export function duplicateMemberName(json: string): string | null {
  const stack: Array<{ names: Set<string>; expectName: boolean } | null> = [];
  for (let i = 0; i < json.length; i++) {
    const c = json[i];
    if (c === '{') stack.push({ names: new Set(), expectName: true });
    else if (c === '[') stack.push(null);
    else if (c === '}' || c === ']') stack.pop();
    else if (c === ',') {
      const top = stack[stack.length - 1];
      if (top) top.expectName = true;
    } else if (c === '"') {
      let end = i + 1;
      while (end < json.length && json[end] !== '"') end += json[end] === '\\' ? 2 : 1;
      const top = stack[stack.length - 1];
      if (top?.expectName) {
        let name: unknown;
        try {
          name = JSON.parse(json.slice(i, end + 1));
        } catch {
          return null;
        }
        if (typeof name !== 'string') return null; // a quoted JSON text is always a string
        if (top.names.has(name)) return name;
        top.names.add(name);
        top.expectName = false;
      }
      i = end;
    }
  }
  return null;
}
