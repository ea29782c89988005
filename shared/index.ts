/** Re-exports of the code both the server and the vehicle/phone need. */
export * from './errors/errorCode.js';
export * from './errors/digitalKeyError.js';
export * from './clock.js';
export * from './ids.js';
export * from './commands.js';
export * from './credential/issuerKey.js';
export * from './credential/signCompactJws.js';
export * from './credential/trustedIssuer.js';
export * from './credential/keyCredential.js';
export * from './credential/stateManifest.js';
export * from './ble/gattUuids.js';
export * from './ble/framing.js';
export * from './ble/messages.js';
export * from './ble/transactionHash.js';
export * from './ble/bleResponseCode.js';
export * from './credential/vehicleRequestToken.js';
