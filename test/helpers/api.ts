/** Reaching a test node's control API: its URL, its token (from the data dir) and a client. */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ApiClient } from '../../src/api/client.ts'
import type { OverlayNode } from '../../src/index.ts'

export interface NodeApi { url: string, token: string, client: ApiClient, port: number }

export async function apiOf (node: OverlayNode): Promise<NodeApi> {
  const url = node.apiUrl
  if (url === undefined) throw new Error(`${node.name} runs no API`)
  const token = (await readFile(join(node.dataDir, 'api-token'), 'utf8')).trim()
  return { url, token, client: new ApiClient(url, token), port: Number(new URL(url).port) }
}

/** A raw request (fetch) with the bearer token unless `auth: false`; returns status, headers and parsed body. */
export async function call (api: NodeApi, method: string, path: string, opts: { body?: string, headers?: Record<string, string>, auth?: boolean } = {}): Promise<{ status: number, headers: Headers, body: any, text: string }> {
  const headers: Record<string, string> = { ...(opts.auth === false ? {} : { authorization: `Bearer ${api.token}` }), ...opts.headers }
  const res = await fetch(api.url + path, { method, headers, redirect: 'manual', signal: AbortSignal.timeout(10_000), ...(opts.body === undefined ? {} : { body: opts.body }) })
  const text = await res.text()
  let body: unknown
  try { body = JSON.parse(text) } catch { body = text }
  return { status: res.status, headers: res.headers, body, text }
}
