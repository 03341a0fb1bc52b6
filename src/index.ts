/**
 * The library entry of `bedrock-key-security`: offline key decoding and leak hunting (what
 * `bks decode-key` and `bks find-keys` run). The CDK constructs are `bedrock-key-security/cdk`.
 *
 *   import { decodeKey, findKeys, findKeysInPaths } from 'bedrock-key-security';
 */
export {
  type DecodedKey,
  type DecodeOptions,
  decodeKey,
  type Finding,
  type FindingLocation,
  type FindKeysOptions,
  type FindKeysResult,
  findKeys,
  findKeysInPaths,
  KeyDecodeError,
  type KeyMatch,
  type LongTermKey,
  type ShortTermKey,
  secretFingerprint,
  toSarif,
} from './keys';
export { type KeyBearingService, SERVICES, type ServiceId } from './services';
