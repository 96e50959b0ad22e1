import { afterAll, beforeAll } from 'vitest';
import { apiClient } from './api-client.js';
import { buildTestApp, recordingScheduler } from './app.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { startTestSimulator, type TestSimulator, type TestSimulatorOptions } from './simulator.js';

export interface DatabaseAndSimulator {
  database: TestDatabase;
  simulator: TestSimulator;
}

/**
 * A test database and the simulator for the file (or the describe block it is called in): made
 * before its tests, torn down after. Read the fields inside tests and hooks, not before.
 */
export function useDatabaseAndSimulator(options: TestSimulatorOptions = {}): DatabaseAndSimulator {
  const env = {} as DatabaseAndSimulator;
  beforeAll(async () => {
    env.database = await createTestDatabase();
    env.simulator = startTestSimulator(options);
  });
  afterAll(async () => {
    await env.simulator?.close();
    await env.database?.drop();
  });
  return env;
}

/** The API on `database`, its sync requests recorded instead of run, with a client for one user. */
export function recordingApi(database: TestDatabase) {
  const syncs = recordingScheduler();
  const built = buildTestApp(database, { syncs });
  return { ...built, syncs, api: apiClient(built.app) };
}
