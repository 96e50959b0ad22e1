export * from './products.js';
export * from './items.js';
export * from './accounts.js';
export * from './transactions.js';
export * from './investments.js';
export * from './liabilities.js';
export * from './operations.js';
export * from './sync-state.js';
