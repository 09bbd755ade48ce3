export * from './frames.ts'
export { LengthPrefixDecoder, encodeJsonFrame, decodeJsonFrame } from './json-codec.ts'
