/**
 * A whole run through the engine with a scripted model: the model asks for a DROP (refused, the
 * run goes on), lists tables, reads rows. The audit trail records each call; the warehouse URL
 * and its password reach neither the model nor the events; the connection closes with the run.
 */
import pg from 'pg';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { Engine } from '../../src/engine/index.js';
import { LocalSandboxDriver } from '../../src/sandbox/index.js';
import { loadProject } from '../../src/spec/index.js';
import { openStore } from '../../src/store/index.js';
import { startScriptedModel } from '../../src/testing/index.js';
import { createProject, scriptedConfig } from '../helpers/project.js';
import { createThrowawayDatabase, seedPostgres } from './seeds.js';

const PASSWORD = 'sekret-warehouse-password';

let database: { url: string; drop: () => Promise<void> };

beforeAll(async () => {
  database = await createThrowawayDatabase();
  await seedPostgres(database.url);
});

afterAll(async () => {
  await database?.drop();
});

test('an agent queries Postgres: refused write, then reads; audited, no credential leaks, connection closed', async () => {
  const url = database.url.replace('postgres@', `postgres:${PASSWORD}@`);
  const server = await startScriptedModel({
    script: [
      { toolCalls: [{ name: 'run_sql_query', arguments: { sql: 'drop table raw_orders' } }] },
      { toolCalls: [{ name: 'list_tables', arguments: { pattern: 'orders' } }] },
      {
        toolCalls: [
          {
            name: 'run_sql_query',
            arguments: { sql: "select count(*) as returned from raw_orders where status = 'returned'" },
          },
        ],
      },
      { text: '4 orders were returned.' },
    ],
  });
  const project = createProject({ 'README.md': '# repo\n' });
  try {
    project.write(
      '.agentry/config.yml',
      scriptedConfig(
        server.url,
        project.workspaces,
        'warehouses:\n  dw:\n    type: postgres\n    url_env: DW_URL\n',
      ),
    );
    project.write('.agentry/.gitignore', 'agentry.db*\n');
    project.write(
      '.agentry/agents/analyst.yml',
      'name: analyst\nrole: analyst\ngoal: answer questions about orders\ntools:\n  list: [run_sql_query, list_tables]\nlimits:\n  max_steps: 6\n  timeout: 30s\n',
    );
    project.commit('agentry');
    const { project: loaded, issues } = await loadProject(project.root);
    expect(issues).toEqual([]);
    const store = await openStore(loaded.config.store, project.root);
    try {
      const engine = new Engine({
        project: loaded,
        store,
        sandbox: new LocalSandboxDriver({ workspaceRoot: project.workspaces }),
        env: { DW_URL: url },
      });
      const run = await engine.triggerRun('analyst', 'How many orders were returned?');
      expect(run.status).toBe('COMPLETED');

      const events = await store.listEvents(run.id);
      const failed = events.filter((event) => event.type === 'tool-call.failed');
      expect(failed).toHaveLength(1);
      expect(failed[0]!.payload).toMatchObject({ tool: 'run_sql_query', code: 'warehouse.write-refused' });
      const started = events
        .filter((event) => event.type === 'tool-call.started')
        .map((event) => event.payload.input);
      expect(started).toEqual([
        { sql: 'drop table raw_orders' },
        { pattern: 'orders' },
        { sql: "select count(*) as returned from raw_orders where status = 'returned'" },
      ]);
      const summaries = events
        .filter((event) => event.type === 'tool-call.completed')
        .map((event) => event.payload.summary);
      expect(summaries[0]).toBe('1 tables in dw (pattern orders)');
      expect(summaries[1]).toMatch(/^SELECT on dw: 1 row in \d+ ms$/);

      // The model got the refusal and the rows as tool results.
      const toolResults = server.requests[3]!.messages.filter(
        (message) => (message as { role: string }).role === 'tool',
      );
      expect(JSON.stringify(toolResults)).toContain('refused: DROP changes the warehouse');
      expect(JSON.stringify(toolResults)).toContain('returned\\n4');

      for (const text of [JSON.stringify(events), JSON.stringify(server.requests)]) {
        expect(text).not.toContain(PASSWORD);
        expect(text).not.toContain(database.url.split('/').at(-1)!);
      }

      const observer = new pg.Client({ connectionString: database.url });
      await observer.connect();
      const open = await observer.query(
        'select count(*)::int as n from pg_stat_activity where application_name = $1',
        [`agentry run_id=${run.id}`],
      );
      await observer.end();
      expect(open.rows).toEqual([{ n: 0 }]);
    } finally {
      await store.close();
    }
  } finally {
    await server.close();
    project.cleanup();
  }
});
