import { describe, expect, it } from 'vitest';
import { matchCodeowners, parseCodeowners } from '../../src/tools/owners.js';

/** The example file of GitHub's CODEOWNERS documentation, rule for rule. */
const GITHUB_EXAMPLE = `# This is a comment.
# Each line is a file pattern followed by one or more owners.

# These owners will be the default owners for everything in
# the repo. Unless a later match takes precedence,
# @global-owner1 and @global-owner2 will be requested for
# review when someone opens a pull request.
*       @global-owner1 @global-owner2

# Order is important; the last matching pattern takes the most
# precedence. When someone opens a pull request that only
# modifies JS files, only @js-owner and not the global
# owner(s) will be requested for a review.
*.js    @js-owner #This is an inline comment.

# You can also use email addresses if you prefer. They'll be
# used to look up users just like we do for commit author
# emails.
*.go docs@example.com

# Teams can be specified as code owners as well. Teams should
# be identified in the format @org/team-name. Teams must have
# explicit write access to the repository. In this example,
# the octocats team in the octo-org organization owns all .txt files.
*.txt @octo-org/octocats

# In this example, @doctocat owns any files in the build/logs
# directory at the root of the repository and any of its
# subdirectories.
/build/logs/ @doctocat

# The \`docs/*\` pattern will match files like
# \`docs/getting-started.md\` but not further nested files like
# \`docs/build-app/troubleshooting.md\`.
docs/*  docs@example.com

# In this example, @octocat owns any file in an apps directory
# anywhere in your repository.
apps/ @octocat

# In this example, @doctocat owns any file in the \`/docs\`
# directory in the root of your repository and any of its
# subdirectories.
/docs/ @doctocat

# In this example, any change inside the \`/scripts\` directory
# will require approval from @doctocat or @octocat.
/scripts/ @doctocat @octocat

# In this example, @octocat owns any file in a \`/logs\` directory such as
# \`/build/logs\`, \`/scripts/logs\`, and \`/deeply/nested/logs\`. Any changes
# in a \`/logs\` directory will require approval from @octocat.
**/logs @octocat

# In this example, @octocat owns any file in the \`/apps\`
# directory in the root of your repository except for the \`/apps/github\`
# subdirectory, as its owners are left empty. Without an owner, changes
# to \`apps/github\` can be made with the approval of any user who has
# write access to the repository.
/apps/ @octocat
/apps/github

# In this example, @octocat owns any file in the \`/apps\`
# directory in the root of your repository except for the \`/apps/github\`
# subdirectory, as this subdirectory has its own owner @doctocat
/apps/ @octocat
/apps/github @doctocat
`;

function ownersOf(text: string, file: string): string[] | undefined {
  return matchCodeowners(parseCodeowners(text), file).rule?.owners;
}

describe("CODEOWNERS with GitHub's documented semantics", () => {
  const codeowners = parseCodeowners(GITHUB_EXAMPLE);
  const owners = (file: string) => matchCodeowners(codeowners, file).rule?.owners;

  it('reads every rule of the documented example and skips comments, inline ones too', () => {
    expect(codeowners.problems).toEqual([]);
    expect(codeowners.rules.map((rule) => rule.pattern)).toEqual([
      '*',
      '*.js',
      '*.go',
      '*.txt',
      '/build/logs/',
      'docs/*',
      'apps/',
      '/docs/',
      '/scripts/',
      '**/logs',
      '/apps/',
      '/apps/github',
      '/apps/',
      '/apps/github',
    ]);
    expect(codeowners.rules[1]?.owners).toEqual(['@js-owner']);
  });

  it('lets the last matching rule win', () => {
    expect(owners('README.md')).toEqual(['@global-owner1', '@global-owner2']);
    expect(owners('src/index.js')).toEqual(['@js-owner']);
    expect(owners('cmd/main.go')).toEqual(['docs@example.com']);
    expect(owners('notes/todo.txt')).toEqual(['@octo-org/octocats']);
  });

  it('anchors patterns with a leading slash to the root and includes subdirectories', () => {
    // In the full example, the later **/logs rule takes build/logs over.
    expect(owners('build/logs/today.md')).toEqual(['@octocat']);
    expect(ownersOf('* @all\n/build/logs/ @doctocat\n', 'build/logs/today.md')).toEqual(['@doctocat']);
    expect(ownersOf('* @all\n/build/logs/ @doctocat\n', 'build/logs/2024/01/today.md')).toEqual([
      '@doctocat',
    ]);
    expect(ownersOf('* @all\n/build/logs/ @doctocat\n', 'src/build/logs/today.md')).toEqual(['@all']);
    // A trailing slash matches only what is inside a directory, not a file of that name.
    expect(ownersOf('* @all\n/build/logs/ @doctocat\n', 'build/logs')).toEqual(['@all']);
    expect(owners('scripts/deploy.sh')).toEqual(['@doctocat', '@octocat']);
    // A nested scripts/ is not /scripts/.
    expect(owners('tools/scripts/deploy.sh')).toEqual(['@global-owner1', '@global-owner2']);
  });

  it('matches docs/* only for files directly in docs/ (later /docs/ rule aside)', () => {
    const onlyStar = parseCodeowners('* @all\ndocs/* docs@example.com\n');
    expect(matchCodeowners(onlyStar, 'docs/getting-started.md').rule?.owners).toEqual(['docs@example.com']);
    expect(matchCodeowners(onlyStar, 'docs/build-app/troubleshooting.md').rule?.owners).toEqual(['@all']);
  });

  it('matches a directory pattern without a leading slash at any depth', () => {
    expect(owners('deep/apps/x/y.py')).toEqual(['@octocat']);
    expect(owners('scripts/logs/run.log')).toEqual(['@octocat']);
    expect(owners('deeply/nested/logs/a/b.log')).toEqual(['@octocat']);
  });

  it('gives an empty owner list when a later rule names nobody', () => {
    const unowned = parseCodeowners('/apps/ @octocat\n/apps/github\n');
    const result = matchCodeowners(unowned, 'apps/github/main.rb');
    expect(result.rule?.owners).toEqual([]);
    expect(result.rule?.line).toBe(2);
    expect(result.matching.map((rule) => rule.line)).toEqual([1, 2]);
    expect(owners('apps/github/main.rb')).toEqual(['@doctocat']);
    expect(owners('apps/other/main.rb')).toEqual(['@octocat']);
  });
});

