import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { expect } from 'vitest';
import { LocalSandboxDriver, type Sandbox, type SandboxDriver } from '../../src/sandbox/index.js';
import { configSchema } from '../../src/spec/config.js';
import { type FakeGitHub, startFakeGitHub } from '../../src/testing/index.js';
import { ToolError } from '../../src/tools/errors.js';
import type { ToolContext, ToolDefinition, ToolResult } from '../../src/tools/tool.js';
import { createProject, type TempProject } from '../helpers/project.js';
import { makeToolContext } from '../helpers/tool-context.js';
import { cleanupProject, TEST_LIMITS } from '../sandbox/sandbox-helpers.js';

export const TOKEN = 'ghp_TESTtoken0123456789abcdefABCDEF';
export const REPOSITORY = 'acme/analytics';
export const ORDERS = 'select order_id, amount from raw.orders\n';

/** A project with a bare remote, a fake GitHub serving it, and a run's sandbox on the project. */
export interface GitHubWorld {
  project: TempProject;
  /** The bare repository the project's `origin` pushes to. */
  bare: string;
  github: FakeGitHub;
  sandbox: Sandbox;
  context: ToolContext;
  runId: string;
  /** The workspace root. */
  root: string;
  /** Writes a file in the run's workspace. */
  write(path: string, content: string): void;
  /** git in the bare remote. */
  remote(...args: string[]): string;
  /** git in the workspace. */
  workspace(...args: string[]): string;
  close(): Promise<void>;
}

export interface WorldOptions {
  /** `integrations.github` keys on top of api_url, token_env and repository. */
  github?: Record<string, unknown>;
  /** The token in the worker's environment (default {@link TOKEN}); null for none. */
  token?: string | null;
  /** The token the fake accepts (default {@link TOKEN}). */
  acceptedToken?: string;
  /** `origin`: the fake's git-over-HTTP URL (default) or the bare repository's path. */
  remote?: 'http' | 'path';
  /** Leave `repository` out of the config: it is read from origin's URL. */
  repositoryFromRemote?: boolean;
  files?: Record<string, string>;
  maxPerPage?: number;
  driver?: (workspaces: string) => SandboxDriver;
}

/** Builds a {@link GitHubWorld}; call `close()` in afterEach. */
export async function createWorld(options: WorldOptions = {}): Promise<GitHubWorld> {
  const project = createProject({
    'README.md': '# analytics\n',
    'models/orders.sql': ORDERS,
    '.agentry/agents/tester.yml': 'name: tester\n',
    ...options.files,
  });
  const bare = join(dirname(project.root), 'remote.git');
  const git = (cwd: string, ...args: string[]) =>
    execFileSync('git', args, { cwd, encoding: 'utf8', stdio: 'pipe' }).trimEnd();
  git(dirname(project.root), 'init', '--bare', '--quiet', '--initial-branch=main', bare);
  git(project.root, 'push', '--quiet', bare, 'main');

  const github = await startFakeGitHub({
    repos: { [REPOSITORY]: { bare } },
    token: options.acceptedToken ?? TOKEN,
    maxPerPage: options.maxPerPage,
  });
  const origin = options.remote === 'path' ? bare : github.gitUrl(REPOSITORY);
  git(project.root, 'remote', 'add', 'origin', origin);

  const runId = `01JTEST${randomBytes(5).toString('hex').toUpperCase()}`;
  const driver =
    options.driver?.(project.workspaces) ??
    new LocalSandboxDriver({ workspaceRoot: project.workspaces, limits: TEST_LIMITS });
  let sandbox: Sandbox;
  try {
    sandbox = await driver.provision({ runId, repoRoot: project.root });
  } catch (error) {
    await github.close();
    project.cleanup();
    throw error;
  }
  const token = options.token === undefined ? TOKEN : options.token;
  const context = makeToolContext(sandbox.session.root, {
    runId,
    agent: 'tester',
    projectRoot: project.root,
    session: sandbox.session,
    env: token === null ? {} : { GITHUB_TOKEN: token },
    config: configSchema.parse({
      integrations: {
        github: {
          api_url: github.url,
          token_env: 'GITHUB_TOKEN',
          ...(options.repositoryFromRemote ? {} : { repository: REPOSITORY }),
          ...options.github,
        },
      },
    }),
  });
  const root = sandbox.session.root;
  return {
    project,
    bare,
    github,
    sandbox,
    context,
    runId,
    root,
    write(path, content) {
      const file = join(root, path);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, content);
    },
    remote: (...args) => git(bare, ...args),
    workspace: (...args) => git(root, ...args),
    async close() {
      await context.resources.closeAll();
      await sandbox.destroy();
      await github.close();
      await cleanupProject(project);
    },
  };
}

/** Runs a tool as the executor does: input through its schema. */
export async function call<Input>(
  tool: ToolDefinition<Input>,
  input: unknown,
  context: ToolContext,
): Promise<ToolResult & { json: Record<string, unknown> }> {
  const result = await tool.execute(tool.inputSchema.parse(input), context);
  expect(typeof result.output).toBe('object');
  return { ...result, json: result.output as Record<string, unknown> };
}

/** Runs a tool whose output is text. */
export async function run<Input>(
  tool: ToolDefinition<Input>,
  input: unknown,
  context: ToolContext,
): Promise<ToolResult & { text: string }> {
  const result = await tool.execute(tool.inputSchema.parse(input), context);
  expect(typeof result.output).toBe('string');
  return { ...result, text: result.output as string };
}

/** The ToolError a call throws; fails the test when it succeeds or throws anything else. */
export async function failure<Input>(
  tool: ToolDefinition<Input>,
  input: unknown,
  context: ToolContext,
): Promise<ToolError> {
  const thrown = await tool.execute(tool.inputSchema.parse(input), context).then(
    (result) => new Error(`expected a ToolError, got: ${JSON.stringify(result.output).slice(0, 300)}`),
    (error: unknown) => error,
  );
  if (!(thrown instanceof ToolError)) throw thrown;
  return thrown;
}

/** Pushes a branch with one changed and one new file to the remote, as a person would. */
export function pushPersonBranch(world: GitHubWorld, branch: string, files: Record<string, string>): void {
  const clone = join(dirname(world.project.root), `person-${randomBytes(3).toString('hex')}`);
  const run = (...args: string[]) =>
    execFileSync('git', args, {
      cwd: clone,
      stdio: 'pipe',
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: 'A Person',
        GIT_AUTHOR_EMAIL: 'person@example.invalid',
        GIT_COMMITTER_NAME: 'A Person',
        GIT_COMMITTER_EMAIL: 'person@example.invalid',
      },
    });
  execFileSync('git', ['clone', '--quiet', world.bare, clone], { stdio: 'pipe' });
  run('checkout', '--quiet', '-b', branch);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(clone, path)), { recursive: true });
    writeFileSync(join(clone, path), content);
  }
  run('add', '-A');
  run('commit', '--quiet', '-m', `Change ${Object.keys(files).join(', ')}`);
  run('push', '--quiet', 'origin', branch);
}
