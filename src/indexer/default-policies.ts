/**
 * The archive policies and rule `upgrade` creates on an empty indexer (spec
 * carbonara §2.5, rest §3.6): Carbonara's values, as lists.
 */

import type { ArchivePolicy } from "../carbonara/archive-policy.js";
import { DEFAULT_ARCHIVE_POLICIES as BY_NAME } from "../carbonara/archive-policy.js";

export { DEFAULT_ARCHIVE_POLICY_RULE } from "../carbonara/archive-policy-rule.js";

export const DEFAULT_ARCHIVE_POLICIES: readonly ArchivePolicy[] = Object.values(BY_NAME);
