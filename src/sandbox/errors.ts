import { AgentryError } from '../errors.js';

/** The project cannot be turned into a workspace: not a git repository, unknown ref. */
export class WorkspaceError extends AgentryError {
  readonly code = 'sandbox.workspace';
  readonly kind = 'user' as const;
}

/** Making or removing a sandbox failed for a reason the user did not cause. */
export class SandboxError extends AgentryError {
  readonly code = 'sandbox.failed';
  readonly kind = 'system' as const;
}
