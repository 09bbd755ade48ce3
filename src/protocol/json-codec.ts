/**
 * The structured wire format: each frame is an unsigned-varint length, then that many bytes of
 * UTF-8 JSON (the same prefix as it-length-prefixed and libp2p's lpStream). A MSG carries its text
 * after the JSON and a line feed, as raw UTF-8, so a large text is neither escaped nor parsed as JSON.
 * Pure: no streams, no timers.
 */
import { isAscii } from 'node:buffer'
import * as varint from 'uint8-varint'
import { Uint8ArrayList } from 'uint8arraylist'
import { NAME_PATTERN } from '../constants.ts'
import { InvalidFrameError } from '../errors.ts'
import { decodeDirect } from './direct-frames.ts'
import { ErrorCode, MemberState } from './frames.ts'
import type { Frame, MsgHeader } from './frames.ts'

const MAX_PREFIX_BYTES = 5
// ignoreBOM keeps a leading byte-order mark in the text, where JSON.parse refuses it (a body has no BOM).
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })
// Buffer's native string copies, used on plain Uint8Arrays: ASCII bytes become a string by a plain
// copy, and a string's UTF-8 is written without TextEncoder's extra pass (64 KiB: 3 µs against 6-11
// to decode, 1 against 3 to encode).
const latin1Slice = Buffer.prototype.latin1Slice
const utf8Write = Buffer.prototype.utf8Write

/**
 * Where a frame that arrived in pieces is joined. One per process, reused: the body is read before
 * `each` goes on, and a fresh 64 KiB buffer per frame cost about 4 µs more than the copy itself.
 */
let joined = new Uint8Array(0)

/** The list's one piece, or undefined when it has several (or none). */
function onlyPiece (list: Uint8ArrayList): Uint8Array | undefined {
  let only: Uint8Array | undefined
  for (const piece of list) {
    if (only !== undefined) return undefined
    only = piece
  }
  return only
}

/** Splits bytes into frame bodies, each at most `maxFrameBytes`. */
export class LengthPrefixDecoder {
  private readonly maxFrameBytes: number
  private readonly buffer = new Uint8ArrayList()

  constructor (maxFrameBytes: number) {
    this.maxFrameBytes = maxFrameBytes
  }

  /** The complete frame bodies in `chunk` and what came before it, as copies of their own. */
  push (chunk: Uint8Array | Uint8ArrayList): Uint8Array[] {
    const bodies: Uint8Array[] = []
    this.each(chunk, body => { bodies.push(body.slice()) })
    return bodies
  }

  /**
   * Hands over each body as soon as it is complete, so a bad frame cannot swallow earlier good ones.
   * A body is only valid until `onBody` returns: it may be a view of the input or of a shared buffer.
   */
  each (chunk: Uint8Array | Uint8ArrayList, onBody: (body: Uint8Array) => void): void {
    if (chunk instanceof Uint8Array) {
      this.eachIn(chunk, onBody)
      return
    }
    for (const piece of chunk) this.eachIn(piece, onBody)
  }

  /** Only a frame that straddles pieces is buffered; the whole frames within a piece are views of it. */
  private eachIn (bytes: Uint8Array, onBody: (body: Uint8Array) => void): void {
    let rest = this.buffer.byteLength > 0 ? this.finishPending(bytes, onBody) : bytes
    if (rest.byteLength === 0) return
    rest = this.eachWhole(rest, onBody)
    if (rest.byteLength === 0) return
    this.buffer.append(rest)
    // A bad prefix or an oversize frame fails as soon as its prefix is here, not when its body is.
    const prefix = this.prefixLength()
    if (prefix > 0) this.frameSize()
  }

