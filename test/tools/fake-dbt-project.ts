import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ToolContext } from '../../src/tools/tool.js';
import { makeToolContext } from '../helpers/tool-context.js';

/** Text only the file outside the workspace holds: no tool output may ever contain it. */
export const OUTSIDE_SECRET = 'TOP-SECRET-OUTSIDE-THE-WORKSPACE';

/** Text only `.git/config` holds: file tools must never show it. */
export const GIT_MARKER = 'GIT-INTERNALS-MARKER';

export const ORDERS_SQL = `with orders as (
    select * from {{ ref('stg_orders') }}
),

payments as (
    select * from {{ ref('stg_payments') }}
)

select
    orders.order_id,
    orders.customer_id,
    sum(payments.amount) as amount
from orders
left join payments using (order_id)
group by 1, 2
`;

export const SCHEMA_YML = `version: 2

models:
  - name: orders
    columns:
      - name: order_id
        tests:
          - unique
          - not_null
`;

/** A small dbt project in a temp dir, plus a directory outside it that holds a secret. */
export interface FakeDbtProject {
  /** The workspace root, a real path. */
  root: string;
  /** A directory outside the workspace, holding `secret.txt`. */
  outside: string;
  context(signal?: AbortSignal): ToolContext;
  cleanup(): Promise<void>;
}

/**
 * Builds:
 * models/orders.sql, models/schema.yml, models/staging/stg_orders.sql, models/Customers.sql,
 * seeds/data.parquet (binary), logs/big.log (5,000 lines), logs/wide.log (long lines),
 * many/ (1,000 files), a/b/c/d/e/f/g/deep.sql, .git/ (fake internals), node_modules/pkg/index.js,
 * target/huge.json (over 2 MB), links/ (passwd -> /etc/passwd, outside-dir -> outside,
 * secret -> outside/secret.txt, dangling-out -> outside/nope, inside -> ../models, git -> ../.git,
 * loop-a <-> loop-b).
 */
export async function createFakeDbtProject(): Promise<FakeDbtProject> {
  const root = await realpath(await mkdtemp(path.join(tmpdir(), 'agentry-ws-')));
  const outside = await realpath(await mkdtemp(path.join(tmpdir(), 'agentry-outside-')));
  const write = async (relative: string, content: string | Buffer) => {
    const file = path.join(root, relative);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, content);
  };

  await writeFile(path.join(outside, 'secret.txt'), `${OUTSIDE_SECRET}\n`);
  await mkdir(path.join(outside, 'sub'));
  await writeFile(path.join(outside, 'sub', 'inner.sql'), `select '${OUTSIDE_SECRET}'\n`);

  await write('dbt_project.yml', "name: jaffle_shop\nversion: '1.0'\nprofile: jaffle_shop\n");
  await write('models/orders.sql', ORDERS_SQL);
  await write('models/schema.yml', SCHEMA_YML);
  await write(
    'models/staging/stg_orders.sql',
    "select id as order_id, user_id as customer_id\nfrom {{ source('shop', 'orders') }}\n",
  );
  await write('models/Customers.sql', 'SELECT * FROM {{ ref("stg_customers") }}\n');
  await write('models/empty.sql', '');
  await write('models/crlf.sql', 'select 1\r\nfrom dual\r\n');
  await write('.agentry/agents/test-maintainer.yml', 'name: test-maintainer\n');
  await write('seeds/data.parquet', Buffer.from([0x50, 0x41, 0x52, 0x31, 0x00, 0x00, 0x15, 0x04, 0x00]));
  await write(
    'logs/big.log',
    Array.from({ length: 5000 }, (_, index) => `line ${index + 1} of the big log`).join('\n') + '\n',
  );
  await write(
    'logs/wide.log',
    Array.from({ length: 2000 }, (_, index) => `${index + 1}:${'x'.repeat(999)}`).join('\n'),
  );
  await write('logs/one-long-line.json', `{"a":"${'y'.repeat(10_000)}","needle":1}`);
  await write('a/b/c/d/e/f/g/deep.sql', 'select 42 as the_answer -- deep\n');
  await write('.git/config', `[core]\n\trepositoryformatversion = 0 ; ${GIT_MARKER}\n`);
  await write('.git/HEAD', 'ref: refs/heads/main\n');
  await write('node_modules/pkg/index.js', 'module.exports = "ref(\'stg_orders\')";\n');
  await write('target/huge.json', `{"ref('stg_orders')": "${'z'.repeat(2 * 1024 * 1024 + 10)}"}`);
  await mkdir(path.join(root, 'many'));
  await Promise.all(
    Array.from({ length: 1000 }, (_, index) =>
      writeFile(path.join(root, 'many', `file-${String(index).padStart(4, '0')}.txt`), `file ${index}\n`),
    ),
  );

  await mkdir(path.join(root, 'links'));
  await symlink('/etc/passwd', path.join(root, 'links', 'passwd'));
  await symlink(outside, path.join(root, 'links', 'outside-dir'));
  await symlink(path.join(outside, 'secret.txt'), path.join(root, 'links', 'secret'));
  await symlink(path.join(outside, 'nope'), path.join(root, 'links', 'dangling-out'));
  await symlink('../models', path.join(root, 'links', 'inside'));
  await symlink('../.git', path.join(root, 'links', 'git'));
  await symlink('loop-b', path.join(root, 'links', 'loop-a'));
  await symlink('loop-a', path.join(root, 'links', 'loop-b'));

  return {
    root,
    outside,
    // File tools touch only the session; the rest of the context is the shared test default.
    context: (signal = new AbortController().signal) =>
      makeToolContext(root, { runId: 'r1', agent: 'a', session: { root }, signal }),
    cleanup: async () => {
      await rm(root, { recursive: true, force: true });
      await rm(outside, { recursive: true, force: true });
    },
  };
}
