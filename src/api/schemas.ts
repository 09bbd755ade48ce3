/**
 * JSON schemas of the routes: fastify validates requests with them and serializes responses by
 * them. docs/openapi.yaml documents the same shapes; test/unit/api/openapi.spec.ts holds the two
 * (and the real answers) together.
 */
const str = { type: 'string' } as const
const int = { type: 'integer' } as const
const nullableNumber = { type: ['number', 'null'] } as const

export const errorSchema = {
  type: 'object',
  required: ['error'],
  properties: { error: { type: 'object', required: ['code', 'message'], properties: { code: str, message: str } } }
} as const

export const healthSchema = { type: 'object', required: ['status'], properties: { status: str, reason: str } } as const

export const nodeSchema = {
  type: 'object',
  required: ['peerId', 'name', 'mode', 'addrs', 'version', 'uptimeMs', 'startedAt', 'joinCommand'],
  properties: {
    peerId: str,
    name: str,
    mode: str,
    addrs: { type: 'array', items: str },
    version: str,
    uptimeMs: int,
    startedAt: int,
    joinCommand: str
  }
} as const

const memberSchema = {
  type: 'object',
  required: ['name', 'peerId', 'state', 'inc', 'self', 'since', 'lastHeard', 'rttMs', 'addrs'],
  properties: {
    name: str,
    peerId: str,
    state: { type: 'string', enum: ['alive', 'suspect', 'failed', 'left'] },
    inc: int,
    mode: str,
    host: str,
    self: { type: 'boolean' },
    since: int,
    lastHeard: { type: ['integer', 'null'] },
    rttMs: nullableNumber,
    addrs: { type: 'array', items: str }
  }
} as const

export const membersQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    state: { type: 'string', enum: ['alive', 'suspect', 'failed', 'left'] },
    mode: { type: 'string', maxLength: 16 },
    name: { type: 'string', minLength: 1, maxLength: 128 }
  }
} as const

export const membersSchema = { type: 'object', required: ['members'], properties: { members: { type: 'array', items: memberSchema } } } as const

const sessionSchema = {
  type: 'object',
  required: ['peerId', 'name', 'wire', 'mode', 'encryption', 'remoteAddr', 'queuedBytes'],
  properties: { peerId: str, name: str, wire: str, mode: str, encryption: str, remoteAddr: str, queuedBytes: int }
} as const

export const sessionsSchema = { type: 'object', required: ['sessions'], properties: { sessions: { type: 'array', items: sessionSchema } } } as const

export const statsSchema = {
  type: 'object',
  required: ['delivered', 'relayed', 'duplicate', 'forged', 'sessions', 'members'],
  properties: {
    delivered: int,
    relayed: int,
    duplicate: int,
    forged: int,
    sessions: int,
    members: int,
    // Connection-level limits (docs/SECURITY.md): what is held now, and what was refused or cut by reason.
    connections: {
      type: 'object',
      required: ['inbound', 'unauthenticated', 'bannedIps', 'refused', 'cut', 'authFailures', 'ipBans'],
      properties: {
        inbound: int,
        unauthenticated: int,
        bannedIps: int,
        refused: { type: 'object', additionalProperties: int },
        cut: { type: 'object', additionalProperties: int },
        authFailures: int,
        ipBans: int
      }
    }
  },
  additionalProperties: { type: 'number' }
} as const

export const topologySchema = {
  type: 'object',
  required: ['self', 'nodes', 'edges'],
  properties: {
    self: str,
    nodes: { type: 'array', items: { type: 'object', required: ['peerId', 'name', 'state'], properties: { peerId: str, name: str, state: str, mode: str } } },
    edges: {
      type: 'array',
      items: { type: 'object', required: ['from', 'to', 'kind'], properties: { from: str, to: str, kind: { type: 'string', enum: ['session', 'route'] } } }
    }
  }
} as const

export function messageBody (maxTextBytes: number) {
  return {
    type: 'object',
    required: ['text'],
    additionalProperties: false,
    properties: {
      text: { type: 'string', minLength: 1, maxLength: maxTextBytes, pattern: '^[^\\r\\n]*$' },
      to: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,64}$' }
    }
  } as const
}

export const broadcastSchema = { type: 'object', required: ['id'], properties: { id: str } } as const
export const directSchema = { type: 'object', required: ['id', 'to'], properties: { id: str, to: str } } as const
export const leaveSchema = { type: 'object', required: ['status'], properties: { status: str } } as const
