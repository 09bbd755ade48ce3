/** `overlay events [--json]`: follows a running node's events (/v1/events) until Ctrl-C or the node stops. */
import { connect, runClient } from './connect.ts'
import { UsageError } from '../args.ts'
import { createPrinter } from '../output.ts'
import { STREAMED_EVENTS } from '../../api/ring.ts'
import type { OverlayEvent } from '../../events.ts'
import type { ParsedArgs } from '../args.ts'
import type { Io } from '../main.ts'

const PRINTED = new Set<string>(STREAMED_EVENTS.filter(t => t !== 'reconnecting' && t !== 'reconnected'))

export async function runEvents (values: ParsedArgs['values'], io: Io): Promise<number> {
  const since = values.since
  if (since !== undefined && !/^\d{1,15}$/.test(since as string)) throw new UsageError('--since must be an event id (a whole number)', 'events')
  return await runClient(io, async () => {
    const { client } = await connect(values, io, 'events')
    const json = values.json === true
    const printer = createPrinter(io.stdout, json)
    const stop = new AbortController()
    const onSignal = (): void => { stop.abort() }
    io.signals.on('SIGINT', onSignal)
    io.signals.on('SIGTERM', onSignal)
    try {
      const options = { signal: stop.signal, fullText: values['full-text'] === true, ...(since === undefined ? {} : { lastEventId: since as string }) }
      for await (const { id, event } of client.events(options)) {
        if (!json && event.truncated === true) event.text = `${String(event.text)}… [${String(event.textChars)} characters: --full-text, or GET /v1/events/${id}]`
        if (json || PRINTED.has(event.type)) printer.event(event as OverlayEvent)
        else io.stdout.write(`* ${event.type} ${JSON.stringify({ ...event, type: undefined })}\n`)
      }
    } finally {
      io.signals.off('SIGINT', onSignal)
      io.signals.off('SIGTERM', onSignal)
    }
    if (!stop.signal.aborted) io.stderr.write('overlay: the node ended the event stream (it stopped)\n')
    return 0
  })
}
