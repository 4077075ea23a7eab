/** Server-side apply and managedFields: field sets, the typed view of objects, and the field manager. */
export { FieldSet, FieldSetDecodeError } from './field-set.js';
export { comparePE, parsePE, pathString, serializePE, fieldPE, keyPE } from './path.js';
export type { Path, PathElement } from './path.js';
export { kindType, structType } from './schema.js';
export type { StructType, TypeRef } from './schema.js';
export { compare, merge, removeItems, toFieldSet, TypedError } from './typed.js';
export { applyConfig, ConflictsError, updateOwnership } from './updater.js';
export type { ManagedFields, VersionedSet, Conflict } from './updater.js';
export { conflictStatus, decodeManagedFields, encodeManagedFields, isResetManagedFields, managerIdentifier, printManager } from './managed-fields.js';
export type { ManagedFieldsEntry, Managed } from './managed-fields.js';
export { applyPatch, LAST_APPLIED_ANNOTATION, managerFromUserAgent, recordUpdate } from './field-manager.js';
export type { FieldManagerScope } from './field-manager.js';
