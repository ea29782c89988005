/** The shapes of the dealer API's answers the desk reads, derived from docs/openapi.json. */
import type { Answer } from '../shared/apiTypes';

export type DealerVehicle = Answer<'/v1/dealer/vehicles/{vin}/keys', 'get'>;
export type DealerKey = DealerVehicle['keys'][number];
export type DealerCustomer = NonNullable<DealerVehicle['customer']>;
export type SearchResult = Answer<'/v1/dealer/search', 'get'>;
export type AuditPage = Answer<'/v1/dealer/vehicles/{vin}/audit/page', 'get'>;
