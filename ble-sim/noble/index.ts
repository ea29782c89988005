/** Re-exports of the noble binding over the simulated air. */
export * from './airBindings.js';
export * from './createNoble.js';
export * from './nobleBindings.js';
