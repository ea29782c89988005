/** The OpenAPI 3.1 document, generated from the same route definitions and zod schemas that validate requests. */
import { z } from 'zod';
import type { RouteDefinition } from './route.js';

const errorSchema = z.object({
  error: z.object({ code: z.string().describe('A stable SNAKE_CASE error code'), message: z.string(), detail: z.record(z.string(), z.unknown()).optional() }),
});

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
}

function parameters(schema: z.ZodType | undefined, where: 'path' | 'query'): unknown[] {
  if (!schema) return [];
  const js = jsonSchema(schema, 'input') as { properties?: Record<string, unknown>; required?: string[] };
  return Object.entries(js.properties ?? {}).map(([name, s]) => ({
    name,
    in: where,
    required: where === 'path' || (js.required ?? []).includes(name),
    schema: s,
  }));
}

export function openApiDocument(opts: { routes: RouteDefinition[]; title: string; version: string; serverUrl: string }): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of opts.routes) {
    const path = route.path.replace(/:([A-Za-z]+)/g, '{$1}');
    const responses: Record<string, unknown> = {};
    for (const [status, r] of Object.entries(route.responses)) {
      responses[status] = r.schema ? { description: r.description, content: { 'application/json': { schema: jsonSchema(r.schema, 'output') } } } : { description: r.description };
    }
    responses.default = { description: 'Error', content: { 'application/json': { schema: jsonSchema(errorSchema, 'output') } } };
    (paths[path] ??= {})[route.method] = {
      summary: route.summary,
      tags: route.tags,
      security: route.auth === 'none' ? [] : route.auth === 'vehicle' ? [{ vehicleSignature: [] }] : [{ session: [] }],
      'x-sdk-auth': route.auth,
      parameters: [...parameters(route.params, 'path'), ...parameters(route.query, 'query')],
      ...(route.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(route.body, 'input') } } } } : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: opts.title, version: opts.version },
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
