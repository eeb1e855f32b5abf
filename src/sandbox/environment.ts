/** PATH inside a sandbox: the system's directories, nothing from the worker's PATH. */
export const SANDBOX_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * The whole environment of a sandbox command. Built from nothing: the worker's environment,
 * where credentials live, never reaches a command. `extra` is `sandbox.env` of config.yml
 * (literal values, so nothing secret by construction).
 */
export function sandboxEnvironment(options: {
  home: string;
  tmp: string;
  workspace: string;
  runId: string;
  extra: Record<string, string>;
}): Record<string, string> {
  return {
    PATH: SANDBOX_PATH,
    HOME: options.home,
    TMPDIR: options.tmp,
    LANG: 'C.UTF-8',
    TERM: 'dumb',
    USER: 'agentry',
    LOGNAME: 'agentry',
    SHELL: '/bin/sh',
    // Commands run without a terminal: pagers and colours only get in the model's way.
    PAGER: 'cat',
    GIT_PAGER: 'cat',
    GIT_TERMINAL_PROMPT: '0',
    NO_COLOR: '1',
    AGENTRY_RUN_ID: options.runId,
    AGENTRY_WORKSPACE: options.workspace,
    ...options.extra,
  };
}
