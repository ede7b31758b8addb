export {
  type CustomObjectScopeOptions,
  currentScope,
  customObjectScope,
  openScopes,
  scopedObjects,
} from "./custom-object-scope.js";
export { RegistryError, type RegistryErrorCode } from "./errors.js";
export { type ObjectKind, kindLabel, objectKinds } from "./kinds.js";
export {
  type RegisterSerializableOptions,
  type SerializableDecorator,
  registerSerializable,
  registerSerializableDefaults,
  registerSerializableEntry,
} from "./register-serializable.js";
export {
  type CreateRegistryOptions,
  type CustomObjects,
  type LookupQuery,
  type RegisterOptions,
  type RegistrableValue,
  type Registry,
  type RegistryEntry,
  builtinRegistry,
  createRegistry,
  customObjectEntries,
  defaultRegistry,
} from "./registry.js";
