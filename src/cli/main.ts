#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { describeError, isAgentryError } from '../errors.js';
import { auditExportCommand, auditVerifyCommand } from './commands/audit.js';
import { demoCommand } from './commands/demo.js';
import { initCommand } from './commands/init.js';
import { registerKeysCommand } from './commands/keys.js';
import { replyCommand, runCommand } from './commands/run.js';
import { cancelCommand, listRunsCommand, logsCommand, showRunCommand } from './commands/runs.js';
import { schemaCommand } from './commands/schema.js';
import { registerServeCommand } from './commands/serve.js';
import { registerTriggersCommand } from './commands/triggers.js';
import { validateCommand } from './commands/validate.js';
import { type Io, processIo } from './io.js';

/** The `agentry` command line. Each action resolves to an exit code. */
export function buildProgram(io: Io, setExitCode: (code: number) => void): Command {
  const program = new Command('agentry')
    .description(
      'Agents as code for data engineering: YAML agents, sandboxed runs, a verifiable audit trail.',
    )
    .version('0.1.0')
    .showSuggestionAfterError()
    .exitOverride();
  const act =
    <Args extends unknown[]>(action: (...args: Args) => Promise<number> | number) =>
    async (...args: Args) =>
      setExitCode(await action(...args));
  const projectOption = [
    '-C, --project <dir>',
    'the project root (default: nearest directory with .agentry/)',
  ] as const;

  program
    .command('init')
    .description('scaffold .agentry/ with a config, an example agent and JSON Schemas')
    .option('--dir <dir>', 'where to create .agentry/ (default: current directory)')
    .option('--force', 'overwrite an existing scaffold (with --with: replace existing agent files)')
    .option(
      '--with [names...]',
      'copy reference agents and their squads (e.g. incident-commander,pr-reviewer) into .agentry/agents/; no names: list them',
    )
    .option('--list', 'list the reference agents and stop')
    .action(act((options) => initCommand(options, io)));

  program
    .command('validate')
    .description('check config.yml and every agent; print file:line:col: message per problem (exit 1 if any)')
    .option(...projectOption)
    .option('--json', 'print the result as JSON')
    .action(act((options) => validateCommand(options, io)));

  program
    .command('schema')
    .description("print the JSON Schema of an agent file ('agent', the default) or of config.yml ('config')")
    .argument('[kind]', 'agent | config')
    .action(act((kind: string | undefined) => schemaCommand(kind, io)));

  program
    .command('run')
    .description(
      'run an agent: live progress on stderr, the answer on stdout (exit 0 completed, 1 failed, 130 cancelled)',
    )
    .argument('<agent>', 'the agent name (.agentry/agents/NAME.yml)')
    .option('-m, --message <text>', 'what the agent should do')
    .option('--base-ref <ref>', 'the commit, branch or tag the workspace is made from (default: HEAD)')
    .option('--json', 'print the whole run (record, events, messages) as JSON on stdout')
    .option('-q, --quiet', 'no progress on stderr')
    .option(...projectOption)
    .action(act((agent: string, options) => runCommand(agent, options, io)));

  const runs = program.command('runs').description('inspect and steer runs');
  runs
    .command('list')
    .description('recent runs, newest first')
    .option('--agent <name>', 'only this agent')
    .option('--status <status>', 'PENDING | RUNNING | COMPLETED | FAILED | CANCELLED')
    .option('--limit <n>', 'at most this many', '20')
    .option('--json', 'as JSON')
    .option(...projectOption)
    .action(act((options) => listRunsCommand(options, io)));
  runs
    .command('show')
    .description('one run: status, failure, usage, output')
    .argument('<run>', 'run id')
    .option('--json', 'the whole run as JSON')
    .option(...projectOption)
    .action(act((runId: string, options) => showRunCommand(runId, options, io)));
  runs
    .command('logs')
    .description("a run's audit trail, readable or as JSON lines")
    .argument('<run>', 'run id')
    .option('-f, --follow', 'keep printing until the run ends')
    .option('-v, --verbose', 'every event with its payload')
    .option('--json', 'JSON lines')
    .option(...projectOption)
    .action(act((runId: string, options) => logsCommand(runId, options, io)));
  runs
    .command('cancel')
    .description('stop a run (from any terminal) and wait until it has stopped')
    .argument('<run>', 'run id')
    .option('--wait <seconds>', 'how long to wait for it to stop', '30')
    .option(...projectOption)
    .action(act((runId: string, options) => cancelCommand(runId, options, io)));
  runs
    .command('reply')
    .description('continue a finished run with a follow-up message (a new turn)')
    .argument('<run>', 'run id')
    .option('-m, --message <text>', 'the follow-up')
    .option('--json', 'print the whole run as JSON on stdout')
    .option('-q, --quiet', 'no progress on stderr')
    .option(...projectOption)
    .action(act((runId: string, options) => replyCommand(runId, options, io)));

  const audit = program.command('audit').description("prove a run's audit trail was not altered");
  audit
    .command('verify')
    .description(
      'recompute hash chains and check runs, messages and artifacts against them: exit 0 when intact, 1 naming what was changed',
    )
    .argument('[runs...]', 'run ids')
    .option('--all', 'every run in the store, the store-wide ledger, and runs deleted from it')
    .option('--anchor <count:hash>', "with --all: a ledger head an earlier 'audit verify --all' printed")
    .option(...projectOption)
    .action(act((runIds: string[], options) => auditVerifyCommand(runIds, options, io)));
  audit
    .command('export')
    .description("a run's trail as JSON lines with hashes")
    .argument('<run>', 'run id')
    .option(...projectOption)
    .action(act((runId: string, options) => auditExportCommand(runId, options, io)));

  program
    .command('demo')
    .description(
      'the incident-commander demo on the bundled jaffle_shop project: a failed DAG in, a Slack report out (scripted model unless --model-url)',
    )
    .option('--agent <name>', "another reference agent's scenario (see --list)", 'incident-commander')
    .option('--list', 'list the scenarios')
    .option('--dir <dir>', 'where to put the example repository (default: a new temp dir)')
    .option('--model-url <url>', 'an OpenAI-compatible endpoint, e.g. http://127.0.0.1:11434/v1')
    .option('--model <name>', 'the model at --model-url', 'llama3.1')
    .action(act((options) => demoCommand(options, io)));

  registerServeCommand(program, io, act);
  registerKeysCommand(program, io, act);
  registerTriggersCommand(program, io, act);

  return program;
}

async function main(argv: string[]): Promise<number> {
  const io = processIo();
  let exitCode = 0;
  const program = buildProgram(io, (code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    if (isAgentryError(error)) {
      io.err(`agentry: ${error.message}`);
      return error.kind === 'user' ? 1 : 2;
    }
    io.err(`agentry: internal error: ${describeError(error)}`);
    if (process.env.AGENTRY_DEBUG) console.error(error);
    return 2;
  }
}

process.exitCode = await main(process.argv);
