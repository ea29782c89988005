/** Everything a route or an operation needs, wired once in createApp (one constructor wires them). */
import type { Clock } from '../shared/clock.js';
import type { IssuerSigningKey } from '../shared/credential/issuerKey.js';
import type { TrustedIssuer } from '../shared/credential/trustedIssuer.js';
import type { AccountRepository } from './accounts/accountRepository.js';
import type { CeremonyChallenges } from './accounts/ceremonyChallenges.js';
import type { RelyingPartyConfig } from './accounts/relyingParty.js';
import type { Config } from './config.js';
import type { Logger } from './logger.js';
import type { DomainMetrics } from './metrics/domainMetrics.js';
import type { Outbox } from './notifications/outbox.js';
import type { Store } from './store/store.js';
import type { StateManifests } from './vehicles/stateManifests.js';
import type { TrustUpdates } from './vehicles/trustUpdates.js';
import type { VehicleRepository } from './vehicles/vehicleRepository.js';

export interface AppContext {
  config: Config;
  store: Store;
  clock: Clock;
  logger: Logger;
  issuerKey: IssuerSigningKey;
  /** The issuer as verifiers see it: id + public JWKS. */
  trust: TrustedIssuer;
  rp: RelyingPartyConfig;
  accounts: AccountRepository;
  challenges: CeremonyChallenges;
  vehicles: VehicleRepository;
  manifests: StateManifests;
  /** The issuer keys cars must trust, signed for them (key rotation). */
  trustUpdates: TrustUpdates;
  /** Every message to a user: stored in the account's outbox, then mailed. */
  outbox: Outbox;
  /** Counters of domain events for /metrics (bounded labels only). */
  metrics: DomainMetrics;
}
