import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { decodeClientLine, decodeNodeLine, encodeTextLine, LineDecoder } from '../../../src/protocol/text-codec.ts'
import type { Frame } from '../../../src/protocol/frames.ts'

const enc = new TextEncoder()
const bytes = (s: string): Uint8Array => enc.encode(s)

/** The session from the original design, byte for byte. */
const SESSION = 'AUTH:letmein123\nJOIN:alice\nMSG:hello\nEXIT:alice\n'
const SESSION_LINES = ['AUTH:letmein123', 'JOIN:alice', 'MSG:hello', 'EXIT:alice']

/** Runs fn and checks it throws an InvalidFrameError with `code`. */
function throwsInvalidFrame (fn: () => unknown, code: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof Error, 'expected an Error')
    assert.equal(err.name, 'InvalidFrameError')
    assert.equal((err as Error & { code: string }).code, code, err.message)
    return true
  })
}

/** Feeds `data` one byte per push and collects every completed line. */
function feedByteAtATime (decoder: LineDecoder, data: Uint8Array): string[] {
  const lines: string[] = []
  for (let i = 0; i < data.length; i++) lines.push(...decoder.push(data.subarray(i, i + 1)))
  return lines
}

describe('text-codec LineDecoder', () => {
  it('text-codec - the original session in one chunk gives its four lines', () => {
    const d = new LineDecoder(1024)
    assert.deepEqual(d.push(bytes(SESSION)), SESSION_LINES)
    d.end()
  })

  it('text-codec - byte-at-a-time feeding gives the same lines as one chunk', () => {
    const d = new LineDecoder(1024)
    assert.deepEqual(feedByteAtATime(d, bytes(SESSION)), SESSION_LINES)
    d.end()
  })

  it('text-codec - every two-chunk split of the session gives the same lines', () => {
    const data = bytes(SESSION)
    for (let cut = 0; cut <= data.length; cut++) {
      const d = new LineDecoder(1024)
      const lines = [...d.push(data.subarray(0, cut)), ...d.push(data.subarray(cut))]
      assert.deepEqual(lines, SESSION_LINES, `cut at ${cut}`)
      d.end()
    }
  })

  it('text-codec - a chunk without a newline yields nothing until the newline arrives', () => {
    const d = new LineDecoder(1024)
    assert.deepEqual(d.push(bytes('JOIN:al')), [])
    assert.deepEqual(d.push(bytes('ice')), [])
    assert.deepEqual(d.push(bytes('\nMSG:')), ['JOIN:alice'])
    assert.deepEqual(d.push(bytes('hi\n')), ['MSG:hi'])
    d.end()
  })

  it('text-codec - an empty chunk is harmless', () => {
    const d = new LineDecoder(16)
    assert.deepEqual(d.push(new Uint8Array(0)), [])
    assert.deepEqual(d.push(bytes('a\n')), ['a'])
    assert.deepEqual(d.push(new Uint8Array(0)), [])
    d.end()
  })

  it('text-codec - CRLF line endings are accepted and stripped', () => {
    const crlf = SESSION.replaceAll('\n', '\r\n')
    assert.deepEqual(new LineDecoder(1024).push(bytes(crlf)), SESSION_LINES)
    assert.deepEqual(feedByteAtATime(new LineDecoder(1024), bytes(crlf)), SESSION_LINES)
  })

  it('text-codec - only one trailing CR is stripped; a CR inside a line is kept', () => {
    const d = new LineDecoder(64)
    assert.deepEqual(d.push(bytes('MSG:a\rb\r\n')), ['MSG:a\rb'])
  })

  it('text-codec - blank lines (LF and CRLF) are dropped', () => {
    const d = new LineDecoder(64)
    assert.deepEqual(d.push(bytes('\n\r\nAUTH:x\n\n\r\n\nJOIN:a\n')), ['AUTH:x', 'JOIN:a'])
    assert.deepEqual(feedByteAtATime(new LineDecoder(64), bytes('\n\r\n\nMSG:m\n\r\n')), ['MSG:m'])
  })

  it('text-codec - a line of exactly maxLineBytes is accepted', () => {
    const line = 'x'.repeat(16)
    assert.deepEqual(new LineDecoder(16).push(bytes(line + '\n')), [line])
    assert.deepEqual(feedByteAtATime(new LineDecoder(16), bytes(line + '\n')), [line])
  })

  it('text-codec - maxLineBytes excludes the CRLF ending in one chunk', () => {
    const line = 'x'.repeat(16)
    assert.deepEqual(new LineDecoder(16).push(bytes(line + '\r\n')), [line])
  })

  it('text-codec - maxLineBytes excludes the CRLF ending when the CR arrives before the LF', () => {
    // Same bytes as the test above, split between the CR and the LF: the result must not depend on chunking.
    const line = 'x'.repeat(16)
    const d = new LineDecoder(16)
    assert.deepEqual(d.push(bytes(line + '\r')), [])
    assert.deepEqual(d.push(bytes('\n')), [line])
  })

  it('text-codec - a too-long line in one chunk with its newline is frame_too_large', () => {
    throwsInvalidFrame(() => new LineDecoder(16).push(bytes('x'.repeat(17) + '\n')), 'frame_too_large')
  })

  it('text-codec - a too-long line completed by a later newline is frame_too_large', () => {
    const d = new LineDecoder(16)
    assert.deepEqual(d.push(bytes('x'.repeat(10))), [])
    throwsInvalidFrame(() => d.push(bytes('x'.repeat(7) + '\n')), 'frame_too_large')
  })

  it('text-codec - pending bytes beyond the max with no newline yet are frame_too_large', () => {
    // Up to max + 1 bytes may wait (the last could be the CR of a CRLF); more can never be a line.
    const d = new LineDecoder(16)
    assert.deepEqual(d.push(bytes('x'.repeat(16))), [])
    throwsInvalidFrame(() => d.push(bytes('xx')), 'frame_too_large')
  })

  it('text-codec - max + 1 pending bytes that are not a CR fail once the newline arrives', () => {
    const d = new LineDecoder(16)
    assert.deepEqual(d.push(bytes('x'.repeat(17))), [])
    throwsInvalidFrame(() => d.push(bytes('\n')), 'frame_too_large')
  })

  it('text-codec - a single oversized chunk with no newline is frame_too_large at once', () => {
    throwsInvalidFrame(() => new LineDecoder(16).push(bytes('x'.repeat(1000))), 'frame_too_large')
  })

  it('text-codec - byte-at-a-time, a line that can no longer fit fails without waiting for the newline', () => {
    const d = new LineDecoder(8)
    for (let i = 0; i < 8; i++) assert.deepEqual(d.push(bytes('y')), [])
    // The 9th byte might still be a CR; by the 10th the line is certainly too long.
    assert.throws(() => { d.push(bytes('y')); d.push(bytes('y')) }, (err: unknown) => {
      assert.equal((err as Error & { code: string }).code, 'frame_too_large')
      return true
    })
  })

  it('text-codec - the max counts bytes, not characters', () => {
    // 'é' is two bytes in UTF-8: four of them are 8 bytes.
    assert.deepEqual(new LineDecoder(8).push(bytes('éééé\n')), ['éééé'])
    throwsInvalidFrame(() => new LineDecoder(7).push(bytes('éééé\n')), 'frame_too_large')
  })

  it('text-codec - invalid UTF-8 (0xff) is bad_utf8', () => {
    const d = new LineDecoder(64)
    throwsInvalidFrame(() => d.push(Uint8Array.of(0x4d, 0x53, 0x47, 0x3a, 0xff, 0x0a)), 'bad_utf8')
  })

  it('text-codec - invalid UTF-8 arriving over several chunks is bad_utf8', () => {
    const d = new LineDecoder(64)
    assert.deepEqual(d.push(Uint8Array.of(0x4d, 0x53, 0x47, 0x3a, 0xc3)), [])
    throwsInvalidFrame(() => d.push(Uint8Array.of(0x28, 0x0a)), 'bad_utf8')
  })

  it('text-codec - a lone continuation byte and an overlong encoding are bad_utf8', () => {
    throwsInvalidFrame(() => new LineDecoder(64).push(Uint8Array.of(0x80, 0x0a)), 'bad_utf8')
    throwsInvalidFrame(() => new LineDecoder(64).push(Uint8Array.of(0xc0, 0xaf, 0x0a)), 'bad_utf8')
  })

  it('text-codec - a multi-byte character split across chunks still decodes', () => {
    const data = bytes('MSG:ü€😀\n')
    // Every split point, including inside each multi-byte sequence.
    for (let cut = 0; cut <= data.length; cut++) {
      const d = new LineDecoder(64)
      const lines = [...d.push(data.subarray(0, cut)), ...d.push(data.subarray(cut))]
      assert.deepEqual(lines, ['MSG:ü€😀'], `cut at ${cut}`)
    }
    assert.deepEqual(feedByteAtATime(new LineDecoder(64), data), ['MSG:ü€😀'])
  })

  it('text-codec - a leading UTF-8 BOM is valid UTF-8 and does not break the line', () => {
    const lines = new LineDecoder(64).push(Uint8Array.of(0xef, 0xbb, 0xbf, 0x41, 0x3a, 0x42, 0x0a))
    assert.equal(lines.length, 1)
    assert.ok(lines[0]?.endsWith('A:B'))
  })

  it('text-codec - end() with no pending bytes is fine', () => {
    const d = new LineDecoder(64)
    d.end()
    d.push(bytes('AUTH:x\n'))
    d.end()
  })

  it('text-codec - end() with a half line is truncated', () => {
    const d = new LineDecoder(64)
    assert.deepEqual(d.push(bytes('AUTH:x\nJOIN:al')), ['AUTH:x'])
    throwsInvalidFrame(() => { d.end() }, 'truncated')
  })

  it('text-codec - end() after a lone CR is truncated', () => {
    const d = new LineDecoder(64)
    d.push(bytes('MSG:a\r'))
    throwsInvalidFrame(() => { d.end() }, 'truncated')
  })

  it('text-codec - the decoder keeps working after a completed line releases its pending bytes', () => {
    const d = new LineDecoder(8)
    // 6 + 6 pending bytes would exceed 8 if the first line's bytes were not released.
    assert.deepEqual(d.push(bytes('abcdef')), [])
    assert.deepEqual(d.push(bytes('\nghijkl')), ['abcdef'])
    assert.deepEqual(d.push(bytes('\n')), ['ghijkl'])
    d.end()
  })
})

