import { AgentryError } from '../../errors.js';

/** Which dbt artifact a message is about. */
export type DbtArtifactKindName = 'manifest' | 'run-results' | 'catalog';

const PRODUCED_BY: Record<DbtArtifactKindName, string> = {
  manifest: '`dbt compile`, `dbt build` or `dbt docs generate`',
  'run-results': '`dbt build`, `dbt run` or `dbt test`',
  catalog: '`dbt docs generate`',
};

const CONFIG_KEY: Record<DbtArtifactKindName, string> = {
  manifest: 'dbt.manifest',
  'run-results': 'dbt.run_results',
  catalog: 'dbt.catalog',
};

/** A dbt artifact (manifest.json, run_results.json, catalog.json) is missing. */
export class DbtArtifactNotFoundError extends AgentryError {
  readonly code = 'dbt.artifact-not-found';
  readonly kind = 'user' as const;
  constructor(
    readonly artifact: DbtArtifactKindName,
    /** Where it was looked for, as shown to the model (relative paths). */
    readonly lookedIn: readonly string[],
  ) {
    super(
      `no dbt ${artifact} found (looked at ${lookedIn.join(', ')}): it is written by ${PRODUCED_BY[artifact]}; ` +
        `run that in the dbt project, or set ${CONFIG_KEY[artifact]} in .agentry/config.yml`,
    );
  }
}

/** A dbt artifact exists but cannot be used: not JSON, not that artifact, cut short. */
export class DbtArtifactInvalidError extends AgentryError {
  readonly code = 'dbt.artifact-invalid';
  readonly kind = 'user' as const;
  constructor(
    readonly artifact: DbtArtifactKindName,
    readonly shownPath: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(
      `${shownPath} is not a usable dbt ${artifact} (${reason}): re-run ${PRODUCED_BY[artifact]} to write it again`,
      options,
    );
  }
}
