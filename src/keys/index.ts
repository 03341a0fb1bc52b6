/** Key decoding and leak hunting: the public surface of src/keys. */
export { type AccessKeyIdType, accessKeyIdForAccount, accountFromAccessKeyId } from './accountId';
export {
  type DecodedKey,
  type DecodeOptions,
  decodeKey,
  KeyDecodeError,
  type LongTermKey,
  parseLongTermAlias,
  type ShortTermKey,
  secretFingerprint,
  unwrapKeyText,
} from './decode';
export { buildShortTermKey, encodeLongTermKey, longTermAlias, type ShortTermKeyParts } from './encode';
export {
  DEFAULT_MAX_FILE_SIZE,
  type Finding,
  type FindingLocation,
  type FindKeysOptions,
  type FindKeysResult,
  findKeysInPaths,
} from './find';
export { KEY_FORMATS, type KeyFormat } from './formats';
export { partitionOfRegion } from './partition';
export { toSarif } from './sarif';
export { type BearerAssignment, findKeys, type KeyMatch, SCAN_PREFIXES, scanBytes, scanFile } from './scan';