  /** Completes the buffered frame from the front of `bytes` (or buffers all of them); returns what is left. */
  private finishPending (bytes: Uint8Array, onBody: (body: Uint8Array) => void): Uint8Array {
    let prefix = this.prefixLength()
    while (prefix === 0 && bytes.byteLength > 0) { // a split prefix: at most MAX_PREFIX_BYTES rounds
      this.buffer.append(bytes.subarray(0, 1))
      bytes = bytes.subarray(1)
      prefix = this.prefixLength()
    }
    if (prefix === 0) return bytes
    const size = this.frameSize()
    const missing = prefix + size - this.buffer.byteLength
    if (bytes.byteLength < missing) {
      this.buffer.append(bytes)
      return bytes.subarray(bytes.byteLength)
    }
    this.buffer.append(bytes.subarray(0, missing))
    const body = this.bodyAt(prefix, size)
    this.buffer.consume(prefix + size)
    onBody(body)
    return bytes.subarray(missing)
  }

  /** The buffered frame's body size; its prefix must be complete. */
  private frameSize (): number {
    const size = varint.decode(this.buffer)
    if (size > this.maxFrameBytes) {
      throw new InvalidFrameError(ErrorCode.frameTooLarge, `frame of ${size} bytes exceeds ${this.maxFrameBytes}`)
    }
    return size
  }

  /** Hands over the whole frames in `bytes` in place (nothing may be buffered); returns the rest. */
  private eachWhole (bytes: Uint8Array, onBody: (body: Uint8Array) => void): Uint8Array {
    let at = 0
    while (at < bytes.length) {
      let size = 0
      let prefix = 0
      let complete = false
      while (!complete && prefix < MAX_PREFIX_BYTES && at + prefix < bytes.length) {
        const b = bytes[at + prefix] as number
        size += (b & 0x7f) * 2 ** (7 * prefix)
        complete = (b & 0x80) === 0
        prefix++
      }
      // An unfinished or over-long prefix, an oversize or incomplete body: the buffered path handles it.
      if (!complete || size > this.maxFrameBytes || at + prefix + size > bytes.length) break
      onBody(bytes.subarray(at + prefix, at + prefix + size))
      at += prefix + size
    }
    return at === 0 ? bytes : bytes.subarray(at)
  }

  /** The buffered body at `start`: a view when it lies in one piece, else joined in the shared buffer. */
  private bodyAt (start: number, size: number): Uint8Array {
    const pieces = this.buffer.sublist(start, start + size)
    const only = onlyPiece(pieces)
    if (only !== undefined) return only
    if (joined.length < size) joined = new Uint8Array(Math.max(size, Math.min(2 * joined.length, this.maxFrameBytes)))
    let at = 0
    for (const piece of pieces) {
      joined.set(piece, at)
      at += piece.length
    }
    return joined.subarray(0, size)
  }

  end (): void {
    if (this.buffer.byteLength > 0) {
      throw new InvalidFrameError(ErrorCode.truncated, `stream ended in the middle of a frame (${this.buffer.byteLength} bytes)`)
    }
  }

  /** Bytes in the complete varint at the front, or 0 when it is not all here yet. */
  private prefixLength (): number {
    const n = Math.min(this.buffer.byteLength, MAX_PREFIX_BYTES)
    for (let i = 0; i < n; i++) {
      if ((this.buffer.get(i) & 0x80) === 0) return i + 1
    }
    if (n === MAX_PREFIX_BYTES) throw new InvalidFrameError(ErrorCode.badFrame, 'length prefix too long')
    return 0
  }
}

/** Separates a MSG's JSON header from its text. JSON.stringify never emits a raw line feed. */
const TEXT_SEPARATOR = '\n'
const TEXT_SEPARATOR_BYTE = 0x0a

/** Encodes one frame with its length prefix; a MSG as JSON header, line feed, text. */
export function encodeJsonFrame (frame: Frame): Uint8Array {
  if (frame.type !== 'MSG') return encodeParts(JSON.stringify(frame), undefined)
  const { text, ...header } = frame
  return encodeMsgFrame(header, text)
}

/** Encodes a MSG from its header and text, for callers that build the header anyway (no copy of it). */
export function encodeMsgFrame (header: MsgHeader, text: string): Uint8Array {
  return encodeParts(JSON.stringify(header), text)
}

