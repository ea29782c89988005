/**
 * The OpenAPI 3.1 document, generated from the same route definitions and zod schemas that validate
 * requests. Every operation carries its `operationId` and, per HTTP status, the error codes it can
 * answer with (an enum a generated client can switch on) with an example of each.
 */
import { z } from 'zod';
import { ERROR_CODES, MAY_HAVE_SUCCEEDED, type ErrorCode } from '../../shared/errors/errorCode.js';
import { httpStatus } from './httpStatus.js';
import { routeErrors, type RouteDefinition } from './route.js';

function errorSchema(codes: ErrorCode[]): Record<string, unknown> {
  return {
    type: 'object',
    required: ['error'],
    additionalProperties: false,
    properties: {
      error: {
        type: 'object',
        required: ['code', 'message'],
        additionalProperties: false,
        properties: {
          code: { type: 'string', enum: codes, description: 'A stable SNAKE_CASE error code (docs/api.md says what to do about each)' },
          message: { type: 'string', description: 'For people; never parse it' },
          detail: { type: 'object', additionalProperties: {}, description: 'Machine-readable detail of some 4xx answers (e.g. the validation issues)' },
        },
      },
    },
  };
}

/** Whether a caller may send the same request again, in the words the document shows. */
function retryAdvice(code: ErrorCode): string {
  if (MAY_HAVE_SUCCEEDED.has(code)) return 'may have succeeded: check before retrying';
  return ERROR_CODES[code].retry ? 'safe to retry' : 'do not retry unchanged';
}

/** The error responses of one route: one per HTTP status, listing its codes, with an example of each. */
function errorResponses(route: RouteDefinition): Record<string, unknown> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of routeErrors(route)) {
    const status = httpStatus(code);
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const responses: Record<string, unknown> = {};
  for (const [status, codes] of [...byStatus].sort(([a], [b]) => a - b)) {
    const examples = Object.fromEntries(
      codes.map((code) => [code, { summary: `${ERROR_CODES[code].message} (${retryAdvice(code)})`, value: { error: { code, message: ERROR_CODES[code].message } } }]),
    );
    responses[String(status)] = {
      description: codes.map((code) => `${code}: ${ERROR_CODES[code].message} (${retryAdvice(code)})`).join('; '),
      content: { 'application/json': { schema: errorSchema(codes), examples } },
    };
  }
  return responses;
}

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): z.core.JSONSchema.JSONSchema {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' });
  return rest;
}

function parameters(schema: z.ZodType | undefined, where: 'path' | 'query'): unknown[] {
  if (!schema) return [];
  const js = jsonSchema(schema, 'input');
  return Object.entries(js.properties ?? {}).map(([name, s]) => ({
    name,
    in: where,
    required: where === 'path' || (js.required ?? []).includes(name),
    schema: s,
  }));
}

/** The API's title and version, as the document and the generated client name them. */
export const API_INFO = { title: 'Smart Digital Key API', version: '1.0.0' } as const;

export function openApiDocument(opts: { routes: RouteDefinition[]; serverUrl: string }): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of opts.routes) {
    const path = route.path.replace(/:([A-Za-z]+)/g, '{$1}');
    const responses: Record<string, unknown> = {};
    for (const [status, r] of Object.entries(route.responses)) {
      const example = r.example === undefined ? {} : { example: r.example };
      responses[status] = r.schema ? { description: r.description, content: { 'application/json': { schema: jsonSchema(r.schema, 'output'), ...example } } } : { description: r.description };
    }
    Object.assign(responses, errorResponses(route));
    const bodyExample = route.bodyExample === undefined ? {} : { example: route.bodyExample };
    (paths[path] ??= {})[route.method] = {
      operationId: route.operationId,
      summary: route.summary,
      tags: route.tags,
      security: route.auth === 'none' ? [] : route.auth === 'vehicle' ? [{ vehicleSignature: [] }] : [{ session: [] }],
      'x-sdk-auth': route.auth,
      parameters: [...parameters(route.params, 'path'), ...parameters(route.query, 'query')],
      ...(route.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(route.body, 'input'), ...bodyExample } } } } : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      ...API_INFO,
      description: 'The Smart Digital Key key-issuance API. Errors are `{"error": {"code", "message"}}` with a stable code; docs/api.md is the guide for app developers.',
      license: { name: 'Proprietary', identifier: 'LicenseRef-Proprietary' },
    },
    servers: [{ url: opts.serverUrl }],
    components: {
      securitySchemes: {
        session: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT (typ sdk-session+jwt)' },
        vehicleSignature: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT signed by the vehicle key (typ sdk-vehicle+jwt)' },
      },
    },
    paths,
  };
}