describe('text-codec decodeClientLine', () => {
  const cases: Array<{ line: string, frame: Frame }> = [
    { line: 'AUTH:letmein123', frame: { type: 'AUTH', token: 'letmein123' } },
    { line: 'JOIN:alice', frame: { type: 'JOIN', name: 'alice' } },
    { line: 'MSG:hello', frame: { type: 'MSG', text: 'hello' } },
    { line: 'EXIT:alice', frame: { type: 'EXIT', name: 'alice' } },
    { line: 'AUTH:', frame: { type: 'AUTH', token: '' } },
    { line: 'MSG:', frame: { type: 'MSG', text: '' } },
    { line: 'MSG:a:b:c', frame: { type: 'MSG', text: 'a:b:c' } },
    { line: 'AUTH:to:ken', frame: { type: 'AUTH', token: 'to:ken' } },
    { line: 'MSG::', frame: { type: 'MSG', text: ':' } },
    { line: 'MSG: spaced text ', frame: { type: 'MSG', text: ' spaced text ' } },
    { line: 'JOIN:a b', frame: { type: 'JOIN', name: 'a b' } }
  ]
  for (const { line, frame } of cases) {
    it(`text-codec - decodeClientLine ${JSON.stringify(line)}`, () => {
      assert.deepEqual(decodeClientLine(line), frame)
    })
  }

  const bad = ['hello', '', ':payload', 'FOO:bar', 'auth:x', 'OK:AUTH', 'ERR:bad_token:x', 'PING:', 'MEMBER:x', ' AUTH:x', 'AUTH']
  for (const line of bad) {
    it(`text-codec - decodeClientLine rejects ${JSON.stringify(line)} as bad_frame`, () => {
      throwsInvalidFrame(() => decodeClientLine(line), 'bad_frame')
    })
  }
})

