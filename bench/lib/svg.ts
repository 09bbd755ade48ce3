/**
 * The chart in docs/benchmarks.svg: one line per (figure, case, metric) that has more than one
 * variant, one horizontal bar per variant = its median ÷ the reference variant's median, on a log
 * scale around 1. Single-variant rows and the targets are in the Markdown tables next to it.
 */
import type { Result } from './types.ts'
import type { MachineInfo } from './machine.ts'
import { groupKey, ratioOf } from './table.ts'
import { fmt } from './results.ts'

const COLORS: Record<string, string> = { 'raw-tcp': '#7f8c8d', 'node-process': '#7f8c8d', libp2p: '#2e86de', 'libp2p-sized': '#16a085', gossipsub: '#8e44ad', overlay: '#e67e22' }
const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

export function renderSvg (results: Result[], meta: { title: string, machine: MachineInfo, mode: string, date: string }): string {
  const groups = new Map<string, Result[]>()
  for (const r of results) if (r.chart !== false && ratioOf(r, results) !== undefined) groups.set(groupKey(r), [...(groups.get(groupKey(r)) ?? []), r])
  const shown = [...groups.values()].filter(g => g.length > 1)
  const ratios = shown.flat().map(r => ratioOf(r, results) as number).filter(x => x > 0)
  const lo = Math.log10(Math.min(1, ...ratios) / 1.5)
  const hi = Math.log10(Math.max(1, ...ratios) * 1.5)
  const [left, plotW, barH] = [300, 560, 14]
  const x = (v: number): number => left + (Math.log10(Math.max(v, 10 ** lo)) - lo) / (hi - lo) * plotW
  const height = 90 + shown.reduce((a, g) => a + g.length * barH + 12, 0)
  const m = meta.machine
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${left + plotW + 140}" height="${height}" font-family="Helvetica, Arial, sans-serif" font-size="11">`,
    '<rect width="100%" height="100%" fill="#ffffff"/>',
    `<text x="10" y="22" font-size="16" font-weight="bold">${esc(meta.title)}</text>`,
    `<text x="10" y="40" fill="#555">${esc(`${meta.date} · ${meta.mode} run · ${m.cpuModel}, ${m.cores} cores · Node ${m.node} · libp2p ${m.versions.libp2p ?? '?'}`)}</text>`,
    `<text x="10" y="56" fill="#555">Bars: median ÷ median of the reference variant (log scale; the line is 1). Labels: ratio and median.</text>`,
    `<line x1="${x(1).toFixed(1)}" x2="${x(1).toFixed(1)}" y1="66" y2="${height - 10}" stroke="#333"/>`
  ]
  let y = 72
  for (const g of shown) {
    const head = g[0] as Result
    out.push(`<text x="${left - 8}" y="${y + barH - 3}" text-anchor="end">${esc(`${head.figure} · ${head.case} · ${head.metric} (${head.better === 'higher' ? '↑' : '↓'} better)`)}</text>`)
    for (const r of g) {
      const ratio = ratioOf(r, results) as number
      const [a, b] = [Math.min(x(1), x(ratio)), Math.max(x(1), x(ratio))]
      out.push(`<rect x="${a.toFixed(1)}" y="${y + 1}" width="${Math.max(1, b - a).toFixed(1)}" height="${barH - 2}" fill="${COLORS[r.variant] ?? '#999'}"/>`,
        `<text x="${(b + 4).toFixed(1)}" y="${y + barH - 3}">${esc(`${r.variant} ${r.variant === r.reference ? 'ref' : `${ratio.toFixed(2)}×`} (${fmt(r.summary.median)} ${r.unit})`)}</text>`)
      y += barH
    }
    y += 12
  }
  return [...out, '</svg>'].join('\n') + '\n'
}
