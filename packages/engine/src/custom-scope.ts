// The one customObjectScope is @kerastore/registry's (async-safe, scopes are registry values);
// the engine reads the open scopes from there when it deserializes.
export { customObjectScope, openScopes, scopedObjects } from "@kerastore/registry";
