import type { Command } from 'commander';
import { createApiKey, parseScopes } from '../../server/api-keys.js';
import { loadProject } from '../../spec/index.js';
import { API_KEY_SCOPES, type KeyStore, openStore } from '../../store/index.js';
import { projectRoot } from '../context.js';
import { CliUsageError } from '../errors.js';
import { table } from '../format.js';
import type { Io } from '../io.js';
import type { Act } from './serve.js';

interface KeysOptions {
  project?: string;
  json?: boolean;
}

/** Add `agentry keys create | list | revoke` to the program. */
export function registerKeysCommand(program: Command, io: Io, act: Act): void {
  const projectOption = [
    '-C, --project <dir>',
    'the project root (default: nearest directory with .agentry/)',
  ] as const;
  const keys = program
    .command('keys')
    .description('API keys of agentry serve (stored hashed; a key is shown once)');
  keys
    .command('create')
    .description('make a key: it is printed once on stdout, only its sha256 is kept')
    .requiredOption(
      '--scope <scopes...>',
      `what it may do: ${API_KEY_SCOPES.join(', ')} (several: a,b or repeat)`,
    )
    .option('--name <name>', 'a label for people, e.g. airflow-prod')
    .option('--json', 'print the key and its record as JSON')
    .option(...projectOption)
    .action(
      act((options: KeysOptions & { scope: string[]; name?: string }) => createKeyCommand(options, io)),
    );
  keys
    .command('list')
    .description('every key: id, name, prefix, scopes, last use, revoked or not')
    .option('--json', 'as JSON')
    .option(...projectOption)
    .action(act((options: KeysOptions) => listKeysCommand(options, io)));
  keys
    .command('revoke')
    .description('stop a key from working, at once')
    .argument('<id>', "the key's id (from 'agentry keys list')")
    .option(...projectOption)
    .action(act((id: string, options: KeysOptions) => revokeKeyCommand(id, options, io)));
}

async function withKeyStore<T>(option: string | undefined, work: (keys: KeyStore) => Promise<T>): Promise<T> {
  const { project } = await loadProject(projectRoot(option));
  const store = await openStore(project.config.store, project.root);
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

export async function createKeyCommand(
  options: KeysOptions & { scope: string[]; name?: string },
  io: Io,
): Promise<number> {
  const scopes = parseScopes(options.scope);
  return withKeyStore(options.project, async (keys) => {
    const { key, record } = await createApiKey(keys, { name: options.name ?? null, scopes });
    if (options.json) {
      const { hash: _hash, ...shown } = record;
      io.out(JSON.stringify({ key, ...shown }, null, 2));
    } else {
      io.out(key);
    }
    io.err(
      `key ${record.id}${record.name ? ` (${record.name})` : ''} with ${scopes.join(', ')}: copy it now, it is not shown again`,
    );
    return 0;
  });
}

export async function listKeysCommand(options: KeysOptions, io: Io): Promise<number> {
  return withKeyStore(options.project, async (keys) => {
    const records = await keys.listApiKeys();
    if (options.json) {
      io.out(
        JSON.stringify(
          records.map(({ hash: _hash, ...record }) => record),
          null,
          2,
        ),
      );
      return 0;
    }
    if (records.length === 0) {
      io.err("no API keys yet: make one with 'agentry keys create --scope runs:trigger --name NAME'");
      return 0;
    }
    const day = (time: string | null) => (time ? time.replace('T', ' ').slice(0, 16) : '-');
    const rows = records.map((record) => [
      record.id,
      record.name ?? '-',
      `${record.prefix}…`,
      record.scopes.join(','),
      day(record.createdAt),
      day(record.lastUsedAt),
      record.revokedAt ? `revoked ${day(record.revokedAt)}` : 'active',
    ]);
    io.out(table(['ID', 'NAME', 'PREFIX', 'SCOPES', 'CREATED', 'LAST USED', 'STATUS'], rows));
    return 0;
  });
}

export async function revokeKeyCommand(id: string, options: KeysOptions, io: Io): Promise<number> {
  return withKeyStore(options.project, async (keys) => {
    const record = await keys.revokeApiKey(id);
    if (!record) throw new CliUsageError(`no API key ${id}: list keys with 'agentry keys list'`);
    io.err(`key ${record.id}${record.name ? ` (${record.name})` : ''} is revoked`);
    return 0;
  });
}
