import { openDatabase } from '../../src/storage/database.js';
import type { Database } from '../../src/storage/database.js';
import { migrate } from '../../src/storage/migrate.js';
import { ObjectStore } from '../../src/storage/object-store.js';
import { WriteBatcher } from '../../src/storage/write-batcher.js';
import type { KubeObject } from '../../src/machinery/object.js';
import type { WriteRequest } from '../../src/storage/types.js';
import { createTestDatabase } from '../support/postgres.js';
import type { TestDatabase } from '../support/postgres.js';

export interface StorageFixture {
  testDb: TestDatabase;
  database: Database;
  batcher: WriteBatcher;
  store: ObjectStore;
  close(): Promise<void>;
}

export async function storageFixture(): Promise<StorageFixture> {
  const testDb = await createTestDatabase();
  const database = openDatabase({ url: testDb.url });
  await migrate(database.pool);
  const batcher = new WriteBatcher(database.pool);
  const store = new ObjectStore(database.db, batcher);
  return {
    testDb,
    database,
    batcher,
    store,
    async close() {
      await database.close();
      await testDb.drop();
    },
  };
}

export function cm(name: string, data: Record<string, string> = {}, labels?: Record<string, string>): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: labels ? { name, namespace: 'ns', labels } : { name, namespace: 'ns' }, data };
}

/** A create that fails when the object exists. */
export function createReq(obj: KubeObject): WriteRequest {
  return {
    key: { resource: 'configmaps', namespace: obj.metadata.namespace ?? '', name: obj.metadata.name! },
    decide: (current) => {
      if (current) throw new Error(`exists: ${obj.metadata.name}`);
      return { action: 'put', object: structuredClone(obj) };
    },
  };
}

export function deleteReq(name: string): WriteRequest {
  return {
    key: { resource: 'configmaps', namespace: 'ns', name },
    decide: (current) => {
      if (!current) throw new Error(`missing: ${name}`);
      return { action: 'delete', object: structuredClone(current.object) };
    },
  };
}
