import { AgentryError } from '../../errors.js';

/** The example project is laid out only in a new or empty directory, never over someone's files. */
export class ExampleDirectoryNotEmptyError extends AgentryError {
  readonly code = 'demo.directory-not-empty';
  readonly kind = 'user' as const;

  constructor(readonly dir: string) {
    super(`${dir} is not empty: give a new or empty directory for the example project (agentry demo --dir)`);
  }
}

/** Laying out the example failed: the bundled files are missing, git or DuckDB failed. */
export class ExampleProjectError extends AgentryError {
  readonly code = 'demo.example-failed';
  readonly kind = 'system' as const;
}