/**
 * Every byte gets written, so large frames skip the zero-fill. Never from Node's shared Buffer
 * pool: pooled frames are faster to allocate (about 2 µs less each), but with them a hub taking
 * 500 leaves at once missed 100 % joined in 5 of 15 fan-in runs, against 0 of 12 without.
 */
function allocate (n: number): Uint8Array {
  return n < 4096 ? new Uint8Array(n) : new Uint8Array(Buffer.allocUnsafeSlow(n).buffer, 0, n)
}

/** Measures first, then encodes in place: one pass to size and one copy of a possibly large text. */
function encodeParts (json: string, text: string | undefined): Uint8Array {
  const jsonBytes = Buffer.byteLength(json)
  const size = text === undefined ? jsonBytes : jsonBytes + 1 + Buffer.byteLength(text)
  const prefix = varint.encodingLength(size)
  const out = allocate(prefix + size)
  varint.encode(size, out)
  let written = utf8Write.call(out, json, prefix, jsonBytes)
  if (text !== undefined) {
    out[prefix + jsonBytes] = TEXT_SEPARATOR_BYTE
    written += 1 + utf8Write.call(out, text, prefix + jsonBytes + 1, size - jsonBytes - 1)
  }
  // Large frames are not zero-filled: every byte must have been written, or stale memory would go out.
  if (written !== size) throw new Error(`encoded ${written} of ${size} bytes`)
  return out
}

type Check = (v: unknown) => boolean
const str: Check = v => typeof v === 'string'
const optStr: Check = v => v === undefined || typeof v === 'string'
const int: Check = v => Number.isSafeInteger(v) && (v as number) >= 0
const optInt: Check = v => v === undefined || int(v)
const strList: Check = v => Array.isArray(v) && v.length <= 64 && v.every(s => typeof s === 'string')
/** Entries in one IHAVE, GRAFT or HEARTBEAT frame. */
export const MAX_LIST = 1000
/** Peer ids and message ids: 1-128 characters (they end up in HEARTBEAT, IHAVE and GRAFT lists). */
const id: Check = v => typeof v === 'string' && v.length > 0 && v.length <= 128
const optId: Check = v => v === undefined || id(v)
const idList: Check = v => Array.isArray(v) && v.length <= MAX_LIST && v.every(id)
const beatList: Check = v => Array.isArray(v) && v.length <= MAX_LIST && v.every(b => Array.isArray(b) && b.length === 3 && id(b[0]) && int(b[1]) && int(b[2]))
const oneOf = (values: readonly string[]): Check => v => typeof v === 'string' && values.includes(v)
/** Member names, and message text that reaches text clients, must stay one line. */
const name: Check = v => typeof v === 'string' && NAME_PATTERN.test(v)
const optName: Check = v => v === undefined || name(v)
const line: Check = v => typeof v === 'string' && !v.includes('\n') && !v.includes('\r')

/** Required shape of each frame type: field name to check. Unknown fields are ignored (forward compatibility). */
const SHAPES: Record<Frame['type'], Record<string, Check>> = {
  AUTH: { token: optStr, step: v => v === undefined || oneOf(['challenge', 'response', 'proof'])(v), nonce: optStr, proof: optStr },
  JOIN: { name: str, mode: optStr },
  EXIT: { name: str },
  MSG: { text: line, id: optId, origin: optStr, from: optName, ts: optInt, hops: optInt, to: optStr, sig: optStr },
  ACK: { id, from: optName, origin: optStr, to: optStr, hops: optInt, sig: optStr },
  MEMBER: { peerId: id, name, state: oneOf(Object.values(MemberState)), inc: int, seq: int, addrs: strList, mode: optStr, host: optStr, reason: v => v === undefined || oneOf(['exit', 'disconnect'])(v), hops: int, sig: optStr, by: optId },
  OK: { of: str },
  ERR: { code: str, message: str },
  PING: {},
  PONG: { name: str, mode: str, sessions: int, members: int },
  HEARTBEAT: { beats: beatList },
  IHAVE: { ids: idList },
  GRAFT: { ids: idList },
  PRUNE: {},
  PROBE: { n: int, target: optId, origin: optId, hops: optInt },
  PROBEACK: { n: int, target: optId, origin: optId, hops: optInt, sig: optStr },
  DIGEST: { h: id, reply: (v: unknown) => v === undefined || typeof v === 'boolean' }
}

