/**
 * Delivery accounting for multi-node tests: records every `message` event on every attached node,
 * by message id, so a test can wait until each message reached everyone and then assert it arrived
 * exactly once: no duplicates, none missing, none where it should not be.
 */
import assert from 'node:assert/strict'
import { waitFor } from './wait-for.ts'
import type { OverlayEvents, OverlayNode } from '../../src/index.ts'

export type Delivery = OverlayEvents['message']

/** Who sent each id: the sending node, its peer id or its name (the sender never delivers its own broadcast). */
export type SenderOf = (id: string) => OverlayNode | string | undefined

export interface ExpectOptions {
  /** Leave the sender of each id out of the nodes that must receive it. */
  except?: SenderOf
}

export class DeliveryLog {
  /** node peer id -> message id -> every delivery of it, in order. */
  private readonly byNode = new Map<string, Map<string, Delivery[]>>()
  private readonly names = new Map<string, string>()
  private readonly detachers: Array<() => void> = []

  /** Starts recording `message` events on these nodes (call before anything is sent). */
  attach (...nodes: OverlayNode[]): this {
    for (const node of nodes) {
      const peerId = node.peerId
      this.names.set(peerId, node.name)
      const log = this.byNode.get(peerId) ?? new Map<string, Delivery[]>()
      this.byNode.set(peerId, log)
      const listener = (evt: CustomEvent<Delivery>): void => {
        const list = log.get(evt.detail.id) ?? []
        list.push({ ...evt.detail })
        log.set(evt.detail.id, list)
      }
      node.addEventListener('message', listener)
      this.detachers.push(() => { node.removeEventListener('message', listener) })
    }
    return this
  }

  /** Stops recording on every node. */
  detach (): void {
    for (const d of this.detachers.splice(0)) d()
  }

  /** How many times `node` delivered `id`. */
  count (node: OverlayNode | string, id: string): number {
    return this.byNode.get(peerIdOf(node))?.get(id)?.length ?? 0
  }

  /** Every delivery of `id`, with the receiving node's name. */
  deliveriesOf (id: string): Array<Delivery & { at: string }> {
    const out: Array<Delivery & { at: string }> = []
    for (const [peerId, log] of this.byNode) {
      for (const d of log.get(id) ?? []) out.push({ ...d, at: this.names.get(peerId) ?? peerId })
    }
    return out
  }

  /** Every delivery at `node`, in arrival order per id. */
  at (node: OverlayNode | string): Delivery[] {
    return [...(this.byNode.get(peerIdOf(node))?.values() ?? [])].flat()
  }

  /** Total deliveries recorded on every node. */
  get total (): number {
    let n = 0
    for (const log of this.byNode.values()) for (const list of log.values()) n += list.length
    return n
  }

  /** Whether every node (but each id's sender) delivered every id at least once. */
  allDelivered (ids: readonly string[], nodes: readonly OverlayNode[], options: ExpectOptions = {}): boolean {
    return this.missing(ids, nodes, options).length === 0
  }

  /** (node name, id) pairs still missing. */
  missing (ids: readonly string[], nodes: readonly OverlayNode[], options: ExpectOptions = {}): Array<{ node: string, id: string }> {
    const out: Array<{ node: string, id: string }> = []
    for (const id of ids) {
      const sender = senderId(options.except?.(id))
      for (const node of nodes) {
        if (isSender(node, sender)) continue
        if (this.count(node, id) === 0) out.push({ node: node.name, id })
      }
    }
    return out
  }

  /** Polls until every node (but each id's sender) delivered every id, or rejects at the deadline. */
  async waitAllDelivered (ids: readonly string[], nodes: readonly OverlayNode[], options: ExpectOptions & { timeout?: number, message?: string } = {}): Promise<void> {
    try {
      await waitFor(() => this.allDelivered(ids, nodes, options), {
        timeout: options.timeout ?? 10_000,
        interval: 25,
        message: options.message ?? 'every message delivered everywhere'
      })
    } catch (err) {
      throw new Error(`${(err as Error).message}; still missing: ${this.describeMissing(ids, nodes, options)}`, { cause: err })
    }
  }

  /**
   * Each id was delivered exactly once to every node in `nodes` except its sender, never more than
   * once anywhere, and never to its sender or to a node outside `nodes` (a dead or excluded node).
   */
  assertExactlyOnce (ids: readonly string[], nodes: readonly OverlayNode[], options: ExpectOptions = {}): void {
    const wanted = new Set(nodes.map(n => n.peerId))
    const problems: string[] = []
    for (const id of ids) {
      const sender = senderId(options.except?.(id))
      for (const node of nodes) {
        if (isSender(node, sender)) continue
        const n = this.count(node, id)
        if (n !== 1) problems.push(`${node.name} delivered ${id} ${n} times`)
      }
      for (const [peerId, log] of this.byNode) {
        const n = log.get(id)?.length ?? 0
        if (n === 0) continue
        const name = this.names.get(peerId) ?? peerId
        if (sender !== undefined && (peerId === sender || name === sender)) problems.push(`the sender ${name} delivered its own ${id} ${n} times`)
        else if (!wanted.has(peerId)) problems.push(`${name} (not an expected receiver) delivered ${id} ${n} times`)
      }
    }
    assert.deepEqual(problems, [], `exactly-once delivery of ${ids.length} message(s) to ${nodes.length} node(s)`)
  }

  /** No recorded delivery of any of these ids, anywhere. */
  assertNeverDelivered (ids: readonly string[]): void {
    const found = ids.flatMap(id => this.deliveriesOf(id).map(d => `${d.at} delivered ${id} (${JSON.stringify(d.text)})`))
    assert.deepEqual(found, [], 'messages that must have been dropped')
  }

  private describeMissing (ids: readonly string[], nodes: readonly OverlayNode[], options: ExpectOptions): string {
    const missing = this.missing(ids, nodes, options)
    const shown = missing.slice(0, 8).map(m => `${m.node}:${m.id.slice(0, 8)}`).join(', ')
    return missing.length > 8 ? `${shown}, … ${missing.length} in all` : shown
  }
}

/** A new log recording on `nodes`. */
export function trackDeliveries (nodes: readonly OverlayNode[]): DeliveryLog {
  return new DeliveryLog().attach(...nodes)
}

/**
 * Broadcasts one message from each of `senders` (`rounds` times over) and returns the ids with a
 * sender lookup for `except`.
 */
export async function broadcastFrom (senders: readonly OverlayNode[], label: string, rounds = 1): Promise<{ ids: string[], senderOf: SenderOf }> {
  const sender = new Map<string, OverlayNode>()
  const ids: string[] = []
  for (let r = 0; r < rounds; r++) {
    for (const node of senders) {
      const { id } = await node.send(`${label} ${r} from ${node.name}`)
      sender.set(id, node)
      ids.push(id)
    }
  }
  return { ids, senderOf: id => sender.get(id) }
}

function peerIdOf (node: OverlayNode | string): string {
  return typeof node === 'string' ? node : node.peerId
}

function senderId (sender: OverlayNode | string | undefined): string | undefined {
  return sender === undefined ? undefined : typeof sender === 'string' ? sender : sender.peerId
}

function isSender (node: OverlayNode, sender: string | undefined): boolean {
  return sender !== undefined && (node.peerId === sender || node.name === sender)
}
