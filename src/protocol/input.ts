/**
 * A session's input held over for later turns of the event loop. Input is decoded in slices, for
 * at most INPUT_TURN_MS or INPUT_TURN_FRAMES per turn, so one flooding peer cannot hold the event
 * loop. Made only when a chunk is too large to decode at once (most sessions never hold one).
 */
import type { Uint8ArrayList } from 'uint8arraylist'

/** Input is decoded in slices of at most this many bytes, so a turn can stop between them. */
export const INPUT_SLICE_BYTES = 16 * 1024
/** One session decodes for at most this long in one turn of the event loop, in ms. */
const INPUT_TURN_MS = 4
/** ...or at most this many frames, then it continues on the next turn. */
export const INPUT_TURN_FRAMES = 1_000
/**
 * Input held over for later turns is capped: past this many bytes a session decodes all it holds at
 * once (as a node did before turns), so a sender faster than the node costs no unbounded memory.
 * (Pausing the stream instead, so yamux would hold the sender back, reset busy sessions: a 40 MB
 * broadcast lost its leaf's session in one run of three.)
 */
const INPUT_BACKLOG_BYTES = 16 * 1024 * 1024

/** What a backlog decodes for: its session. */
export interface InputOwner {
  /** Decodes one slice; the frames go to the session. */
  decodeSlice: (bytes: Uint8Array) => void
  /** Frames decoded so far (the turn's frame budget). */
  readonly framesDecoded: number
  /** True once the session wants no more input. */
  readonly inputClosed: boolean
  /** A turn stopped with input left (fairness: counted in stats().inputYields). */
  inputYielded: () => void
  /** Everything held was decoded; `ended` when the remote ended its side meanwhile. */
  backlogDone: (backlog: InputBacklog, ended: boolean) => void
}

export class InputBacklog {
  private readonly owner: InputOwner
  private readonly pieces: Uint8Array[]
  private bytes: number
  /** The remote ended its side while input still waited. */
  private ended = false
  private scheduled = false
  /** Decoded to the end, or dropped by its session: it does nothing more. */
  private finished = false

  constructor (owner: InputOwner, data: Uint8Array | Uint8ArrayList) {
    this.owner = owner
    this.pieces = data instanceof Uint8Array ? [data] : [...data]
    this.bytes = data.byteLength
  }

  /** Input that arrives while earlier input waits for its turn. */
  add (data: Uint8Array | Uint8ArrayList): void {
    if (data instanceof Uint8Array) this.pieces.push(data)
    else for (const piece of data) this.pieces.push(piece)
    this.bytes += data.byteLength
    this.schedule()
  }

  /** The remote ended its side: said to the owner once all held input is decoded. */
  end (): void { this.ended = true }

  /** The session closed: whatever is held is forgotten. */
  drop (): void {
    this.finished = true
    this.pieces.length = 0
  }

  /** Decodes slice by slice until all is decoded or the turn's budget is spent (then goes on in a later turn). */
  run (): void {
    const owner = this.owner
    const started = performance.now()
    const framesBefore = owner.framesDecoded
    while (!this.finished && !owner.inputClosed) {
      const piece = this.pieces[0]
      if (piece === undefined) break
      let slice = piece
      if (piece.byteLength > INPUT_SLICE_BYTES) {
        slice = piece.subarray(0, INPUT_SLICE_BYTES)
        this.pieces[0] = piece.subarray(INPUT_SLICE_BYTES)
      } else {
        this.pieces.shift()
      }
      this.bytes -= slice.byteLength
      owner.decodeSlice(slice)
      if (this.pieces.length > 0 && this.bytes <= INPUT_BACKLOG_BYTES && (owner.framesDecoded - framesBefore >= INPUT_TURN_FRAMES || performance.now() - started >= INPUT_TURN_MS)) {
        // Go on in a later turn of the event loop, so other sessions and timers run first.
        owner.inputYielded()
        this.schedule()
        return
      }
    }
    if (this.finished) return
    this.drop()
    owner.backlogDone(this, this.ended && !owner.inputClosed)
  }

  /** Continues on a later turn (once, however often asked). */
  private schedule (): void {
    if (this.scheduled) return
    this.scheduled = true
    setImmediate(InputBacklog.resume, this)
  }

  /** Static, with the backlog as the argument: no closure kept per backlog. */
  private static resume (b: InputBacklog): void {
    b.scheduled = false
    if (b.finished) return
    b.run()
  }
}