describe('text-codec decodeNodeLine and encodeTextLine', () => {
  const nodeFrames: Array<{ frame: Frame, line: string }> = [
    { frame: { type: 'OK', of: 'AUTH' }, line: 'OK:AUTH\n' },
    { frame: { type: 'OK', of: 'JOIN' }, line: 'OK:JOIN\n' },
    { frame: { type: 'OK', of: 'EXIT' }, line: 'OK:EXIT\n' },
    { frame: { type: 'ERR', code: 'bad_token', message: 'wrong token' }, line: 'ERR:bad_token:wrong token\n' },
    { frame: { type: 'ERR', code: 'name_taken', message: 'the name "a:b" is in use' }, line: 'ERR:name_taken:the name "a:b" is in use\n' },
    { frame: { type: 'ERR', code: 'bad_frame', message: '' }, line: 'ERR:bad_frame:\n' },
    { frame: { type: 'JOIN', name: 'bob' }, line: 'JOIN:bob\n' },
    { frame: { type: 'EXIT', name: 'bob' }, line: 'EXIT:bob\n' },
    { frame: { type: 'MSG', from: 'alice', text: 'hello' }, line: 'MSG:alice:hello\n' },
    { frame: { type: 'MSG', from: 'alice', text: 'a:b: c' }, line: 'MSG:alice:a:b: c\n' },
    { frame: { type: 'MSG', from: 'alice', text: '' }, line: 'MSG:alice:\n' }
  ]
  for (const { frame, line } of nodeFrames) {
    it(`text-codec - ${frame.type} ${JSON.stringify(line.trimEnd())} encodes and decodes back`, () => {
      assert.equal(encodeTextLine(frame), line)
      assert.deepEqual(decodeNodeLine(line.slice(0, -1)), frame)
    })
  }

  it('text-codec - node lines round trip through LineDecoder too', () => {
    const wire = nodeFrames.map(c => encodeTextLine(c.frame)).join('')
    const lines = feedByteAtATime(new LineDecoder(1024), bytes(wire))
    assert.deepEqual(lines.map(decodeNodeLine), nodeFrames.map(c => c.frame))
  })

  it('text-codec - client frames encode to the lines decodeClientLine reads', () => {
    const frames: Frame[] = [
      { type: 'AUTH', token: 'letmein123' },
      { type: 'JOIN', name: 'alice' },
      { type: 'MSG', text: 'hello' },
      { type: 'EXIT', name: 'alice' }
    ]
    const wire = frames.map(encodeTextLine).join('')
    assert.equal(wire, SESSION)
    assert.deepEqual(new LineDecoder(1024).push(bytes(wire)).map(decodeClientLine), frames)
  })

  it('text-codec - AUTH without a token encodes as an empty token', () => {
    assert.equal(encodeTextLine({ type: 'AUTH' }), 'AUTH:\n')
    assert.equal(encodeTextLine({ type: 'AUTH', step: 'challenge', nonce: 'n' }), 'AUTH:\n')
  })

  it('text-codec - ERR messages with CR or LF are flattened to one line', () => {
    const line = encodeTextLine({ type: 'ERR', code: 'bad_frame', message: 'one\ntwo\r\nthree' })
    assert.equal(line, 'ERR:bad_frame:one two  three\n')
    assert.deepEqual(decodeNodeLine(line.slice(0, -1)), { type: 'ERR', code: 'bad_frame', message: 'one two  three' })
  })

  // Payloads that reach a text client from the mesh (MSG text and names from JSON peers) are not
  // validated for line breaks; the encoder is the last place that can stop a relayed frame from
  // injecting extra lines (e.g. a fake "JOIN:" or "OK:EXIT") into a text client's stream.
  const injections: Array<{ what: string, frame: Frame }> = [
    { what: 'MSG text with LF', frame: { type: 'MSG', from: 'mallory', text: 'hi\nJOIN:ghost' } },
    { what: 'MSG text with CRLF', frame: { type: 'MSG', from: 'mallory', text: 'hi\r\nEXIT:alice' } },
    { what: 'MSG text with a lone CR', frame: { type: 'MSG', from: 'mallory', text: 'hi\rOK:EXIT' } },
    { what: 'MSG text without from', frame: { type: 'MSG', text: 'hi\nOK:EXIT' } },
    { what: 'MSG from with LF', frame: { type: 'MSG', from: 'a\nJOIN:ghost', text: 'hi' } },
    { what: 'JOIN name with LF', frame: { type: 'JOIN', name: 'x\nEXIT:alice' } },
    { what: 'EXIT name with LF', frame: { type: 'EXIT', name: 'x\nJOIN:ghost' } }
  ]
  it('text-codec - encodeTextLine never emits more than one line, whatever the payload holds', () => {
    // Either flattened (like ERR) or refused with an error; never two lines on the wire.
    const leaks: string[] = []
    for (const { what, frame } of injections) {
      let line: string
      try {
        line = encodeTextLine(frame)
      } catch (err) {
        assert.equal((err as Error).name, 'InvalidFrameError', what)
        continue
      }
      assert.ok(line.endsWith('\n'))
      if (/[\r\n]/.test(line.slice(0, -1))) leaks.push(`${what} -> ${JSON.stringify(line)}`)
    }
    assert.deepEqual(leaks, [])
  })

  it('text-codec - encodeTextLine refuses frames with no text form', () => {
    const noText: Frame[] = [
      { type: 'PING' },
      { type: 'PONG', name: 'n', mode: 'peer', sessions: 0, members: 0 },
      { type: 'ACK', id: 'i', from: 'f', origin: 'o', to: 't', hops: 0 },
      { type: 'MEMBER', peerId: 'p', name: 'n', state: 'alive', inc: 1, seq: 0, addrs: [], hops: 0 }
    ]
    for (const frame of noText) throwsInvalidFrame(() => encodeTextLine(frame), 'bad_frame')
  })

  const badNode = ['OK', 'FOO:bar', ':x', 'ERR:nocolon', 'MSG:nocolon', 'AUTH:x', 'PING:', '']
  for (const line of badNode) {
    it(`text-codec - decodeNodeLine rejects ${JSON.stringify(line)} as bad_frame`, () => {
      throwsInvalidFrame(() => decodeNodeLine(line), 'bad_frame')
    })
  }
})

describe('text codec - byte-order marks', () => {
  it('text codec - a byte-order mark stays in the line, so a line that starts with one has an unknown tag', () => {
    const lines = new LineDecoder(64).push(new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode('AUTH:t\n')]))
    assert.deepEqual(lines, ['\uFEFFAUTH:t'])
    assert.throws(() => decodeClientLine(lines[0] as string), (err: Error & { code?: string }) => err.code === 'bad_frame')
  })
})
