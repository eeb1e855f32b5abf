import { AgentryError } from '../errors.js';

/** A tool failed in a way the model can act on (file not found, bad pattern). The run goes on. */
export class ToolError extends AgentryError {
  readonly code: string;
  readonly kind = 'user' as const;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** A path argument points outside the run's workspace. */
export class PathEscapeError extends ToolError {
  constructor(readonly path: string) {
    super('tool.path-escape', `${path} is outside the workspace: use a path relative to the repository root`);
  }
}

/** The agent called a tool its YAML does not allow. Recorded as `tool-call.denied`. */
export class ToolDeniedError extends AgentryError {
  readonly code = 'tool.denied';
  readonly kind = 'user' as const;
  constructor(
    readonly tool: string,
    readonly agent: string,
    readonly known: boolean,
  ) {
    super(
      known
        ? `${agent} may not call ${tool}: add it to tools.list in .agentry/agents/${agent}.yml`
        : `there is no tool named ${tool}; call only the tools you were given`,
    );
  }
}
