/**
 * dbt project intelligence from dbt's own artifacts: `manifest.json` (nodes, lineage, tests,
 * docs, owners), `run_results.json` (what failed) and `catalog.json` (the warehouse's columns),
 * loaded once and kept while the files are unchanged.
 */
export {
  type ArtifactLoadOptions,
  type ArtifactOrigin,
  catalogArtifact,
  DbtArtifactCache,
  type DbtArtifactKind,
  type LoadedArtifact,
  manifestArtifact,
  runResultsArtifact,
  sharedDbtArtifactCache,
} from './artifact-cache.js';
export { buildCatalogData, DbtCatalog, type DbtCatalogColumn, type DbtCatalogData } from './catalog.js';
export { DbtArtifactInvalidError, type DbtArtifactKindName, DbtArtifactNotFoundError } from './errors.js';
export {
  type LineageBranch,
  type LineageDirection,
  type LineageEdges,
  type LineageOptions,
  type LineageTree,
  lineageEdges,
  lineageTree,
} from './lineage.js';
export {
  type DbtLookup,
  DbtManifest,
  type DbtOwnerEvidence,
  displayName,
  isTest,
  stubNode,
} from './manifest.js';
export {
  buildManifestData,
  type DbtColumnRecord,
  type DbtDeclaredOwner,
  type DbtDisabledRecord,
  type DbtDocRecord,
  type DbtGroupRecord,
  type DbtManifestData,
  type DbtManifestMetadata,
  type DbtNodeRecord,
  formatPerson,
  type RawManifest,
  readRawManifest,
} from './manifest-data.js';
export {
  buildRunResultsData,
  type DbtRunResultRecord,
  DbtRunResults,
  type DbtRunResultsData,
  type DbtRunResultsMetadata,
  PROBLEM_STATUSES,
} from './run-results.js';
export { type DbtArtifactMetadata, TESTED_SCHEMA_VERSIONS } from './schema-version.js';
