/**
 * The shapes of the `/v1` answers the web front ends read, derived from the API's own description:
 * `ble-sim/phone/generatedApiTypes.ts` is generated from docs/openapi.json (`npm run api:generate`),
 * so a field the server renames or drops is a compile error here, not a blank on a page. Only what
 * is the portal's own (the command list in its order, the names pages use) is written by hand.
 * Times are milliseconds since the epoch unless named seconds (`notBefore`/`notAfter`); subscription
 * times are ISO strings; money is integer cents with its currency.
 */
import type { paths } from '../../ble-sim/phone/generatedApiTypes';

/** A route of the API as the description spells it: `/v1/vehicles/{vin}/keys`. */
export type ApiPath = keyof paths;
type HttpMethod = 'get' | 'put' | 'post' | 'delete' | 'patch';
/** The methods a route serves (the others are `never` in the description). */
export type MethodOf<P extends ApiPath> = { [M in HttpMethod]: paths[P][M] extends undefined ? never : M }[HttpMethod];
type Responses<P extends ApiPath, M extends MethodOf<P>> = paths[P][M] extends { responses: infer R } ? R : never;
type SuccessStatus<P extends ApiPath, M extends MethodOf<P>> = Extract<keyof Responses<P, M>, 200 | 201 | 202 | 204>;
type JsonOf<R> = R extends { content: { 'application/json': infer J } } ? J : undefined;

/**
 * The JSON body of a route's answer with a status (by default its success: 200, 201, 202 or 204,
 * `undefined` when it has no body).
 * @example type Keys = Answer<'/v1/vehicles/{vin}/keys', 'get'>['keys'];
 */
export type Answer<P extends ApiPath, M extends MethodOf<P>, S extends keyof Responses<P, M> = SuccessStatus<P, M>> = JsonOf<Responses<P, M>[S]>;

type Operation<P extends ApiPath, M extends MethodOf<P>> = NonNullable<paths[P][M]>;
/** A member's type, `undefined` included when it is optional (so optional stays optional). */
type Member<T, K extends string> = K extends keyof T ? T[K] : never;
type PathOf<P extends ApiPath, M extends MethodOf<P>> = Member<Member<Operation<P, M>, 'parameters'>, 'path'>;
type QueryOf<P extends ApiPath, M extends MethodOf<P>> = Member<Member<Operation<P, M>, 'parameters'>, 'query'>;
type RequestOf<P extends ApiPath, M extends MethodOf<P>> = Member<Operation<P, M>, 'requestBody'>;
type BodyOf<R> = [NonNullable<R>] extends [never] ? never : NonNullable<R> extends { content: { 'application/json': infer B } } ? (undefined extends R ? B | undefined : B) : never;
/** An option the route does not take may not be given; an optional one may be left out. */
type Part<K extends string, T> = [NonNullable<T>] extends [never] ? { [k in K]?: never } : undefined extends T ? { [k in K]?: NonNullable<T> } : { [k in K]: T };

/** The JSON body a route takes (`undefined` included when it may be left out). */
export type RequestBody<P extends ApiPath, M extends MethodOf<P>> = BodyOf<RequestOf<P, M>>;

/** What a call to a route takes besides its method: path parameters, query and JSON body. */
export type CallOptions<P extends ApiPath, M extends MethodOf<P>> = Part<'params', PathOf<P, M>> & Part<'query', QueryOf<P, M>> & Part<'body', RequestBody<P, M>>;
/** The options argument, which may be left out when nothing in it is required. */
export type OptionsArgs<P extends ApiPath, M extends MethodOf<P>> = object extends CallOptions<P, M> ? [options?: CallOptions<P, M>] : [options: CallOptions<P, M>];

/** The commands a key can allow, in the order the portal lists them. */
export const COMMANDS = ['unlock', 'lock', 'start', 'trunk'] as const satisfies readonly KeyView['perms'][number][];
export type Command = (typeof COMMANDS)[number];

export type Profile = Answer<'/v1/me', 'get'>;
export type Passkey = Profile['passkeys'][number];

export type MyVehicle = Answer<'/v1/me/vehicles', 'get'>['vehicles'][number];
export type KeyView = Answer<'/v1/vehicles/{vin}/keys', 'get'>['keys'][number];
export type Invitation = Answer<'/v1/vehicles/{vin}/invitations', 'get'>['invitations'][number];

export type PlanList = Answer<'/v1/subscription-plans', 'get'>;
export type PlanPrice = PlanList['plans'][number];
export type Plan = PlanPrice['plan'];
export type SubscriptionView = Answer<'/v1/vehicles/{vin}/subscriptions/current', 'get'>;
export type CancellationQuote = Answer<'/v1/vehicles/{vin}/subscriptions/current/cancellation', 'get'>;
export type Payment = Answer<'/v1/vehicles/{vin}/subscriptions/payments', 'get'>['payments'][number];

export type Wallet = Answer<'/v1/me/cards', 'get'>;
export type Card = Wallet['cards'][number];
