/**
 * The original tagged-text wire format: UTF-8 lines `TAG:payload`, ending in `\n` (`\r\n` accepted).
 * Pure: no streams, no timers.
 */
import { InvalidFrameError } from '../errors.ts'
import { ErrorCode, FrameType } from './frames.ts'
import type { AuthFrame, ClientLineMsg, ClientMsg, ErrFrame, ExitFrame, Frame, JoinFrame, OkFrame } from './frames.ts'

const LF = 0x0a
const CR = 0x0d

/** Frames a text client may send. */
export type TextClientFrame = AuthFrame | JoinFrame | ClientMsg | ExitFrame
/** Frames a node sends to a text client. MSG carries `from`. */
export type TextNodeFrame = OkFrame | ErrFrame | JoinFrame | ExitFrame | ClientLineMsg

/** Splits bytes into complete lines; each line must be valid UTF-8 and at most `maxLineBytes` long. */
export class LineDecoder {
  private readonly maxLineBytes: number
  // ignoreBOM: a byte-order mark stays part of the line (and makes its tag unknown), never dropped unseen.
  private readonly utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })
  private pending: Uint8Array[] = []
  private pendingBytes = 0

  constructor (maxLineBytes: number) {
    this.maxLineBytes = maxLineBytes
  }

  /** Returns the lines this chunk completes, without their line endings. Blank lines are dropped. */
  push (chunk: Uint8Array): string[] {
    const lines: string[] = []
    this.each(chunk, line => { lines.push(line) })
    return lines
  }

  /** Like push, but hands over each line as soon as it is complete, so a bad line cannot swallow earlier good ones. */
  each (chunk: Uint8Array, onLine: (line: string) => void): void {
    let start = 0
    while (start < chunk.length) {
      const lf = chunk.indexOf(LF, start)
      if (lf === -1) {
        this.keep(chunk.subarray(start))
        break
      }
      const line = this.take(chunk.subarray(start, lf))
      start = lf + 1
      if (line !== '') onLine(line)
    }
  }

  /** Call when the stream ends: a half-written line is an error, never silently dropped. */
  end (): void {
    if (this.pendingBytes > 0) {
      throw new InvalidFrameError(ErrorCode.truncated, `stream ended in the middle of a line (${this.pendingBytes} bytes)`)
    }
  }

  private keep (part: Uint8Array): void {
    this.pendingBytes += part.length
    // +1: the CR of a CRLF ending may already be here, waiting for its LF.
    if (this.pendingBytes > this.maxLineBytes + 1) this.tooLong()
    this.pending.push(part)
  }

  private take (tail: Uint8Array): string {
    let bytes = tail
    if (this.pending.length > 0) {
      bytes = new Uint8Array(this.pendingBytes + tail.length)
      let at = 0
      for (const p of this.pending) { bytes.set(p, at); at += p.length }
      bytes.set(tail, at)
      this.pending = []
      this.pendingBytes = 0
    }
    if (bytes.length > 0 && bytes[bytes.length - 1] === CR) bytes = bytes.subarray(0, -1)
    if (bytes.length > this.maxLineBytes) this.tooLong()
    try {
      return this.utf8.decode(bytes)
    } catch (err) {
      throw new InvalidFrameError(ErrorCode.badUtf8, 'line is not valid UTF-8', { cause: err })
    }
  }

  private tooLong (): never {
    throw new InvalidFrameError(ErrorCode.frameTooLarge, `line longer than ${this.maxLineBytes} bytes`)
  }
}

function splitTag (line: string): [string, string] {
  const colon = line.indexOf(':')
  if (colon < 1) throw new InvalidFrameError(ErrorCode.badFrame, 'expected TAG:payload')
  return [line.slice(0, colon), line.slice(colon + 1)]
}

/** Parses a line a client sent to a node. */
export function decodeClientLine (line: string): TextClientFrame {
  const [tag, payload] = splitTag(line)
  if (payload.includes('\r')) throw new InvalidFrameError(ErrorCode.badFrame, 'a bare CR inside a line')
  switch (tag) {
    case FrameType.AUTH: return { type: 'AUTH', token: payload }
    case FrameType.JOIN: return { type: 'JOIN', name: payload }
    case FrameType.MSG: return { type: 'MSG', text: payload }
    case FrameType.EXIT: return { type: 'EXIT', name: payload }
    default: throw new InvalidFrameError(ErrorCode.badFrame, `unknown tag "${tag.slice(0, 16)}"`)
  }
}

/** Parses a line a node sent to a client (for clients and tests). */
export function decodeNodeLine (line: string): TextNodeFrame {
  const [tag, payload] = splitTag(line)
  switch (tag) {
    case FrameType.OK: return { type: 'OK', of: payload as OkFrame['of'] }
    case FrameType.ERR: {
      const [code, message] = splitTag(payload)
      return { type: 'ERR', code: code as ErrFrame['code'], message }
    }
    case FrameType.JOIN: return { type: 'JOIN', name: payload }
    case FrameType.EXIT: return { type: 'EXIT', name: payload }
    case FrameType.MSG: {
      const [from, text] = splitTag(payload)
      return { type: 'MSG', from, text }
    }
    default: throw new InvalidFrameError(ErrorCode.badFrame, `unknown tag "${tag.slice(0, 16)}"`)
  }
}

/** Encodes one frame as a line, `\n` included. Refuses payloads that would break the line. */
export function encodeTextLine (frame: Frame): string {
  const line = textLine(frame)
  if (line.indexOf('\n') !== line.length - 1 || line.includes('\r')) {
    throw new InvalidFrameError(ErrorCode.badFrame, `${frame.type} payload holds a line break`)
  }
  return line
}

function textLine (frame: Frame): string {
  switch (frame.type) {
    case 'AUTH': return `AUTH:${frame.token ?? ''}\n`
    case 'JOIN': return `JOIN:${frame.name}\n`
    case 'EXIT': return `EXIT:${frame.name}\n`
    case 'MSG': return frame.from === undefined ? `MSG:${frame.text}\n` : `MSG:${frame.from}:${frame.text}\n`
    case 'OK': return `OK:${frame.of}\n`
    case 'ERR': return `ERR:${frame.code}:${frame.message.replace(/[\r\n]/g, ' ')}\n`
    default: throw new InvalidFrameError(ErrorCode.badFrame, `${frame.type} has no text form`)
  }
}
