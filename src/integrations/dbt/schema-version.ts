import { DbtArtifactInvalidError, type DbtArtifactKindName } from './errors.js';
import { asRecord, asString } from './json-values.js';

/**
 * Schema versions each artifact is tested against. Others load on a best-effort basis (the
 * fields we read have been stable since dbt 1.0) and the tools say so.
 */
export const TESTED_SCHEMA_VERSIONS: Record<DbtArtifactKindName, { min: number; max: number }> = {
  manifest: { min: 8, max: 12 },
  'run-results': { min: 4, max: 6 },
  catalog: { min: 1, max: 1 },
};

/** Where and when an artifact was written, from its `metadata` block. */
export interface DbtArtifactMetadata {
  /** `12` for `https://schemas.getdbt.com/dbt/manifest/v12.json`. */
  schemaVersion: number;
  dbtVersion?: string;
  generatedAt?: string;
  invocationId?: string;
  /** Set when the schema version is outside {@link TESTED_SCHEMA_VERSIONS}. */
  note?: string;
}

const SCHEMA_URL = /\/(manifest|run-results|catalog)\/v(\d+)\.json$/;

/**
 * Reads the artifact's metadata and checks it is the artifact we expect (a run_results.json
 * handed over as the manifest fails here, clearly).
 */
export function readArtifactMetadata(
  raw: unknown,
  artifact: DbtArtifactKindName,
  shownPath: string,
): DbtArtifactMetadata {
  const metadata = asRecord(asRecord(raw)?.['metadata']);
  const url = asString(metadata?.['dbt_schema_version']);
  const match = url ? SCHEMA_URL.exec(url) : null;
  if (!metadata || !match) {
    throw new DbtArtifactInvalidError(artifact, shownPath, 'it has no metadata.dbt_schema_version');
  }
  const [, found, version] = match;
  if (found !== artifact) {
    throw new DbtArtifactInvalidError(artifact, shownPath, `it is a dbt ${found}, not a ${artifact}`);
  }
  const schemaVersion = Number(version);
  const tested = TESTED_SCHEMA_VERSIONS[artifact];
  const outside = schemaVersion < tested.min || schemaVersion > tested.max;
  return {
    schemaVersion,
    dbtVersion: asString(metadata['dbt_version']),
    generatedAt: asString(metadata['generated_at']),
    invocationId: asString(metadata['invocation_id']),
    note: outside
      ? `${artifact} v${schemaVersion} is outside the versions Agentry is tested with (v${tested.min}–v${tested.max}): some fields may be missing`
      : undefined,
  };
}
