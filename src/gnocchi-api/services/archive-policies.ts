/**
 * Archive policy operations behind `/v1/archive_policy`: Carbonara resolves
 * and checks the definition, the indexer stores it.
 */
import {
  type ArchivePolicy,
  type ArchivePolicyItemInput,
  createArchivePolicy as buildArchivePolicy,
  updateArchivePolicyDefinition,
} from "../../carbonara/archive-policy.js";
import * as store from "../../indexer/archive-policy-store.js";
import type { SqlExecutor } from "../../indexer/driver.js";
import type { CreateArchivePolicyBody } from "../schemas/archive-policy.js";

export type { ArchivePolicy } from "../../carbonara/archive-policy.js";

/** Builds the policy a POST body describes and stores it. */
export async function createArchivePolicy(
  db: SqlExecutor,
  body: CreateArchivePolicyBody,
  defaultMethods: readonly string[],
): Promise<ArchivePolicy> {
  const policy = buildArchivePolicy(
    {
      name: body.name,
      ...(body.back_window === undefined ? {} : { back_window: body.back_window }),
      ...(body.aggregation_methods === undefined
        ? {}
        : { aggregation_methods: body.aggregation_methods }),
      definition: body.definition as ArchivePolicyItemInput[],
    },
    defaultMethods,
  );
  return store.createArchivePolicy(db, policy);
}

export const getArchivePolicy = store.getArchivePolicy;
export const findArchivePolicy = store.findArchivePolicy;
export const listArchivePolicies = store.listArchivePolicies;
export const deleteArchivePolicy = store.deleteArchivePolicy;

/** Replaces the definition of `policy` (same granularities, new points/timespans). */
export async function updateArchivePolicy(
  db: SqlExecutor,
  policy: ArchivePolicy,
  definition: readonly unknown[],
): Promise<ArchivePolicy> {
  const updated = updateArchivePolicyDefinition(policy, definition as ArchivePolicyItemInput[]);
  return store.updateArchivePolicy(db, policy.name, updated.definition);
}
