import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSandboxDriver } from '../../src/sandbox/index.js';
import { generateApiKey, hashApiKey, parseScopes } from '../../src/server/api-keys.js';
import { errorSchema } from '../../src/server/schemas.js';
import { isLoopbackHost, resolveAuth, ServeAuthError } from '../../src/server/serve-policy.js';
import { startServer } from '../../src/server/start-server.js';
import { loadProject } from '../../src/spec/index.js';
import { openStore } from '../../src/store/open-store.js';
import { createProject, type TempProject } from '../helpers/project.js';
import { type Fixture, startFixture } from './fixture.js';

let fixture: Fixture | undefined;
let project: TempProject | undefined;
afterEach(async () => {
  await fixture?.close();
  project?.cleanup();
  fixture = undefined;
  project = undefined;
});

const TRIGGER = { agent: 'echo', message: 'hi' };

describe('API keys', () => {
  it('answers 401 without a working key, and creates nothing', async () => {
    fixture = await startFixture();
    const revoked = await fixture.key(['admin'], 'old');
    const revokedId = (await fixture.store.listApiKeys()).find((key) => key.name === 'old')!.id;
    await fixture.store.revokeApiKey(revokedId);
    const attempts: [Record<string, string>, string][] = [
      [{}, 'auth.missing-key'],
      [{ Authorization: 'Basic dXNlcjpwdw==' }, 'auth.missing-key'],
      [{ Authorization: 'Bearer' }, 'auth.missing-key'],
      [{ Authorization: `Bearer ${generateApiKey().key}` }, 'auth.invalid-key'],
      [{ Authorization: `Bearer ${revoked}` }, 'auth.invalid-key'],
    ];
    for (const [headers, code] of attempts) {
      const response = await fixture.call('POST', '/api/v1/runs', { key: null, headers, body: TRIGGER });
      expect(response.status, JSON.stringify(headers)).toBe(401);
      expect(response.headers.get('www-authenticate')).toContain('Bearer');
      expect(errorSchema.parse(response.body).error.code).toBe(code);
      const read = await fixture.call('GET', '/api/v1/runs', { key: null, headers });
      expect(read.status).toBe(401);
    }
    expect(await fixture.store.listRuns()).toEqual([]);
    // Health and the API document are public.
    expect((await fixture.call('GET', '/healthz', { key: null })).status).toBe(200);
    expect((await fixture.call('GET', '/api/v1/openapi.json', { key: null })).status).toBe(200);
  });

  it('answers 403 when the key lacks the scope, and creates nothing', async () => {
    fixture = await startFixture();
    const reader = await fixture.key(['runs:read'], 'dashboard');
    const trigger = await fixture.key(['runs:trigger'], 'airflow');
    const both = await fixture.key(['runs:trigger', 'runs:read'], 'ci');

    const refused = await fixture.call('POST', '/api/v1/runs', { key: reader, body: TRIGGER });
    expect(refused.status).toBe(403);
    expect(errorSchema.parse(refused.body).error).toMatchObject({
      code: 'auth.forbidden',
      message: expect.stringContaining('dashboard'),
    });
    expect(await fixture.store.listRuns()).toEqual([]);

    const created = await fixture.call('POST', '/api/v1/runs', { key: trigger, body: TRIGGER });
    expect(created.status).toBe(201);
    const runId = (created.body as { id: string; trigger: { source: string } }).id;
    expect((created.body as { trigger: { source: string } }).trigger.source).toBe('airflow');
    for (const path of [
      `/api/v1/runs/${runId}`,
      `/api/v1/runs/${runId}/events`,
      '/api/v1/runs',
      '/api/v1/agents',
    ]) {
      expect((await fixture.call('GET', path, { key: trigger })).status, path).toBe(403);
      expect(
        (await fixture.call('GET', path, { key: reader, headers: { Accept: 'application/json' } })).status,
      ).toBe(200);
    }
    for (const path of [`/api/v1/runs/${runId}/cancel`, `/api/v1/runs/${runId}/messages`]) {
      const response = await fixture.call('POST', path, { key: reader, body: { message: 'more' } });
      expect(response.status, path).toBe(403);
    }
    await fixture.waitForStatus(runId, ['COMPLETED']);
    expect((await fixture.store.getRun(runId))!.turns).toBe(1);
    expect((await fixture.call('POST', '/api/v1/runs', { key: both, body: TRIGGER })).status).toBe(201);
    expect((await fixture.call('GET', `/api/v1/runs/${runId}`, { key: both })).status).toBe(200);
    expect(await fixture.store.listRuns()).toHaveLength(2);
  });

  it('stores only a hash of each key, records its last use, and revocation works at once', async () => {
    fixture = await startFixture();
    const key = await fixture.key(['runs:read'], 'reader');
    const [record] = (await fixture.store.listApiKeys()).filter((stored) => stored.name === 'reader');
    expect(record).toMatchObject({
      hash: hashApiKey(key),
      prefix: key.slice(0, 12),
      scopes: ['runs:read'],
      lastUsedAt: null,
    });
    expect(key).toMatch(/^agk_[A-Za-z0-9_-]{43}$/);
    const database = readFileSync(join(fixture.project.root, '.agentry', 'agentry.db'));
    const wal = readFileSync(join(fixture.project.root, '.agentry', 'agentry.db-wal'));
    expect(database.includes(key)).toBe(false);
    expect(wal.includes(key)).toBe(false);

    expect((await fixture.call('GET', '/api/v1/agents', { key })).status).toBe(200);
    expect((await fixture.store.findApiKeyByHash(hashApiKey(key)))!.lastUsedAt).not.toBeNull();
    const revoked = await fixture.store.revokeApiKey(record!.id);
    expect((await fixture.call('GET', '/api/v1/agents', { key })).status).toBe(401);
    // Revoking again keeps the first time; an unknown id revokes nothing.
    expect((await fixture.store.revokeApiKey(record!.id))!.revokedAt).toBe(revoked!.revokedAt);
    expect(await fixture.store.revokeApiKey('01J00000000000000000000000')).toBeUndefined();
  });

  it('takes requests without a key only with --no-auth on loopback', async () => {
    fixture = await startFixture({ auth: false });
    expect(fixture.server.auth).toBe('none');
    const created = await fixture.call('POST', '/api/v1/runs', { key: null, body: TRIGGER });
    expect(created.status).toBe(201);
    expect((created.body as { trigger: { source: string | null } }).trigger.source).toBeNull();
    await fixture.waitForStatus((created.body as { id: string }).id, ['COMPLETED']);
  });

  it('refuses to start without a key (unless --no-auth on loopback), or with --no-auth off loopback', async () => {
    project = createProject({ '.agentry/config.yml': 'version: 1\n' });
    const { project: loaded } = await loadProject(project.root);
    const store = await openStore(loaded.config.store, loaded.root);
    try {
      const start = (host: string, noAuth: boolean) =>
        startServer({
          project: loaded,
          store,
          sandbox: createSandboxDriver(loaded.config.sandbox).driver,
          host,
          port: 0,
          noAuth,
        });
      await expect(start('127.0.0.1', false)).rejects.toThrow(
        /no API key exists: create one with 'agentry keys create/,
      );
      await expect(start('0.0.0.0', true)).rejects.toBeInstanceOf(ServeAuthError);
      await expect(start('0.0.0.0', false)).rejects.toThrow(/reachable from other machines/);
      const server = await start('127.0.0.1', true);
      expect(server.auth).toBe('none');
      await server.close();
    } finally {
      await store.close();
    }
  });
});

