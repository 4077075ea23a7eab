import type { RunningApiServer } from '../../src/api/apiserver.js';
import { startInProcess } from './apiserver.js';
import { createTestDatabase } from './postgres.js';
import type { TestDatabase } from './postgres.js';
import { request } from './http.js';

export interface ApiFixture {
  base: string;
  server: RunningApiServer;
  db: TestDatabase;
  close(): Promise<void>;
}

/** A fresh database with an in-process apiserver on it. */
export async function apiFixture(opts: Parameters<typeof startInProcess>[1] = {}): Promise<ApiFixture> {
  const db = await createTestDatabase();
  const server = await startInProcess(db.url, opts);
  return {
    base: server.url,
    server,
    db,
    async close() {
      await server.stop();
      await db.drop();
    },
  };
}

export function configMap(name: string, data: Record<string, string> = {}, labels?: Record<string, string>) {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: labels ? { name, labels } : { name }, data };
}

export async function createNamespace(base: string, name: string): Promise<void> {
  const r = await request(base, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  if (r.status !== 201) throw new Error(`namespace ${name}: ${r.status} ${r.text}`);
}