describe('CODEOWNERS edge cases', () => {
  it('is case-sensitive and matches ? as one character, not a slash', () => {
    expect(ownersOf('/Models/ @a\n', 'models/x.sql')).toBeUndefined();
    expect(ownersOf('/Models/ @a\n', 'Models/x.sql')).toEqual(['@a']);
    expect(ownersOf('file?.sql @a\n', 'models/file1.sql')).toEqual(['@a']);
    expect(ownersOf('a?b @a\n', 'a/b')).toBeUndefined();
  });

  it('does not let * cross a directory, but ** does', () => {
    expect(ownersOf('/models/*.sql @a\n', 'models/orders.sql')).toEqual(['@a']);
    expect(ownersOf('/models/*.sql @a\n', 'models/marts/orders.sql')).toBeUndefined();
    expect(ownersOf('/models/**/*.sql @a\n', 'models/marts/finance/orders.sql')).toEqual(['@a']);
    expect(ownersOf('/models/**/*.sql @a\n', 'models/orders.sql')).toEqual(['@a']);
    expect(ownersOf('models/** @a\n', 'models/marts/orders.sql')).toEqual(['@a']);
    expect(ownersOf('models/** @a\n', 'other/models/orders.sql')).toBeUndefined();
  });

  it('treats a pattern with a middle slash as anchored, and a bare name as any depth', () => {
    expect(ownersOf('models/marts @a\n', 'models/marts/orders.sql')).toEqual(['@a']);
    expect(ownersOf('models/marts @a\n', 'dbt/models/marts/orders.sql')).toBeUndefined();
    expect(ownersOf('marts @a\n', 'dbt/models/marts/orders.sql')).toEqual(['@a']);
    expect(ownersOf('orders.sql @a\n', 'dbt/models/marts/orders.sql')).toEqual(['@a']);
  });

  it('reads escaped spaces and an escaped leading #', () => {
    expect(ownersOf('/my\\ models/ @a\n', 'my models/x.sql')).toEqual(['@a']);
    expect(ownersOf('\\#notes.md @a\n', '#notes.md')).toEqual(['@a']);
  });

  it('skips lines GitHub rejects, and says why', () => {
    const parsed = parseCodeowners('* @all\n!secret.txt @nobody\n[ab].sql @c\n*.py not-an-owner\n  \n');
    expect(parsed.rules.map((rule) => rule.line)).toEqual([1]);
    expect(parsed.problems).toEqual([
      { line: 2, text: '!secret.txt @nobody', reason: 'negation (!) is not supported in CODEOWNERS' },
      { line: 3, text: '[ab].sql @c', reason: 'character ranges ([ ]) are not supported in CODEOWNERS' },
      { line: 4, text: '*.py not-an-owner', reason: '"not-an-owner" is not a @user, @org/team or email' },
    ]);
  });

  it('handles Windows line endings and paths given with ./ or a leading slash', () => {
    const parsed = parseCodeowners('* @all\r\n/models/ @dbt\r\n');
    expect(matchCodeowners(parsed, './models/a.sql').rule?.owners).toEqual(['@dbt']);
    expect(matchCodeowners(parsed, '/models/a.sql').rule?.owners).toEqual(['@dbt']);
  });

  it('matches nothing in an empty file', () => {
    expect(matchCodeowners(parseCodeowners(''), 'a.sql')).toEqual({ rule: undefined, matching: [] });
  });
});
