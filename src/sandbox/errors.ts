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

/** config.yml asks for a driver this machine cannot run (bubblewrap missing or not permitted). */
export class SandboxUnavailableError extends AgentryError {
  readonly code = 'sandbox.unavailable';
  readonly kind = 'user' as const;
  constructor(
    readonly driver: string,
    readonly reason: string,
  ) {
    super(
      `sandbox.driver is ${driver} but it cannot run here (${reason}): install bubblewrap ('apt-get install bubblewrap') and allow user namespaces, or set sandbox.driver: auto in .agentry/config.yml`,
    );
  }
}

/** A file cannot be kept as an artifact: too large, not a regular file, a reserved name. */
export class ArtifactError extends AgentryError {
  readonly code = 'sandbox.artifact';
  readonly kind = 'user' as const;
}