describe('auth policy', () => {
  it('knows loopback hosts', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1']) {
      expect(isLoopbackHost(host), host).toBe(true);
    }
    for (const host of ['0.0.0.0', '::', '192.168.1.10', 'example.com', '10.0.0.1']) {
      expect(isLoopbackHost(host), host).toBe(false);
    }
  });

  it('requires keys unless --no-auth on loopback', () => {
    expect(resolveAuth({ host: '0.0.0.0', noAuth: false, activeKeys: 1 })).toBe('keys');
    expect(resolveAuth({ host: '127.0.0.1', noAuth: true, activeKeys: 3 })).toBe('none');
    expect(() => resolveAuth({ host: '10.0.0.1', noAuth: true, activeKeys: 1 })).toThrow(
      /only allowed on a loopback host/,
    );
    expect(() => resolveAuth({ host: '127.0.0.1', noAuth: false, activeKeys: 0 })).toThrow(
      /--no-auth for local/,
    );
  });

  it('parses scopes, rejecting unknown ones', () => {
    expect(parseScopes(['runs:read,runs:trigger', 'runs:read'])).toEqual(['runs:trigger', 'runs:read']);
    expect(parseScopes('admin')).toEqual(['admin']);
    expect(() => parseScopes(['runs:write'])).toThrow("unknown scope 'runs:write'");
  });
});
