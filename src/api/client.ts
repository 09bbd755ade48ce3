/** A small client of the control API (the CLI verbs and the tests use it); fetch + eventsource-parser. */
import { EventSourceParserStream } from 'eventsource-parser/stream'

export class ApiError extends Error {
  static override readonly name = 'ApiError'
  /** The error body's code (e.g. "unknown_member"), or "unreachable" when no server answered. */
  readonly code: string
  /** The HTTP status; 0 when no server answered. */
  readonly status: number
  constructor (status: number, code: string, message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'ApiError'
    this.status = status
    this.code = code
  }
}

export interface StreamedEvent { id: string, type: string, event: { type: string } & Record<string, unknown> }

export class ApiClient {
  readonly url: string
  private readonly token: string | undefined

  constructor (url: string, token?: string) {
    this.url = url.replace(/\/+$/, '')
    this.token = token
  }

  private headers (extra: Record<string, string> = {}): Record<string, string> {
    return this.token === undefined ? extra : { ...extra, authorization: `Bearer ${this.token}` }
  }

  /** A JSON request; resolves with the body of a 2xx answer, else throws ApiError. */
  async request<T> (method: 'GET' | 'POST', path: string, options: { body?: unknown, signal?: AbortSignal, okStatuses?: number[] } = {}): Promise<{ status: number, body: T }> {
    let res: Response
    try {
      res = await fetch(this.url + path, {
        method,
        headers: this.headers(options.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
        ...(options.signal === undefined ? {} : { signal: options.signal })
      })
    } catch (err) {
      const e = err as Error
      if (e.name === 'AbortError' || e.name === 'TimeoutError') throw new ApiError(0, 'timeout', `no answer from ${this.url} in time`, { cause: err })
      throw new ApiError(0, 'unreachable', `cannot reach the node's API at ${this.url}: ${describe(e)}`, { cause: err })
    }
    const text = await res.text()
    let body: unknown
    try { body = JSON.parse(text) } catch { body = text }
    if (res.ok || options.okStatuses?.includes(res.status) === true) return { status: res.status, body: body as T }
    const error = (body as { error?: { code?: string, message?: string } })?.error
    throw new ApiError(res.status, error?.code ?? `http_${res.status}`, error?.message ?? `HTTP ${res.status}`)
  }

  async get<T> (path: string, signal?: AbortSignal): Promise<T> {
    return (await this.request<T>('GET', path, signal === undefined ? {} : { signal })).body
  }

  async post<T> (path: string, body: unknown, signal?: AbortSignal): Promise<T> {
    return (await this.request<T>('POST', path, { body, ...(signal === undefined ? {} : { signal }) })).body
  }

  /**
   * Follows /v1/events until the server ends the stream or `signal` aborts; `lastEventId` resumes;
   * `fullText` asks for message texts whole (else those over api.eventTextChars come cut).
   */
  async * events (options: { signal?: AbortSignal, lastEventId?: string, fullText?: boolean } = {}): AsyncGenerator<StreamedEvent> {
    let res: Response
    try {
      res = await fetch(this.url + (options.fullText === true ? '/v1/events?text=full' : '/v1/events'), {
        headers: this.headers({ accept: 'text/event-stream', ...(options.lastEventId === undefined ? {} : { 'last-event-id': options.lastEventId }) }),
        ...(options.signal === undefined ? {} : { signal: options.signal })
      })
    } catch (err) {
      if (options.signal?.aborted === true) return
      throw new ApiError(0, 'unreachable', `cannot reach the node's API at ${this.url}: ${describe(err as Error)}`, { cause: err })
    }
    if (!res.ok || res.body === null) {
      const body = await res.json().catch(() => undefined) as { error?: { code?: string, message?: string } } | undefined
      throw new ApiError(res.status, body?.error?.code ?? `http_${res.status}`, body?.error?.message ?? `HTTP ${res.status}`)
    }
    const stream = res.body.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream())
    try {
      for await (const msg of stream) {
        yield { id: msg.id ?? '', type: msg.event ?? 'message', event: JSON.parse(msg.data) as StreamedEvent['event'] }
      }
    } catch (err) {
      if (options.signal?.aborted === true) return
      // The node went away mid-stream: the stream ends.
      if ((err as Error).name === 'TypeError' || (err as Error).name === 'AbortError') return
      throw err
    }
  }
}

function describe (err: Error): string {
  const cause = err.cause as (Error & { code?: string }) | undefined
  return cause?.code ?? cause?.message ?? err.message
}
