import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PathEscapeError, ToolError } from '../../src/tools/errors.js';
import {
  PathForbiddenError,
  PathNotFoundError,
  resolveInWorkspace,
  SymlinkEscapeError,
  workspaceRelative,
} from '../../src/tools/workspace-path.js';
import { createFakeDbtProject, type FakeDbtProject } from './fake-dbt-project.js';

let project: FakeDbtProject;
let root: string;

beforeAll(async () => {
  project = await createFakeDbtProject();
  root = project.root;
});

afterAll(async () => {
  await project.cleanup();
});

/** The error `resolveInWorkspace` throws, failing the test when it resolves. */
async function refusal(requested: string, options?: { mustExist?: boolean }): Promise<ToolError> {
  const error = await resolveInWorkspace(root, requested, options).then(
    (resolved) => new Error(`expected ${requested} to be refused, got ${resolved}`),
    (thrown: unknown) => thrown,
  );
  if (!(error instanceof ToolError)) throw error;
  return error;
}

describe('resolveInWorkspace: paths inside the workspace', () => {
  it('returns the absolute real path of a file', async () => {
    await expect(resolveInWorkspace(root, 'models/orders.sql', { mustExist: true })).resolves.toBe(
      path.join(root, 'models', 'orders.sql'),
    );
  });

  it('returns the root for "." and ""', async () => {
    await expect(resolveInWorkspace(root, '.')).resolves.toBe(root);
    await expect(resolveInWorkspace(root, '')).resolves.toBe(root);
  });

  it('normalizes ./ and .. that stay inside', async () => {
    await expect(resolveInWorkspace(root, './models/../models/staging/./stg_orders.sql')).resolves.toBe(
      path.join(root, 'models', 'staging', 'stg_orders.sql'),
    );
  });

  it('follows a symlink that stays inside to its real path', async () => {
    await expect(resolveInWorkspace(root, 'links/inside/orders.sql', { mustExist: true })).resolves.toBe(
      path.join(root, 'models', 'orders.sql'),
    );
  });

  it('accepts a root given through a symlink', async () => {
    const holder = await mkdtemp(path.join(tmpdir(), 'agentry-rootlink-'));
    try {
      const link = path.join(holder, 'workspace');
      await symlink(root, link);
      await expect(resolveInWorkspace(link, 'models/orders.sql', { mustExist: true })).resolves.toBe(
        path.join(root, 'models', 'orders.sql'),
      );
    } finally {
      await rm(holder, { recursive: true, force: true });
    }
  });
});

describe('resolveInWorkspace: escapes are refused', () => {
  it.each(['/etc/passwd', path.join('/', 'tmp')])('refuses the absolute path %s', async (requested) => {
    const error = await refusal(requested);
    expect(error).toBeInstanceOf(PathEscapeError);
    expect(error.code).toBe('tool.path-escape');
    expect(error.message).toContain('relative to the repository root');
  });

  it('refuses an absolute path even when it points inside the workspace', async () => {
    expect(await refusal(path.join(root, 'models', 'orders.sql'))).toBeInstanceOf(PathEscapeError);
  });

  it.each(['..', '../etc/passwd', 'models/../../outside.txt', './../x'])(
    'refuses the .. escape %s',
    async (requested) => {
      const error = await refusal(requested, { mustExist: false });
      expect(error).toBeInstanceOf(PathEscapeError);
      expect(error.message).toContain(requested);
    },
  );

  it('refuses a symlink to /etc/passwd', async () => {
    const error = await refusal('links/passwd', { mustExist: true });
    expect(error).toBeInstanceOf(SymlinkEscapeError);
    expect(error.code).toBe('tool.path-escape');
    expect(error.message).toContain('symlink that points outside');
    expect(error.message).not.toContain('/etc/passwd');
  });

  it('refuses a file reached through a symlinked directory that points outside', async () => {
    const error = await refusal('links/outside-dir/secret.txt', { mustExist: true });
    expect(error).toBeInstanceOf(SymlinkEscapeError);
    expect(error.message).not.toContain(project.outside);
  });

  it('refuses a symlinked directory outside even for a path that does not exist yet', async () => {
    expect(await refusal('links/outside-dir/new/file.sql', { mustExist: false })).toBeInstanceOf(
      SymlinkEscapeError,
    );
  });

  it('refuses a dangling symlink whose target would be created outside', async () => {
    expect(await refusal('links/dangling-out', { mustExist: false })).toBeInstanceOf(SymlinkEscapeError);
    expect(await refusal('links/dangling-out', { mustExist: true })).toBeInstanceOf(SymlinkEscapeError);
  });

  it('refuses a symlink to a file outside', async () => {
    expect(await refusal('links/secret')).toBeInstanceOf(SymlinkEscapeError);
  });

  it('refuses a path with a NUL byte', async () => {
    expect((await refusal('models/orders.sql\0.txt')).code).toBe('tool.bad-path');
  });

  it('reports a loop of symlinks', async () => {
    const error = await refusal('links/loop-a', { mustExist: true });
    expect(error.code).toBe('tool.path-loop');
  });
});

describe('resolveInWorkspace: .git is forbidden', () => {
  it.each(['.git', '.git/config', '.git/', 'models/../.git/HEAD', 'sub/.git/config', '.GIT/config'])(
    'refuses %s',
    async (requested) => {
      const error = await refusal(requested);
      expect(error).toBeInstanceOf(PathForbiddenError);
      expect(error.code).toBe('tool.path-forbidden');
      expect(error.message).toContain('git tools');
    },
  );

  it('refuses .git reached through a symlink', async () => {
    const error = await refusal('links/git/config', { mustExist: true });
    expect(error.code).toBe('tool.path-forbidden');
  });
});

describe('resolveInWorkspace: paths that do not exist', () => {
  it('refuses a missing path when it must exist', async () => {
    const error = await refusal('models/missing.sql', { mustExist: true });
    expect(error).toBeInstanceOf(PathNotFoundError);
    expect(error.code).toBe('tool.path-not-found');
    expect(error.message).toContain('models/missing.sql does not exist');
  });

  it('returns where a missing path would be created, checked through its nearest existing parent', async () => {
    await expect(resolveInWorkspace(root, 'models/marts/new/fct_orders.sql')).resolves.toBe(
      path.join(root, 'models', 'marts', 'new', 'fct_orders.sql'),
    );
  });

  it('resolves a missing path through an inside symlink to its real parent', async () => {
    await expect(resolveInWorkspace(root, 'links/inside/new.sql')).resolves.toBe(
      path.join(root, 'models', 'new.sql'),
    );
  });

  it('refuses a path below a file', async () => {
    expect((await refusal('models/orders.sql/child.sql')).code).toBe('tool.not-a-directory');
    expect((await refusal('models/orders.sql/child.sql', { mustExist: true })).code).toBe(
      'tool.path-not-found',
    );
  });
});

describe('workspaceRelative', () => {
  it('gives / separated paths and . for the root', () => {
    expect(workspaceRelative(root, path.join(root, 'models', 'orders.sql'))).toBe('models/orders.sql');
    expect(workspaceRelative(root, root)).toBe('.');
  });
});
