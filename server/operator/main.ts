/**
 * `npm run operator -- <command>`: operator actions against the configured store (REDIS_URL). They
 * are not public routes. Commands:
 *   provision-vehicle --vin VIN --first-registration YYYY-MM-DD --odometer KM --qr-token TOKEN --vehicle-jwk FILE
 *   grant-dealer --email EMAIL
 * Without REDIS_URL there is nothing to operate on (the memory store lives inside one server process).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { systemClock } from '../../shared/clock.js';
import { AccountRepository } from '../accounts/accountRepository.js';
import { loadConfig } from '../config.js';
import { createStore } from '../store/createStore.js';
import { VehicleRepository } from '../vehicles/vehicleRepository.js';
import { provisionVehicle } from './provisionVehicle.js';
import { grantDealer } from './grantDealer.js';

async function main(): Promise<number> {
  const [command, ...rest] = process.argv.slice(2);
  const config = loadConfig();
  if (!config.REDIS_URL) {
    console.error('REDIS_URL is not set: operator commands act on the shared Redis store');
    return 2;
  }
  const store = createStore({ redisUrl: config.REDIS_URL, clock: systemClock });
  try {
    if (command === 'provision-vehicle') {
      const { values } = parseArgs({
        args: rest,
        options: { vin: { type: 'string' }, 'first-registration': { type: 'string' }, odometer: { type: 'string' }, 'qr-token': { type: 'string' }, 'vehicle-jwk': { type: 'string' } },
      });
      const vehicle = await provisionVehicle(
        { vehicles: new VehicleRepository(store), clock: systemClock },
        {
          vin: values.vin ?? '',
          firstRegistration: values['first-registration'] ?? '',
          odometerKm: Number(values.odometer),
          qrToken: values['qr-token'] ?? '',
          vehiclePublicJwk: JSON.parse(readFileSync(values['vehicle-jwk'] ?? '', 'utf8')) as never,
        },
      );
      console.log(JSON.stringify({ provisioned: vehicle.vin, firstRegistration: vehicle.firstRegistration }));
      return 0;
    }
    if (command === 'grant-dealer') {
      const { values } = parseArgs({ args: rest, options: { email: { type: 'string' } } });
      const account = await grantDealer({ accounts: new AccountRepository(store) }, values.email ?? '');
      console.log(JSON.stringify({ dealer: account.accountId }));
      return 0;
    }
    console.error('usage: operator provision-vehicle --vin … | grant-dealer --email …');
    return 2;
  } finally {
    await store.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  },
);
