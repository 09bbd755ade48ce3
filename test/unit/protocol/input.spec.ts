/**
 * A session's input backlog against a fake owner: large input is decoded in slices, a turn stops
 * at its frame budget and goes on in a later turn, the remote's end waits for the held input, and a
 * dropped backlog decodes nothing more.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { InputBacklog, INPUT_SLICE_BYTES, INPUT_TURN_FRAMES } from '../../../src/protocol/input.ts'
import { waitFor } from '../../helpers/wait-for.ts'
import type { InputOwner } from '../../../src/protocol/input.ts'

class Owner implements InputOwner {
  readonly slices: number[] = []
  framesDecoded = 0
  inputClosed = false
  yields = 0
  done: boolean[] = []
  /** Frames each decoded slice counts as. */
  framesPerSlice = 1
  decodeSlice (bytes: Uint8Array): void {
    this.slices.push(bytes.byteLength)
    this.framesDecoded += this.framesPerSlice
  }

  inputYielded (): void { this.yields++ }
  backlogDone (_b: InputBacklog, ended: boolean): void { this.done.push(ended) }
}

describe('input backlog', () => {
  it('input - a large chunk is decoded in slices of INPUT_SLICE_BYTES, in order, within one turn when under budget', () => {
    const owner = new Owner()
    const backlog = new InputBacklog(owner, new Uint8Array(2 * INPUT_SLICE_BYTES + 10))
    backlog.run()
    assert.deepEqual(owner.slices, [INPUT_SLICE_BYTES, INPUT_SLICE_BYTES, 10])
    assert.deepEqual(owner.done, [false])
    assert.equal(owner.yields, 0)
  })

  it('input - a turn stops at its frame budget and the rest is decoded in a later turn', async () => {
    const owner = new Owner()
    owner.framesPerSlice = INPUT_TURN_FRAMES // one slice spends a whole turn
    const backlog = new InputBacklog(owner, new Uint8Array(3 * INPUT_SLICE_BYTES))
    backlog.run()
    assert.equal(owner.slices.length, 1, 'one slice, then the turn ends')
    assert.equal(owner.yields, 1)
    await waitFor(() => owner.done.length === 1, { timeout: 5_000, message: 'the backlog is decoded' })
    assert.equal(owner.slices.length, 3)
    assert.equal(owner.yields, 2)
  })

  it('input - the remote\'s end is told only once everything held is decoded', async () => {
    const owner = new Owner()
    owner.framesPerSlice = INPUT_TURN_FRAMES
    const backlog = new InputBacklog(owner, new Uint8Array(2 * INPUT_SLICE_BYTES))
    backlog.run()
    backlog.end()
    backlog.add(new Uint8Array(5))
    assert.deepEqual(owner.done, [])
    await waitFor(() => owner.done.length === 1, { timeout: 5_000, message: 'the backlog is decoded' })
    assert.deepEqual(owner.done, [true])
    assert.deepEqual(owner.slices, [INPUT_SLICE_BYTES, INPUT_SLICE_BYTES, 5])
  })

  it('input - a dropped backlog, or one whose session closed, decodes nothing more and reports nothing', async () => {
    const dropped = new Owner()
    dropped.framesPerSlice = INPUT_TURN_FRAMES
    const a = new InputBacklog(dropped, new Uint8Array(3 * INPUT_SLICE_BYTES))
    a.run()
    a.drop()
    const closed = new Owner()
    closed.framesPerSlice = INPUT_TURN_FRAMES
    const b = new InputBacklog(closed, new Uint8Array(3 * INPUT_SLICE_BYTES))
    b.run()
    b.end()
    closed.inputClosed = true
    await waitFor(() => closed.done.length === 1, { timeout: 5_000, message: 'the closed session\'s backlog finished' })
    assert.deepEqual(closed.done, [false], 'no end for a closed session')
    assert.deepEqual(closed.slices, [INPUT_SLICE_BYTES])
    assert.deepEqual(dropped.slices, [INPUT_SLICE_BYTES])
    assert.deepEqual(dropped.done, [])
  })
})
