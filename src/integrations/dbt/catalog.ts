import { asRecord, asString } from './json-values.js';
import { type DbtArtifactMetadata, readArtifactMetadata } from './schema-version.js';

/**
 * The compact form of catalog.json (`dbt docs generate`): the columns the warehouse really has,
 * per node. The manifest knows only the columns written in YAML; the catalog finds the rest.
 */
export interface DbtCatalogData {
  metadata: DbtArtifactMetadata;
  /** Columns per unique id (models, seeds, snapshots and sources), in warehouse order. */
  nodes: Record<string, DbtCatalogColumn[]>;
}

/** Version of {@link DbtCatalogData}'s shape. */
export const CATALOG_DATA_FORMAT = 1;

/** A column as the warehouse reports it. */
export interface DbtCatalogColumn {
  name: string;
  type?: string;
}

/** Builds the compact form from a parsed catalog.json. */
export function buildCatalogData(raw: unknown, shownPath: string): DbtCatalogData {
  const metadata = readArtifactMetadata(raw, 'catalog', shownPath);
  const document = asRecord(raw)!;
  const nodes: Record<string, DbtCatalogColumn[]> = {};
  for (const section of ['nodes', 'sources']) {
    for (const [key, value] of Object.entries(asRecord(document[section]) ?? {})) {
      const entry = asRecord(value);
      const uniqueId = asString(entry?.['unique_id']) ?? key;
      nodes[uniqueId] = toColumns(asRecord(entry?.['columns']));
    }
  }
  return { metadata, nodes };
}

function toColumns(columns: Record<string, unknown> | undefined): DbtCatalogColumn[] {
  if (!columns) return [];
  return Object.entries(columns)
    .map(([key, value]) => {
      const column = asRecord(value);
      const index = column?.['index'];
      return {
        name: asString(column?.['name']) ?? key,
        type: asString(column?.['type']),
        index: typeof index === 'number' ? index : Number.MAX_SAFE_INTEGER,
      };
    })
    .sort((a, b) => a.index - b.index)
    .map(({ name, type }) => ({ name, type }));
}

/** A loaded catalog.json. */
export class DbtCatalog {
  readonly metadata: DbtArtifactMetadata;

  constructor(readonly data: DbtCatalogData) {
    this.metadata = data.metadata;
  }

  /** Parses a catalog.json already read by `JSON.parse`. */
  static fromJson(raw: unknown, shownPath: string): DbtCatalog {
    return new DbtCatalog(buildCatalogData(raw, shownPath));
  }

  /** The warehouse's columns of a node; undefined when the catalog does not know the node. */
  columnsOf(uniqueId: string): readonly DbtCatalogColumn[] | undefined {
    return this.data.nodes[uniqueId];
  }
}
