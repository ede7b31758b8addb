/**
 * The caps the zip reader enforces before it allocates anything a member declares.
 *
 * Keras refuses a member over 4 GiB that claims to expand more than 100x; these defaults are
 * stricter (the ratio applies from 64 MiB) and add absolute caps, so a lying header costs a
 * typed error, never an allocation.
 */
export interface ZipLimits {
  /**
   * Largest uncompressed size of one member, in bytes. Default 4 GiB - 1 (one typed array) for
   * deflated members; stored members are bounded by the file itself unless you set a lower cap.
   */
  readonly maxMemberSize: number;
  /** Largest sum of the uncompressed sizes of all members. Default 16 GiB. */
  readonly maxTotalSize: number;
  /** Largest uncompressed / compressed ratio of a deflated member above `expansionFloor`. Default 100. */
  readonly maxExpansion: number;
  /** Members up to this uncompressed size are not held to `maxExpansion`. Default 64 MiB. */
  readonly expansionFloor: number;
  /** Most members an archive may list. Default 65,536. */
  readonly maxEntries: number;
}

/** The default caps; merge your own over them. */
export const defaultZipLimits: Readonly<ZipLimits> = Object.freeze({
  maxMemberSize: 2 ** 32 - 1,
  maxTotalSize: 2 ** 34,
  maxExpansion: 100,
  expansionFloor: 64 * 2 ** 20,
  maxEntries: 65_536,
});
