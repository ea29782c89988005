/**
 * The published API contract: GET /v1/openapi.json must be a valid OpenAPI 3.1 document (checked
 * against the official schema), list every mounted route, and keep the DESIGN.md §5 paths.
 */
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawCall } from '../support/httpCalls.js';
import { startTestServer, type TestServer } from '../support/testServer.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t.close();
});

describe('GET /v1/openapi.json', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const doc = (await rawCall(t.baseUrl, 'GET', '/v1/openapi.json')).json as Parameters<Validator['validate']>[0];
    const validator = new Validator();
    const result = await validator.validate(doc);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('gives an example for every path parameter (VINs, ids, invitation codes) and the e-mail addresses', async () => {
    type Parameter = { in: string; name: string; schema?: { examples?: unknown[] } };
    const doc = (await rawCall(t.baseUrl, 'GET', '/v1/openapi.json')).json as { paths: Record<string, Record<string, { parameters?: Parameter[]; requestBody?: unknown }>> };
    const withoutExample = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops).flatMap(([method, op]) => (op.parameters ?? []).filter((p) => p.in === 'path' && !p.schema?.examples?.length).map((p) => `${method} ${path} ${p.name}`)),
    );
    expect(withoutExample).toEqual([]);
    expect(JSON.stringify(doc.paths['/v1/accounts']?.post?.requestBody)).toContain('"examples":["an.peeters@example.be"]');
  });

  it('keeps every path of the DESIGN.md §5 contract', async () => {
    const doc = (await rawCall(t.baseUrl, 'GET', '/v1/openapi.json')).json as { paths: Record<string, Record<string, unknown>> };
    const contract: Array<[string, string]> = [
      ['post', '/v1/accounts'],
      ['post', '/v1/accounts/{accountId}/passkeys'],
      ['post', '/v1/sessions/options'],
      ['post', '/v1/sessions'],
      ['post', '/v1/me/passkeys/options'],
      ['post', '/v1/me/passkeys'],
      ['post', '/v1/vehicles/{vin}/claims'],
      ['post', '/v1/vehicles/{vin}/standard-services'],
      ['delete', '/v1/me/vehicles/{vin}'],
      ['post', '/v1/vehicles/{vin}/subscriptions'],
      ['get', '/v1/vehicles/{vin}/subscriptions/current'],
      ['delete', '/v1/vehicles/{vin}/subscriptions/current'],
      ['post', '/v1/vehicles/{vin}/keys'],
      ['get', '/v1/vehicles/{vin}/keys'],
      ['delete', '/v1/vehicles/{vin}/keys/{keyId}'],
      ['post', '/v1/keys/{keyId}/credential'],
      ['post', '/v1/vehicles/{vin}/invitations'],
      ['post', '/v1/invitations/{code}/accept'],
      ['post', '/v1/dealer/vehicles/{vin}/revocations'],
      ['get', '/v1/dealer/vehicles/{vin}/keys'],
      ['get', '/v1/dealer/vehicles/{vin}/audit'],
      ['get', '/v1/vehicle-api/state'],
      ['get', '/v1/vehicle-api/events'],
    ];
    const missing = contract.filter(([method, path]) => !doc.paths[path]?.[method]);
    expect(missing).toEqual([]);
  });
});

describe('every operation is usable from a generated client', () => {
  type Operation = { operationId?: string; responses: Record<string, { content?: Record<string, { schema: { properties?: { error?: { properties?: { code?: { enum?: string[] } } } } } }> }> };
  async function operations(): Promise<Array<[string, Operation]>> {
    const doc = (await rawCall(t.baseUrl, 'GET', '/v1/openapi.json')).json as unknown as { paths: Record<string, Record<string, Operation>> };
    return Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => [`${method.toUpperCase()} ${path}`, op] as [string, Operation]));
  }

  it('names every operation with a unique camelCase operationId (a client method name)', async () => {
    const ops = await operations();
    const ids = ops.map(([, op]) => op.operationId);
    expect(ops.filter(([, op]) => !op.operationId || !/^[a-z][A-Za-z0-9]*$/.test(op.operationId)).map(([name]) => name)).toEqual([]);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('lists the error codes of every operation under their HTTP status, with the error schema', async () => {
    const ops = await operations();
    const without4xx = ops.filter(([, op]) => !Object.keys(op.responses).some((s) => /^4\d\d$/.test(s))).map(([name]) => name);
    expect(without4xx).toEqual([]);
    const claim = ops.find(([name]) => name === 'POST /v1/vehicles/{vin}/claims')![1];
    const codesAt = (status: string) => claim.responses[status]?.content?.['application/json']?.schema.properties?.error?.properties?.code?.enum;
    expect(codesAt('403')).toEqual(expect.arrayContaining(['CLAIM_REJECTED', 'FORBIDDEN']));
    expect(codesAt('400')).toEqual(expect.arrayContaining(['TERMS_NOT_ACCEPTED', 'VALIDATION_FAILED']));
    expect(codesAt('401')).toEqual(['UNAUTHENTICATED']);
    expect(claim.responses.default).toBeUndefined();
  });
});
