/**
 * A method + path table, compiled once from route definitions (the API's, and the system routes'):
 * what the lean HTTP path (requestListener.ts) looks a request up in instead of Express's router. It matches as the router
 * did for these routes (path-to-regexp with Express's defaults): case-insensitive static segments, a
 * `:param` is one non-empty segment, percent-decoded; one trailing slash is allowed; HEAD runs the
 * GET route. First definition wins, as mount order did.
 */
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';

/** What a table holds: a method (lower case, as route definitions spell it) and an Express-style path. */
export interface RoutePath {
  method: string;
  path: string;
}

/** A route found for a request, with its decoded path parameters. */
export interface RouteMatch<T extends RoutePath> {
  route: T;
  params: Record<string, string>;
}

interface CompiledRoute<T extends RoutePath> {
  route: T;
  /** Per segment: the lower-cased static text, or null for a parameter. */
  segments: Array<string | null>;
  /** The parameter names, in segment order. */
  names: string[];
}

export interface RouteTable<T extends RoutePath> {
  /**
   * The route for a method and a path (no query), or null. Throws VALIDATION_FAILED when a
   * parameter of the matched route is not valid percent-encoding (as the router's decode did).
   */
  match(method: string, path: string): RouteMatch<T> | null;
  /** The methods some route answers for this path (with HEAD beside GET), sorted; empty when none. */
  methodsFor(path: string): string[];
}

function compile<T extends RoutePath>(route: T): CompiledRoute<T> {
  const segments: Array<string | null> = [];
  const names: string[] = [];
  for (const part of route.path.split('/').slice(1)) {
    if (part.startsWith(':')) {
      segments.push(null);
      names.push(part.slice(1));
    } else if (/^[A-Za-z0-9._~-]*$/.test(part)) segments.push(part.toLowerCase());
    else throw new Error(`route ${route.path}: unsupported path segment "${part}" (only static text and :param)`);
  }
  return { route, segments, names };
}

/** The path's segments after the leading slash, one trailing slash dropped; null when it is not an origin-form path. */
function segmentsOf(path: string): string[] | null {
  if (path.charCodeAt(0) !== 47 /* / */) return null;
  const end = path.length > 1 && path.charCodeAt(path.length - 1) === 47 ? path.length - 1 : path.length;
  return path.slice(1, end).split('/');
}

function matches(compiled: CompiledRoute<RoutePath>, parts: string[]): boolean {
  const { segments } = compiled;
  for (let i = 0; i < segments.length; i++) {
    const want = segments[i]!;
    const part = parts[i]!;
    if (want === null ? part.length === 0 : part !== want && (part.length !== want.length || part.toLowerCase() !== want)) return false;
  }
  return true;
}

function decodeParam(value: string): string {
  if (!value.includes('%')) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    throw new DigitalKeyError('VALIDATION_FAILED', 'the path is not valid percent-encoding');
  }
}

/**
 * Compile the routes into a table.
 * @example const table = routeTable(routes); table.match('POST', '/v1/keys/3b24…/credential')
 */
export function routeTable<T extends RoutePath>(routes: readonly T[]): RouteTable<T> {
  /** By method (upper case), then by segment count: a request is compared with few candidates. */
  const byMethod = new Map<string, Map<number, Array<CompiledRoute<T>>>>();
  for (const route of routes) {
    const compiled = compile(route);
    const method = route.method.toUpperCase();
    let bySize = byMethod.get(method);
    if (!bySize) byMethod.set(method, (bySize = new Map()));
    const list = bySize.get(compiled.segments.length);
    if (list) list.push(compiled);
    else bySize.set(compiled.segments.length, [compiled]);
  }
  const find = (method: string, parts: string[]): CompiledRoute<T> | undefined => byMethod.get(method)?.get(parts.length)?.find((c) => matches(c, parts));

  return {
    match(method, path) {
      const parts = segmentsOf(path);
      if (!parts) return null;
      const compiled = find(method, parts) ?? (method === 'HEAD' ? find('GET', parts) : undefined);
      if (!compiled) return null;
      const params: Record<string, string> = {};
      let name = 0;
      for (let i = 0; i < compiled.segments.length; i++) if (compiled.segments[i] === null) params[compiled.names[name++]!] = decodeParam(parts[i]!);
      return { route: compiled.route, params };
    },
    methodsFor(path) {
      const parts = segmentsOf(path);
      if (!parts) return [];
      const methods = new Set<string>();
      for (const method of byMethod.keys()) {
        if (!find(method, parts)) continue;
        methods.add(method);
        if (method === 'GET') methods.add('HEAD');
      }
      return [...methods].sort();
    },
  };
}
