/** Re-exports of the simulated air. */
export * from './air.js';
export * from './airBridgeServer.js';
export * from './airConnection.js';
export * from './centralRadio.js';
export * from './gattServer.js';
export * from './linkMetrics.js';
export * from './linkProfile.js';
export * from './remoteRadio.js';
export * from './seededRandom.js';
