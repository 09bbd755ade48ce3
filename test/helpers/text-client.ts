/**
 * A raw protocol client: a bare libp2p node (TCP + Noise + yamux, no overlay code) that opens one
 * stream and writes exactly the bytes a test gives it. Speaks the text protocol by default; pass
 * JSON_PROTOCOL to `connect` to drive the JSON protocol byte by byte.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { TEXT_PROTOCOL } from '../../src/index.ts'
import { decodeJsonFrame, LengthPrefixDecoder } from '../../src/protocol/json-codec.ts'
import { tracker } from './create-nodes.ts'
import { waitFor } from './wait-for.ts'
import type { Frame } from '../../src/protocol/frames.ts'
import type { Connection, Libp2p, PrivateKey, Stream } from '@libp2p/interface'
import type { TCPSocketOptions } from '@libp2p/tcp'

const encoder = new TextEncoder()

export interface CloseInfo { error?: Error, local: boolean }

export class TextClient {
  readonly node: Libp2p
  /** Complete lines received, without line endings. */
  readonly lines: string[] = []
  /** Every received chunk, in order (for the JSON protocol). */
  readonly chunks: Uint8Array[] = []
  /** Called with each complete line as it arrives (for timing replies without polling). */
  readonly onLine: Array<(line: string) => void> = []
  /** Keep `chunks` (off for clients that receive floods they never decode). */
  keepChunks = true
  /** Set by connect(). */
  stream!: Stream
  connection!: Connection
  /** Resolves when the stream is fully closed (both sides, or reset). */
  closed!: Promise<CloseInfo>
  /** Resolves when the remote closed its write side (or the stream closed). */
  remoteEnded!: Promise<void>
  /** Resolves when the connection to the remote closed. */
  connectionClosed!: Promise<void>
  private readonly decoder = new TextDecoder('utf-8')
  private partial = ''

  constructor (node: Libp2p) {
    this.node = node
  }

  get peerId (): string { return this.node.peerId.toString() }

  /** Dials `addr` and opens a stream for `protocol` (the text protocol by default). */
  async connect (addr: string, protocol: string = TEXT_PROTOCOL, timeout = 10_000): Promise<this> {
    const ma = multiaddr(addr)
    this.stream = await this.node.dialProtocol(ma, protocol, { signal: AbortSignal.timeout(timeout) })
    const connection = this.node.getConnections().find(c => c.streams.includes(this.stream))
    if (connection === undefined) throw new Error('the connection closed during protocol negotiation')
    this.connection = connection
    this.closed = new Promise(resolve => {
      this.stream.addEventListener('close', evt => {
        const info: CloseInfo = { local: evt.local ?? false }
        if (evt.error !== undefined) info.error = evt.error
        resolve(info)
      }, { once: true })
    })
    this.remoteEnded = new Promise(resolve => {
      this.stream.addEventListener('remoteCloseWrite', () => { resolve() }, { once: true })
      void this.closed.then(() => { resolve() })
    })
    this.connectionClosed = new Promise(resolve => {
      const onClose = (evt: CustomEvent<Connection>): void => {
        if (evt.detail !== connection) return
        this.node.removeEventListener('connection:close', onClose)
        resolve()
      }
      this.node.addEventListener('connection:close', onClose)
      if (connection.status !== 'open') resolve()
    })
    this.stream.addEventListener('message', evt => {
      const bytes = evt.data.subarray()
      if (this.keepChunks) this.chunks.push(bytes)
      this.partial += this.decoder.decode(bytes, { stream: true })
      const parts = this.partial.split('\n')
      this.partial = parts.pop() ?? ''
      for (const raw of parts) {
        const line = raw.replace(/\r$/, '')
        this.lines.push(line)
        for (const fn of this.onLine) fn(line)
      }
    })
    return this
  }

  /** Queues bytes (a string is UTF-8 encoded as is; add the `\n` yourself). Throws if the stream is closed. */
  write (data: Uint8Array | string): boolean {
    return this.stream.send(typeof data === 'string' ? encoder.encode(data) : data)
  }

  /** Waits for a received line matching `match` (exact string, RegExp or predicate) and returns it. */
  async waitLine (match: string | RegExp | ((line: string) => boolean), timeout = 10_000): Promise<string> {
    const test = typeof match === 'string' ? (l: string) => l === match : match instanceof RegExp ? (l: string) => match.test(l) : match
    let found: string | undefined
    await waitFor(() => (found = this.lines.find(test)) !== undefined, {
      timeout,
      message: `line ${String(match)} (got ${JSON.stringify(this.lines)})`
    })
    return found as string
  }

  /** The JSON frames received so far (for a JSON_PROTOCOL stream). */
  frames (maxFrameBytes = 16 * 1024 * 1024): Frame[] {
    const decoder = new LengthPrefixDecoder(maxFrameBytes)
    return this.chunks.flatMap(c => decoder.push(c)).map(decodeJsonFrame)
  }

  /** Waits for a JSON frame matching `predicate` and returns it. */
  async waitFrame (predicate: (frame: Frame) => boolean, timeout = 10_000): Promise<Frame> {
    let found: Frame | undefined
    await waitFor(() => (found = this.frames().find(predicate)) !== undefined, {
      timeout,
      message: `a matching JSON frame (got ${JSON.stringify(this.frames())})`
    })
    return found as Frame
  }

  /** Half-closes: no more writes; the remote sees the end of the stream. */
  async end (): Promise<void> {
    await this.stream.close({ signal: AbortSignal.timeout(5_000) })
  }

  /** Resets the stream, discarding anything unsent. */
  abort (reason = 'test abort'): void {
    this.stream.abort(new Error(reason))
  }

  /** Closes the whole connection to the remote. */
  async close (): Promise<void> {
    await this.connection.close({ signal: AbortSignal.timeout(5_000) }).catch(err => { this.connection.abort(err as Error) })
  }

  /** Stops the bare libp2p node. */
  async stop (): Promise<void> {
    await this.node.stop()
  }
}

export interface ClientOptions {
  privateKey?: PrivateKey
  /** Source address of its dials, e.g. '127.0.0.2': another host as far as per-IP limits go. */
  localAddress?: string
}

/** Starts a bare libp2p node (not listening) as a raw client; stopAll() stops it. */
export async function createTextClient (options: ClientOptions = {}): Promise<TextClient> {
  // net.connect takes localAddress; @libp2p/tcp spreads dialOpts into it but does not type it.
  const dialOpts = options.localAddress === undefined ? {} : { dialOpts: { localAddress: options.localAddress } as TCPSocketOptions }
  const node = await createLibp2p({
    ...(options.privateKey === undefined ? {} : { privateKey: options.privateKey }),
    addresses: { listen: [] },
    transports: [tcp(dialOpts)],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()]
  })
  await node.start()
  const client = new TextClient(node)
  tracker.onStop(async () => { await client.stop() })
  return client
}

/** Starts a raw client and opens a stream to `addr`. */
export async function connectTextClient (addr: string, options: ClientOptions & { protocol?: string } = {}): Promise<TextClient> {
  const client = await createTextClient(options)
  return await client.connect(addr, options.protocol)
}
