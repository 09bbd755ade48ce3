/**
 * The frames of a direct round trip, read without JSON.parse when they come in exactly the bytes
 * `wireBytes` (src/mesh/unsigned.ts) sends between neighbours:
 *
 *   {"type":"MSG","id":"<id>","ts":<ts>,"to":""}  LF  <text>     (or without `,"to":""`)
 *   {"type":"ACK","id":"<id>"}
 *
 * JSON.parse and the generic field checks took 5–8 % of a direct round trip (docs/
 * BENCHMARKS.md, figure 2, item 9). Anything else (another key order, spaces, escapes, an id
 * outside [A-Za-z0-9_-], a number JSON refuses or one of 16 digits or more) returns undefined and
 * takes the generic path, which gives the same frame or the error. Pure.
 */
import type { AckFrame, MsgFrame } from './frames.ts'

const MSG_HEAD = '{"type":"MSG","id":"'
const ACK_HEAD = '{"type":"ACK","id":"'
const TS_KEY = '","ts":'
const DIRECT_END = ',"to":""}\n'
const BROADCAST_END = '}\n'
/** Up to 15 digits every integer is below 2^53, so Number.isSafeInteger holds. */
const MAX_TS_DIGITS = 15
const PLAIN_ID = /^[\w-]{1,128}$/
const DIGIT_0 = 48
const DIGIT_9 = 57

/** The frame, when `json` (a frame's whole text) is one of the canonical forms above; else undefined. */
export function decodeDirect (json: string): MsgFrame | AckFrame | undefined {
  if (json.startsWith(ACK_HEAD)) return ack(json)
  if (json.startsWith(MSG_HEAD)) return msg(json)
  return undefined
}

function ack (json: string): AckFrame | undefined {
  const end = json.length - 2
  if (!json.endsWith('"}') || end < ACK_HEAD.length) return undefined
  const id = json.slice(ACK_HEAD.length, end)
  return PLAIN_ID.test(id) ? { type: 'ACK', id } : undefined
}

function msg (json: string): MsgFrame | undefined {
  const idEnd = json.indexOf('"', MSG_HEAD.length)
  if (idEnd === -1 || !json.startsWith(TS_KEY, idEnd)) return undefined
  const id = json.slice(MSG_HEAD.length, idEnd)
  if (!PLAIN_ID.test(id)) return undefined
  const tsStart = idEnd + TS_KEY.length
  let at = tsStart
  let ts = 0
  for (let c = json.charCodeAt(at); c >= DIGIT_0 && c <= DIGIT_9; c = json.charCodeAt(++at)) ts = ts * 10 + c - DIGIT_0
  const digits = at - tsStart
  // JSON has no leading zeros ("01" does not parse).
  if (digits === 0 || digits > MAX_TS_DIGITS || (digits > 1 && json.charCodeAt(tsStart) === DIGIT_0)) return undefined
  const direct = json.startsWith(DIRECT_END, at)
  if (!direct && !json.startsWith(BROADCAST_END, at)) return undefined
  const text = json.slice(at + (direct ? DIRECT_END.length : BROADCAST_END.length))
  if (text.includes('\n') || text.includes('\r')) return undefined
  return direct ? { type: 'MSG', id, ts, to: '', text } : { type: 'MSG', id, ts, text }
}