const SHAPE_ENTRIES = Object.fromEntries(Object.entries(SHAPES).map(([t, shape]) => [t, Object.entries(shape)])) as Record<Frame['type'], Array<[string, Check]>>

/** Room for a list frame's type and key around its entries. */
const LIST_FRAME_OVERHEAD = 64

/**
 * Splits list entries (HEARTBEAT beats, IHAVE or GRAFT ids) into runs that each fit one frame:
 * at most MAX_LIST entries and `maxFrameBytes` bytes.
 */
export function splitList<T> (items: T[], maxFrameBytes: number): T[][] {
  const budget = maxFrameBytes - LIST_FRAME_OVERHEAD
  const runs: T[][] = []
  let run: T[] = []
  let size = 0
  for (const item of items) {
    const bytes = Buffer.byteLength(JSON.stringify(item)) + 1
    if (run.length > 0 && (size + bytes > budget || run.length >= MAX_LIST)) {
      runs.push(run)
      run = []
      size = 0
    }
    run.push(item)
    size += bytes
  }
  if (run.length > 0) runs.push(run)
  return runs
}

/** Decodes one frame body (without its prefix). Throws InvalidFrameError for anything malformed. */
export function decodeJsonFrame (body: Uint8Array): Frame {
  // One UTF-8 decode for header and text: each TextDecoder call crosses into C++.
  const all = utf8Text(body)
  return decodeDirect(all) ?? decodeFrameText(all)
}

/** The generic path: any frame's text (JSON, and a MSG's text after a line feed). */
export function decodeFrameText (all: string): Frame {
  const separator = all.indexOf(TEXT_SEPARATOR)
  const record = parseObject(separator === -1 ? all : all.slice(0, separator))
  const type = record.type
  const shape = typeof type === 'string' && Object.hasOwn(SHAPES, type) ? SHAPES[type as Frame['type']] : undefined
  if (shape === undefined) throw new InvalidFrameError(ErrorCode.badFrame, `unknown frame type ${JSON.stringify(type)?.slice(0, 20)}`)
  if (separator !== -1) {
    if (type !== 'MSG') throw new InvalidFrameError(ErrorCode.badFrame, `only MSG carries text after its JSON, not ${String(type)}`)
    if (record.text !== undefined) throw new InvalidFrameError(ErrorCode.badFrame, 'MSG.text is given both in the JSON and after it')
    record.text = all.slice(separator + 1)
  }
  for (const [field, check] of SHAPE_ENTRIES[type as Frame['type']]) {
    if (!check(record[field])) throw new InvalidFrameError(ErrorCode.badFrame, `${String(type)}.${field} is missing or has the wrong type`)
  }
  return record as unknown as Frame
}

function utf8Text (bytes: Uint8Array): string {
  if (isAscii(bytes)) return latin1Slice.call(bytes, 0, bytes.length)
  try {
    return utf8.decode(bytes)
  } catch (err) {
    throw new InvalidFrameError(ErrorCode.badUtf8, 'frame is not valid UTF-8', { cause: err })
  }
}

function parseObject (json: string): Record<string, unknown> {
  let value: unknown
  try {
    value = JSON.parse(json)
  } catch (err) {
    throw new InvalidFrameError(ErrorCode.badFrame, 'frame is not valid JSON', { cause: err })
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidFrameError(ErrorCode.badFrame, 'frame must be a JSON object')
  }
  return value as Record<string, unknown>
}
