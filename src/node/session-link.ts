/** The one place a protocol Session becomes the mesh's Link (src/mesh/link.ts). */
import type { Link } from '../mesh/link.ts'
import type { Session } from '../protocol/stream-session.ts'

/** A Link that keeps its Session, for what only the node does with it (EXIT, backpressure, listing). */
export interface SessionLink extends Link {
  readonly session: Session
}

const links = new WeakMap<Session, SessionLink>()

/** The session's Link, made once per session (the mesh compares links by identity). */
export function linkOf (s: Session): SessionLink {
  let link = links.get(s)
  if (link === undefined) {
    link = {
      session: s,
      peer: s.remotePeer,
      get name () { return s.name },
      wire: s.wire,
      get mode () { return s.remoteMode },
      get encryption () { return s.encryption },
      send: (frame, when) => { if (frame instanceof Uint8Array) s.sendEncoded(frame, when); else s.send(frame) },
      close: (code, message) => { void s.drop(code, message) },
      // The whole connection: a session close alone would leave libp2p reusing the dead connection.
      abort: reason => { s.connection.abort(new Error(reason)) }
    }
    links.set(s, link)
  }
  return link
}
