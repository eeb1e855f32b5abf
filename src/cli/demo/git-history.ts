/**
 * The example's git history: three people, fixed dates, so `find_owner`, `git_log` and `git_blame`
 * tell the story and the commit hashes are the same on every machine. The files end as they are
 * in examples/jaffle-shop; earlier versions are derived from them here.
 *
 * - Alice Analyst sets the project up (stg_orders then left out orders without a user_id) and adds Agentry.
 * - Carol Chen (data platform) documents that filter, adds CODEOWNERS and dbt owners for staging.
 * - Bob Builder removes the filter so the new mobile checkout export's guest orders are kept.
 * - Carol adds the not_null test on stg_orders.customer_id the day before the first export lands.
 */
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ExampleProjectError } from './example-errors.js';

/** One commit of the example's history. */
export interface ExampleCommit {
  hash: string;
  author: string;
  email: string;
  /** ISO 8601 author date. */
  date: string;
  subject: string;
}

/** The people of the example's history. */
export const EXAMPLE_PEOPLE = {
  alice: { name: 'Alice Analyst', email: 'alice@jaffle.example' },
  bob: { name: 'Bob Builder', email: 'bob@jaffle.example' },
  carol: { name: 'Carol Chen', email: 'carol@jaffle.example' },
} as const;

type Person = (typeof EXAMPLE_PEOPLE)[keyof typeof EXAMPLE_PEOPLE];

interface Step {
  author: Person;
  date: string;
  message: string;
  /** Files to write before the commit, relative to the root. */
  write?: Record<string, string>;
  /** Pathspecs to stage. */
  add: string[];
}

const STG_ORDERS = 'models/staging/stg_orders.sql';
const STAGING_SCHEMA = 'models/staging/schema.yml';
const FILTER_COMMENT =
  '    -- Orders without a user_id are test orders keyed in at the till: they belong to no customer.\n';

/**
 * Makes `root` (the example's files, final versions, and a .gitignore) a git repository whose
 * history ends in exactly those files. Returns the commits, oldest first.
 */
export async function writeExampleHistory(root: string): Promise<ExampleCommit[]> {
  const finalOrders = await readFile(join(root, STG_ORDERS), 'utf8');
  const finalSchema = await readFile(join(root, STAGING_SCHEMA), 'utf8');
  const filtered = (comment: string) =>
    replaceOnce(
      finalOrders,
      '    from source\n\n)',
      `    from source\n${comment}    where user_id is not null\n\n)`,
      STG_ORDERS,
    );
  const withOwners = replaceOnce(
    finalSchema,
    '      - name: customer_id\n        tests:\n          - not_null\n',
    '',
    STAGING_SCHEMA,
  );
  const upstream = withOwners.replaceAll('    meta:\n      owner: data-platform@jaffle.example\n', '');
  const { alice, bob, carol } = EXAMPLE_PEOPLE;

  const steps: Step[] = [
    {
      author: alice,
      date: '2026-09-14T09:12:37+00:00',
      message:
        'jaffle_shop: the dbt project from dbt-labs/jaffle_shop_duckdb\n\n' +
        'Seeds, the staging views and the customers and orders marts, on DuckDB.\n' +
        'stg_orders leaves out orders without a user_id.',
      write: { [STG_ORDERS]: filtered(''), [STAGING_SCHEMA]: upstream },
      add: ['.', ':(exclude).agentry', ':(exclude)AGENTS.md', ':(exclude).github'],
    },
    {
      author: alice,
      date: '2026-10-06T14:30:12+00:00',
      message: 'Agentry: config and agents for the jaffle_shop project',
      add: ['.agentry', 'AGENTS.md'],
    },
    {
      author: carol,
      date: '2026-10-21T11:05:48+00:00',
      message: 'stg_orders: say why orders without a user_id are left out',
      write: { [STG_ORDERS]: filtered(FILTER_COMMENT) },
      add: [STG_ORDERS],
    },
    {
      author: carol,
      date: '2026-11-18T15:40:03+00:00',
      message:
        'CODEOWNERS and dbt owners for the staging models\n\n' +
        'The data platform team loads the raw exports and owns staging; analytics engineering owns the marts.',
      write: { [STAGING_SCHEMA]: withOwners },
      add: ['.github/CODEOWNERS', STAGING_SCHEMA],
    },
    {
      author: bob,
      date: '2026-12-02T16:42:19+00:00',
      message:
        'stg_orders: include orders from the mobile checkout export\n\n' +
        'The mobile checkout export goes live on 2026-12-03. It loads guest orders, which have no\n' +
        'user_id; keep them in staging so the marts count every order.',
      write: { [STG_ORDERS]: finalOrders },
      add: [STG_ORDERS],
    },
    {
      author: carol,
      date: '2026-12-03T10:05:55+00:00',
      message:
        'stg_orders: test that every order has a customer\n\n' +
        'customers and orders join on customer_id. Since the mobile checkout change, stg_orders keeps\n' +
        'orders without a user_id: fail the build before they reach the marts.',
      write: { [STAGING_SCHEMA]: finalSchema },
      add: [STAGING_SCHEMA],
    },
  ];

  await git(root, alice, steps[0]!.date, ['init', '--quiet', '--initial-branch=main']);
  for (const step of steps) {
    for (const [file, text] of Object.entries(step.write ?? {})) await writeFile(join(root, file), text);
    await git(root, step.author, step.date, ['add', '--all', '--', ...step.add]);
    await git(root, step.author, step.date, ['commit', '--quiet', '--no-verify', '-m', step.message]);
  }
  const log = await git(root, alice, steps[0]!.date, [
    'log',
    '--reverse',
    '--format=%H%x1f%an%x1f%ae%x1f%aI%x1f%s',
  ]);
  return log
    .trim()
    .split('\n')
    .map((line) => {
      const [hash = '', author = '', email = '', date = '', subject = ''] = line.split('\x1f');
      return { hash, author, email, date, subject };
    });
}

function replaceOnce(text: string, search: string, replacement: string, file: string): string {
  const at = text.indexOf(search);
  if (at < 0 || text.indexOf(search, at + 1) >= 0) {
    throw new ExampleProjectError(
      `examples/jaffle-shop/${file} changed: its history cannot be derived (expected ${JSON.stringify(search)} once)`,
    );
  }
  return text.slice(0, at) + replacement + text.slice(at + search.length);
}

/** Runs git in `root` as `person` at `date`, untouched by the user's hooks, signing or line-ending config. */
function git(root: string, person: Person, date: string, args: string[]): Promise<string> {
  const env = {
    ...process.env,
    GIT_AUTHOR_NAME: person.name,
    GIT_AUTHOR_EMAIL: person.email,
    GIT_AUTHOR_DATE: date,
    GIT_COMMITTER_NAME: person.name,
    GIT_COMMITTER_EMAIL: person.email,
    GIT_COMMITTER_DATE: date,
    GIT_TERMINAL_PROMPT: '0',
  };
  const settings = ['-c', 'commit.gpgsign=false', '-c', 'core.autocrlf=false', '-c', 'core.fsmonitor=false'];
  return new Promise((resolve, reject) => {
    execFile('git', [...settings, ...args], { cwd: root, env }, (error, stdout, stderr) => {
      if (!error) return resolve(stdout);
      const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
      reject(
        new ExampleProjectError(
          missing
            ? 'git is not installed: the example project is a git repository, install git and run again'
            : `git ${args[0]} failed in ${root}: ${stderr.trim() || error.message}`,
          { cause: error },
        ),
      );
    });
  });
}
