/** Types of the parts of snappyjs (no bundled types) this project uses. */
declare module "snappyjs" {
  /** Snappy block-format decompression; throws on an invalid stream or a length over `maxLength`. */
  export function uncompress<T extends Uint8Array | ArrayBuffer>(
    compressed: T,
    maxLength?: number,
  ): T;
  /** Snappy block-format compression. */
  export function compress<T extends Uint8Array | ArrayBuffer>(uncompressed: T): T;
}
