/**
 * Resource type operations behind `/v1/resource_type` (spec rest §7): the
 * indexer stores each type in its own tables and applies JSON Patches; this
 * module is the API's one entry point to it.
 */
export {
  createResourceType,
  deleteResourceType,
  findResourceType,
  getResourceType,
  listResourceTypes,
  patchResourceType,
  type ResourceType,
  resourceTypeToJSON,
} from "../../indexer/resource-type-store.js";
