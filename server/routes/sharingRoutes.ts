/**
 * Sharing and revocation for the phone app (R3, R4a, R4c, DESIGN.md §5): the main user invites, an
 * account accepts with one of its passkeys; the main user revokes any key, a shared user their own;
 * the main user removes the vehicle or relinquishes the usage rights, which wipes every key.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { epochSeconds } from '../../shared/clock.js';
import { permsSchema } from '../../shared/commands.js';
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import { base64UrlIdSchema, uuidSchema, vinSchema } from '../../shared/ids.js';
import type { AppContext } from '../appContext.js';
import { assertMainUser } from '../domain/assertMainUser.js';
import { issuedSchema, vinParams } from '../http/apiSchemas.js';
import { requireAccount } from '../http/authenticate.js';
import { defineRoute, type RouteDefinition } from '../http/route.js';
import { credentialForKey } from '../keys/credentialForKey.js';
import { revokeVehicleKey } from '../keys/revokeVehicleKey.js';
import { wipeVehicleKeys } from '../keys/wipeVehicleKeys.js';
import { acceptInvitation } from '../sharing/acceptInvitation.js';
import { invitationDigest, type InvitationRecord } from '../sharing/invitationRecord.js';
import { storeKeys } from '../store/storeKeys.js';
import type { VehicleHooks } from '../vehicles/vehicleHooks.js';

const wipeResultSchema = z.object({ vin: vinSchema, revokedKeyIds: z.array(uuidSchema), epoch: z.number().int(), seq: z.number().int() });

export function sharingRoutes(ctx: AppContext, hooks: VehicleHooks): RouteDefinition[] {
  return [
    defineRoute({
      method: 'post',
      path: '/v1/vehicles/:vin/invitations',
      operationId: 'inviteSharedUser',
      summary: 'Invite a shared user with a profile: commands and an optional validity window (main user only; R3)',
      tags: ['sharing'],
      errors: ['VEHICLE_NOT_FOUND', 'NOT_MAIN_USER', 'SHARED_KEY_LIMIT'],
      auth: 'session',
      params: vinParams,
      body: z
        .object({
          perms: permsSchema,
          notBefore: z.number().int().nonnegative().optional(),
          notAfter: z.number().int().positive().optional(),
          email: z.string().trim().toLowerCase().max(254).email().optional(),
        })
        .refine((b) => b.notBefore === undefined || b.notAfter === undefined || b.notAfter > b.notBefore, 'notAfter must be after notBefore'),
      responses: { 201: { description: 'Invitation', schema: z.object({ invitationId: uuidSchema, code: z.string(), expiresAt: z.number().int() }) } },
      handler: async ({ caller, params, body }) => {
        const me = requireAccount(caller);
        const vehicle = await ctx.vehicles.get(params.vin);
        assertMainUser(vehicle, me.accountId);
        if (body.notAfter !== undefined && body.notAfter <= epochSeconds(ctx.clock)) throw new DigitalKeyError('VALIDATION_FAILED', 'notAfter is in the past');
        if (vehicle.sharedKeys >= ctx.config.MAX_SHARED_KEYS) throw new DigitalKeyError('SHARED_KEY_LIMIT');
        const code = randomBytes(24).toString('base64url');
        const now = ctx.clock.now();
        const invitation: InvitationRecord = {
          invitationId: randomUUID(),
          vin: params.vin,
          createdBy: me.accountId,
          epoch: vehicle.epoch,
          perms: body.perms,
          ...(body.notBefore !== undefined ? { notBefore: body.notBefore } : {}),
          ...(body.notAfter !== undefined ? { notAfter: body.notAfter } : {}),
          ...(body.email !== undefined ? { email: body.email } : {}),
          createdAt: now,
          expiresAt: now + ctx.config.INVITATION_TTL * 1000,
        };
        await ctx.store.set(storeKeys.invitation(invitationDigest(code)), JSON.stringify(invitation), { ttlMs: ctx.config.INVITATION_TTL * 1000 + 60_000 });
        return { status: 201, body: { invitationId: invitation.invitationId, code, expiresAt: invitation.expiresAt } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/invitations/:code/accept',
      operationId: 'acceptInvitation',
      summary: "Accept an invitation with one of the caller's passkeys: a shared key with exactly the invitation's profile",
      tags: ['sharing'],
      errors: ['INVITATION_INVALID', 'PASSKEY_NOT_FOUND', 'KEY_EXISTS', 'SHARED_KEY_LIMIT', 'STANDARD_SERVICES_INACTIVE', 'SUBSCRIPTION_INACTIVE', 'VEHICLE_NOT_FOUND', 'CONFLICT'],
      auth: 'session',
      params: z.object({ code: z.string().regex(/^[A-Za-z0-9_-]{32}$/) }),
      body: z.object({ passkeyId: base64UrlIdSchema }),
      responses: { 201: { description: 'The shared key and its first credential', schema: issuedSchema } },
      handler: async ({ caller, params, body }) => {
        const me = requireAccount(caller);
        const key = await acceptInvitation(ctx, { code: params.code, accountId: me.accountId, passkeyId: body.passkeyId, assertKeysAllowed: hooks.assertKeysAllowed });
        return { status: 201, body: await credentialForKey(ctx, { keyId: key.keyId, accountId: me.accountId, assertKeysAllowed: hooks.assertKeysAllowed }) };
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/v1/vehicles/:vin/keys/:keyId',
      operationId: 'revokeKey',
      summary: 'Revoke one key: the main user any key, a shared user only their own (R3)',
      tags: ['keys'],
      errors: ['VEHICLE_NOT_FOUND', 'KEY_NOT_FOUND', 'CONFLICT'],
      auth: 'session',
      params: z.object({ vin: vinSchema, keyId: uuidSchema }),
      responses: { 200: { description: 'Revoked', schema: z.object({ keyId: uuidSchema, seq: z.number().int() }) } },
      handler: async ({ caller, params }) => {
        const me = requireAccount(caller);
        const { vehicle, key } = await revokeVehicleKey(ctx, {
          vin: params.vin,
          keyId: params.keyId,
          actor: (v) => ({ accountId: me.accountId, role: v.mainUser?.accountId === me.accountId ? 'main' : 'shared' }),
          reason: 'revoked-by-user',
          authorize: (v, k) => {
            if (v.mainUser?.accountId !== me.accountId && k.accountId !== me.accountId) throw new DigitalKeyError('KEY_NOT_FOUND');
          },
        });
        return { body: { keyId: key.keyId, seq: vehicle.seq } };
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/v1/me/vehicles/:vin',
      operationId: 'removeVehicle',
      summary: 'Remove the vehicle from the account (R4a), or relinquish the usage rights (R4c): every key is wiped',
      tags: ['vehicles'],
      errors: ['VEHICLE_NOT_FOUND', 'NOT_MAIN_USER', 'CONFLICT'],
      auth: 'session',
      params: vinParams,
      body: z.object({ reason: z.enum(['remove', 'relinquish']).default('remove') }),
      responses: { 200: { description: 'Removed; every key wiped', schema: wipeResultSchema } },
      handler: async ({ caller, params, body }) => {
        const me = requireAccount(caller);
        await hooks.beforeMainUserLeaves(params.vin);
        const { vehicle, listWipedKeyIds } = await wipeVehicleKeys(ctx, {
          vin: params.vin,
          reason: body.reason === 'relinquish' ? 'usage-relinquished' : 'vehicle-removed',
          actor: { accountId: me.accountId, role: 'main' },
          change: (v) => {
            assertMainUser(v, me.accountId);
            // R4b: the subscription ends with the main user's tenure, in the same commit.
            return hooks.mainUserLeaves({ ...v, mainUser: null, standardServices: { active: false, changedAt: ctx.clock.now() } }, 'vehicle-removed');
          },
        });
        return { body: { vin: params.vin, revokedKeyIds: await listWipedKeyIds(), epoch: vehicle.epoch, seq: vehicle.seq } };
      },
    }),
  ];
}
