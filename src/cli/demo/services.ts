/**
 * Local stand-ins for the SaaS a scenario needs: the fakes `agentry/testing` ships, speaking the
 * real wire protocols, seeded with the scenario's fixtures. The production clients talk to them.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { Document } from 'yaml';
import {
  type FakeGitHub,
  type FakeLinear,
  type FakeLinearOptions,
  startFakeGitHub,
  startFakeLinear,
} from '../../testing/index.js';
import type { Scenario } from './scenario.js';

const execFileAsync = promisify(execFile);

const LINEAR_KEY_ENV = 'AGENTRY_DEMO_LINEAR_API_KEY';
const LINEAR_KEY = 'lin_api_agentry_demo_stand_in_key';
const GITHUB_TOKEN_ENV = 'AGENTRY_DEMO_GITHUB_TOKEN';
const GITHUB_TOKEN = 'ghp_agentry_demo_stand_in_token';
/** The example's repository on the GitHub stand-in. */
export const DEMO_REPOSITORY = 'jaffle-shop/jaffle_shop';

/** The stand-ins a scenario runs with. */
export interface ScenarioServices {
  /** What runs, for the demo's banner. */
  names: string[];
  /** Credentials of the stand-ins, for the engine's environment (and its redactor). */
  env: Record<string, string>;
  linear?: FakeLinear;
  github?: FakeGitHub;
  /** Comments the Linear stand-in was seeded with (not the run's). */
  linearSeedCommentIds?: string[];
  /** Point `.agentry/config.yml` at the stand-ins. */
  configure(config: Document): void;
  close(): Promise<void>;
}

export async function startScenarioServices(
  scenario: Scenario,
  paths: { projectDir: string; servicesDir: string },
): Promise<ScenarioServices> {
  const names: string[] = [];
  const env: Record<string, string> = {};
  const configurers: ((config: Document) => void)[] = [];
  const closers: (() => Promise<void>)[] = [];
  let linear: FakeLinear | undefined;
  let github: FakeGitHub | undefined;
  try {
    const pull = scenario.services.github?.pull_request;
    if (pull) {
      const bare = join(paths.servicesDir, 'jaffle_shop.git');
      await publish(paths.projectDir, bare);
      await pushBranch(bare, paths.servicesDir, pull);
      github = await startFakeGitHub({ repos: { [DEMO_REPOSITORY]: { bare } }, token: GITHUB_TOKEN });
      closers.push(() => github!.close());
      const seeded = await github.seedPullRequest({
        repository: DEMO_REPOSITORY,
        head: pull.branch,
        title: pull.title,
        body: pull.body,
        user: pull.author,
      });
      if (seeded.number !== pull.number) {
        throw new Error(`the GitHub stand-in opened #${seeded.number}, the scenario expects #${pull.number}`);
      }
      if (pull.merged) {
        await github.mergePullRequest(DEMO_REPOSITORY, pull.number);
        // The project is the team's clone: it has the merge, as a checkout after the merge would.
        await execFileAsync('git', ['pull', '--quiet', '--ff-only', 'origin', 'main'], {
          cwd: paths.projectDir,
        });
      }
      env[GITHUB_TOKEN_ENV] = GITHUB_TOKEN;
      const url = github.url;
      configurers.push((config) => {
        config.setIn(['integrations', 'github', 'api_url'], url);
        config.setIn(['integrations', 'github', 'token_env'], GITHUB_TOKEN_ENV);
        config.setIn(['integrations', 'github', 'repository'], DEMO_REPOSITORY);
      });
      names.push(
        `GitHub (a local stand-in at ${url}, ${DEMO_REPOSITORY} with PR #${pull.number}; origin is ${bare})`,
      );
    }
    if (scenario.services.linear) {
      linear = await startFakeLinear({
        ...(scenario.services.linear as Omit<FakeLinearOptions, 'apiKey'>),
        apiKey: LINEAR_KEY,
      });
      closers.push(() => linear!.close());
      env[LINEAR_KEY_ENV] = LINEAR_KEY;
      const url = linear.url;
      configurers.push((config) => {
        config.setIn(['integrations', 'linear', 'api_url'], url);
        config.setIn(['integrations', 'linear', 'token_env'], LINEAR_KEY_ENV);
      });
      names.push(`Linear (a local stand-in at ${url})`);
    }
  } catch (error) {
    for (const close of closers.reverse()) await close();
    throw error;
  }
  return {
    names,
    env,
    linear,
    github,
    linearSeedCommentIds: linear?.comments.map((comment) => comment.id),
    configure: (config) => {
      for (const each of configurers) each(config);
    },
    close: async () => {
      for (const close of closers.reverse()) await close().catch(() => undefined);
    },
  };
}

/** Make `bare` the project's `origin` and push its main branch there, as a team's GitHub repository. */
async function publish(projectDir: string, bare: string): Promise<void> {
  await mkdir(dirname(bare), { recursive: true });
  await execFileAsync('git', ['init', '--quiet', '--bare', '--initial-branch=main', bare]);
  await execFileAsync('git', ['remote', 'add', 'origin', bare], { cwd: projectDir });
  await execFileAsync('git', ['push', '--quiet', 'origin', 'HEAD:refs/heads/main'], { cwd: projectDir });
}

/** A person's change on a branch of `bare`: the pull request the scenario's agent reviews. */
async function pushBranch(
  bare: string,
  servicesDir: string,
  pull: { branch: string; files: Record<string, string>; commit_message: string; author: string },
): Promise<void> {
  const clone = await mkdtemp(join(servicesDir, 'pr-'));
  const env = {
    ...process.env,
    GIT_AUTHOR_NAME: pull.author,
    GIT_AUTHOR_EMAIL: `${pull.author}@jaffle.example`,
    GIT_COMMITTER_NAME: pull.author,
    GIT_COMMITTER_EMAIL: `${pull.author}@jaffle.example`,
  };
  const git = (...args: string[]) => execFileAsync('git', args, { cwd: clone, env });
  try {
    await execFileAsync('git', ['clone', '--quiet', bare, clone]);
    await git('checkout', '--quiet', '-b', pull.branch);
    for (const [path, content] of Object.entries(pull.files)) {
      await mkdir(dirname(join(clone, path)), { recursive: true });
      await writeFile(join(clone, path), content);
    }
    await git('add', '-A');
    await git('commit', '--quiet', '-m', pull.commit_message);
    await git('push', '--quiet', 'origin', pull.branch);
  } finally {
    await rm(clone, { recursive: true, force: true });
  }
}
