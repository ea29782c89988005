/**
 * The development server's operator endpoint: the operator actions over HTTP, for a server on the
 * memory store (whose data lives only inside its process). Bound to loopback, on its own port,
 * behind a random bearer token written to a file only the developer can read; never part of the
 * public API, and never started by the production entry point.
 */
import { timingSafeEqual } from 'node:crypto';
import type { Server } from 'node:http';
import express from 'express';
import { z } from 'zod';
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import type { AppContext } from '../appContext.js';
import { errorHandler } from '../http/errorHandler.js';
import { grantDealer } from './grantDealer.js';
import { inviteDealer } from './inviteDealer.js';
import { provisionVehicle, provisionVehicleSchema } from './provisionVehicle.js';
import { describeInputError } from './describeInputError.js';

function tokenMatches(given: string | undefined, expected: string): boolean {
  if (!given?.startsWith('Bearer ')) return false;
  const a = Buffer.from(given.slice('Bearer '.length));
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Listen on 127.0.0.1 (port 0: any free one); resolves with the server and its URL. */
export async function startOperatorEndpoint(ctx: Pick<AppContext, 'vehicles' | 'accounts' | 'clock' | 'store' | 'config'>, opts: { token: string; port?: number }): Promise<{ server: Server; url: string }> {
  const app = express();
  app.disable('x-powered-by');
  app.use((req, _res, next) => next(tokenMatches(req.headers.authorization, opts.token) ? undefined : new DigitalKeyError('UNAUTHENTICATED')));
  app.use(express.json({ limit: '16kb' }));
  const run = (action: (body: unknown) => Promise<unknown>) => (req: express.Request, res: express.Response, next: express.NextFunction) => {
    action(req.body).then(
      (body) => res.status(201).json(body),
      (err: unknown) => next(err instanceof z.ZodError ? new DigitalKeyError('VALIDATION_FAILED', describeInputError(err)) : err),
    );
  };
  app.post(
    '/operator/vehicles',
    run(async (body) => {
      const v = await provisionVehicle(ctx, provisionVehicleSchema.parse(body));
      return { vin: v.vin, firstRegistration: v.firstRegistration };
    }),
  );
  app.post(
    '/operator/dealers',
    run(async (body) => {
      const { email } = z.object({ email: z.string() }).parse(body);
      return { accountId: (await grantDealer(ctx, email)).accountId };
    }),
  );
  app.post(
    '/operator/dealer-invitations',
    run(async (body) => {
      const { email } = z.object({ email: z.string() }).parse(body);
      return inviteDealer(ctx, email);
    }),
  );
  app.use((_req, _res, next) => next(new DigitalKeyError('NOT_FOUND', 'no such operator action')));
  app.use(errorHandler);
  const server = app.listen(opts.port ?? 0, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { server, url: `http://127.0.0.1:${port}` };
}
