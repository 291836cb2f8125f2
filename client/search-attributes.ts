/**
 * Registering prefloop's search attributes on a server that was not started by `prefloop server` (a production
 * cluster, a dev server started by hand). Idempotent: attributes that exist are left alone.
 */
import type { Connection } from '@temporalio/client';
import { SearchAttributeType } from '@temporalio/common';
import { PREFLOOP_SEARCH_ATTRIBUTES } from '../workflows/search-attributes';

/** temporal.api.enums.v1.IndexedValueType (KEYWORD = 2, INT = 3, DOUBLE = 4); @temporalio/proto is not a direct dependency. */
const INDEXED: Partial<Record<SearchAttributeType, number>> = {
  [SearchAttributeType.KEYWORD]: 2,
  [SearchAttributeType.INT]: 3,
  [SearchAttributeType.DOUBLE]: 4,
};

/** Adds the missing ones; returns their names (empty when all were there). */
export async function ensureSearchAttributes(connection: Connection, namespace = 'default'): Promise<string[]> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const missing = PREFLOOP_SEARCH_ATTRIBUTES.filter((key) => !(key.name in (existing.customAttributes ?? {})));
  if (missing.length === 0) return [];
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(missing.map((key) => [key.name, INDEXED[key.type]!])) as never,
  });
  return missing.map((key) => key.name);
}
