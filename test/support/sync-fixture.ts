import { afterAll, beforeAll } from 'vitest';
import { createInProcessScheduler, type RunningScheduler } from '../../src/sync/in-process-scheduler.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { startTestSimulator, type TestSimulator } from './simulator.js';
import { syncHarness, type SyncHarness } from './sync-harness.js';

type HarnessOptions = NonNullable<Parameters<typeof syncHarness>[1]>;

export interface SyncFixture {
  database: TestDatabase;
  sim: TestSimulator;
  harness: SyncHarness;
  syncs: RunningScheduler;
}

/**
 * A test file's own database, in-process simulator, sync engine and scheduler, set up before its
 * tests and torn down after them. The fields are filled once `beforeAll` has run.
 */
export function useSyncFixture(options?: HarnessOptions): SyncFixture {
  const fixture = {} as SyncFixture;
  beforeAll(async () => {
    fixture.database = await createTestDatabase();
    fixture.sim = startTestSimulator();
    fixture.harness = syncHarness(fixture.database, options);
    fixture.syncs = createInProcessScheduler({ engine: fixture.harness.engine, logger: fixture.harness.logger });
  });
  afterAll(async () => {
    await fixture.syncs.stop(0);
    await fixture.sim.close();
    await fixture.database.drop();
  });
  return fixture;
}
