/**
 * Hand-written SVG chart.
 *
 *  - Targets panel (top): every overlay target of the run, met / MISSED, with
 *    the measured value (see lib/targets.ts).
 *  - Ratio chart: for every (figure, case, metric) group that has more than
 *    one variant, one bar per variant showing median / median of the group's
 *    reference variant, on a log scale centred on 1 (the reference). Groups
 *    wrap into rows of at most GROUPS_PER_ROW.
 *  - Groups with a single variant (overlay-only figures such as membership and
 *    fan-in, or gross gossipsub frames) are listed as text under the chart
 *    instead of being drawn as meaningless 1.0 bars.
 */
import type { Result } from './types.ts'
import type { MachineInfo } from './machine.ts'
import type { TargetCheck } from './targets.ts'
import { groupKey, ratioOf } from './table.ts'
import { fmt } from './results.ts'

const PALETTE: Record<string, string> = {
  'raw-tcp': '#7f8c8d',
  'node-process': '#7f8c8d',
  libp2p: '#2e86de',
  gossipsub: '#8e44ad',
  overlay: '#e67e22'
}
const EXTRA = ['#16a085', '#c0392b', '#f1c40f', '#2c3e50']
const GROUPS_PER_ROW = 12

function esc (s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}

interface Group { figure: string, case: string, metric: string, better: string, unit: string, bars: Array<{ variant: string, ratio: number, median: number, isRef: boolean }> }

export interface SvgMeta { title: string, machine: MachineInfo, mode: string, date: string, targets?: TargetCheck[] }

function collect (results: Result[]): { groups: Group[], single: Result[] } {
  const groups: Group[] = []
  const single: Result[] = []
  const seen = new Map<string, Group>()
  for (const r of results) {
    if (r.chart === false) continue
    const k = groupKey(r)
    if (results.filter(x => groupKey(x) === k).length < 2) { single.push(r); continue }
    const ratio = ratioOf(r, results)
    if (ratio == null) continue
    let g = seen.get(k)
    if (g == null) {
      g = { figure: r.figure, case: r.case, metric: r.metric, better: r.better, unit: r.unit, bars: [] }
      seen.set(k, g)
      groups.push(g)
    }
    g.bars.push({ variant: r.variant, ratio, median: r.summary.median, isRef: r.variant === r.reference })
  }
  return { groups, single }
}

/** Single-variant rows as text lines, one per (figure, case, variant), wrapped at ~120 characters. */
function footLinesOf (single: Result[]): string[] {
  const footMap = new Map<string, string[]>()
  for (const r of single) {
    const k = `${r.figure} · ${r.case} [${r.variant}]`
    const parts = footMap.get(k) ?? []
    parts.push(`${r.metric} ${fmt(r.summary.median)}${r.unit === 'ratio' ? '' : ' ' + r.unit} (${fmt(r.summary.min)}–${fmt(r.summary.max)})`)
    footMap.set(k, parts)
  }
  const lines: string[] = []
  for (const [k, parts] of footMap) {
    let line = `${k}: `
    for (const [i, part] of parts.entries()) {
      const piece = part + (i < parts.length - 1 ? ', ' : '')
      if (line.length + piece.length > 120 && line.trim() !== '') { lines.push(line); line = '      ' }
      line += piece
    }
    lines.push(line)
  }
  return lines
}

export function renderSvg (results: Result[], meta: SvgMeta): string {
  const { groups, single } = collect(results)
  const footLines = footLinesOf(single)
  const targets = meta.targets ?? []
  const variants = [...new Set(groups.flatMap(g => g.bars.map(b => b.variant)))]
  const color = (v: string): string => PALETTE[v] ?? EXTRA[variants.indexOf(v) % EXTRA.length] ?? '#999'

  const rows: Group[][] = []
  for (const g of groups) {
    const row = rows[rows.length - 1]
    if (row == null || row.length >= GROUPS_PER_ROW) rows.push([g])
    else row.push(g)
  }
  const barW = 28
  const maxBars = Math.max(1, ...groups.map(g => g.bars.length))
  const groupW = Math.max(maxBars * barW + 40, 112)
  const gap = groupW - maxBars * barW
  const left = 70
  const plotH = 260
  const rowH = plotH + 130
  const targetRows = Math.ceil(targets.length / 2)
  const top0 = 110 + (targets.length > 0 ? 30 + targetRows * 16 + 20 : 0)
  const width = Math.round(Math.max(1000, left + Math.min(groups.length, GROUPS_PER_ROW) * groupW + 30, ...footLines.map(l => left + l.length * 6.2 + 20)))
  const footTop = top0 + rows.length * rowH
  const height = footTop + (footLines.length > 0 ? 30 + footLines.length * 16 : 0) + 20

  const ratios = groups.flatMap(g => g.bars.map(b => b.ratio)).filter(x => x > 0 && Number.isFinite(x))
  const lo = Math.min(1, ...ratios) / 1.6
  const hi = Math.max(1, ...ratios) * 1.6
  const L = (v: number): number => Math.log10(v)
  const out: string[] = []
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`)
  out.push('<rect width="100%" height="100%" fill="#ffffff"/>')
  out.push(`<text x="${left}" y="28" font-size="18" font-weight="bold">${esc(meta.title)}</text>`)
  out.push(`<text x="${left}" y="48" fill="#444">Bars: median of each variant ÷ median of the reference variant of the same metric (log scale; 1 = reference). Labels: ratio and absolute median.</text>`)
  const m = meta.machine
  out.push(`<text x="${left}" y="66" fill="#666" font-size="11">${esc(`${meta.date} · ${meta.mode} run · ${m.cpuModel}, ${m.cores} cores · Node ${m.node} · libp2p ${m.versions.libp2p ?? '?'} · gossipsub ${m.versions['@libp2p/gossipsub'] ?? '?'}`)}</text>`)
  let lx = left
  for (const v of variants) {
    out.push(`<rect x="${lx}" y="80" width="12" height="12" fill="${color(v)}"/>`)
    out.push(`<text x="${lx + 16}" y="91">${esc(v)}</text>`)
    lx += 30 + v.length * 7
  }

  // targets panel, two columns
  if (targets.length > 0) {
    const met = targets.filter(t => t.pass === true).length
    const missed = targets.filter(t => t.pass === false).length
    out.push(`<text x="${left}" y="128" font-weight="bold">Overlay targets: ${met} met, ${missed} missed${targets.length - met - missed > 0 ? `, ${targets.length - met - missed} not measured` : ''} (medians; ratios are overlay ÷ baseline)</text>`)
    const colW = (width - left - 20) / 2
    targets.forEach((t, i) => {
      const x = left + (i < targetRows ? 0 : colW)
      const yy = 148 + (i % targetRows) * 16
      const mark = t.pass === null ? '–' : t.pass ? '✔' : '✘'
      const fill = t.pass === null ? '#777' : t.pass ? '#1e8449' : '#c0392b'
      const val = t.value === undefined ? t.measured : `${t.measured}; ${t.target}`
      out.push(`<text x="${x}" y="${yy}" font-size="11" fill="${fill}"><tspan font-weight="bold">${mark} ${esc(t.id)}</tspan> ${esc(t.label)}: ${esc(val)}</text>`)
    })
  }

  rows.forEach((row, ri) => {
    const top = top0 + ri * rowH + 20
    const y = (v: number): number => top + plotH - (L(v) - L(lo)) / (L(hi) - L(lo)) * plotH
    const ticks = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000].filter(t => t >= lo && t <= hi)
    const rowRight = left + row.length * groupW
    for (const t of ticks) {
      const yy = y(t).toFixed(1)
      out.push(`<line x1="${left}" x2="${rowRight}" y1="${yy}" y2="${yy}" stroke="${t === 1 ? '#333' : '#e3e3e3'}" stroke-width="${t === 1 ? 1.5 : 1}"/>`)
      out.push(`<text x="${left - 6}" y="${(y(t) + 4).toFixed(1)}" text-anchor="end" fill="#555">${t}×</text>`)
    }
    let prevFigure = ''
    row.forEach((g, gi) => {
      const gx = left + gi * groupW + gap / 2
      if (g.figure !== prevFigure) {
        if (gi > 0) out.push(`<line x1="${gx - gap / 2}" x2="${gx - gap / 2}" y1="${top - 10}" y2="${top + plotH + 70}" stroke="#bbb" stroke-dasharray="4 3"/>`)
        out.push(`<text x="${gx}" y="${top - 8}" font-weight="bold" fill="#222">${esc(g.figure)}</text>`)
        prevFigure = g.figure
      }
      g.bars.forEach((b, bi) => {
        const x = gx + bi * barW
        const y1 = y(1)
        const y2 = y(Math.max(b.ratio, lo))
        if (b.isRef) {
          out.push(`<rect x="${x + 2}" y="${(y1 - 1.5).toFixed(1)}" width="${barW - 4}" height="3" fill="${color(b.variant)}"/>`)
          out.push(`<text x="${x + barW / 2}" y="${(y1 - 6).toFixed(1)}" text-anchor="middle" font-size="9" fill="#555">ref</text>`)
        } else {
          const yt = Math.min(y1, y2)
          const h = Math.max(1, Math.abs(y2 - y1))
          out.push(`<rect x="${x + 2}" y="${yt.toFixed(1)}" width="${barW - 4}" height="${h.toFixed(1)}" fill="${color(b.variant)}"><title>${esc(`${g.figure} ${g.case} ${g.metric} ${b.variant}: ${fmt(b.median)} ${g.unit} (${b.ratio.toFixed(3)}× ref)`)}</title></rect>`)
          const ly = b.ratio >= 1 ? yt - 4 : yt + h + 11
          out.push(`<text x="${x + barW / 2}" y="${ly.toFixed(1)}" text-anchor="middle" font-size="10" font-weight="bold">${b.ratio >= 10 ? b.ratio.toFixed(0) : b.ratio.toFixed(2)}×</text>`)
        }
        out.push(`<text x="${x + barW / 2}" y="${top + plotH + 14}" text-anchor="end" font-size="9" fill="#555" transform="rotate(-45 ${x + barW / 2} ${top + plotH + 14})">${esc(fmt(b.median))}</text>`)
      })
      const cx = gx + (g.bars.length * barW) / 2
      out.push(`<text x="${cx}" y="${top + plotH + 52}" text-anchor="middle" font-size="11">${esc(g.case)}</text>`)
      out.push(`<text x="${cx}" y="${top + plotH + 66}" text-anchor="middle" font-size="11">${esc(g.metric)}</text>`)
      out.push(`<text x="${cx}" y="${top + plotH + 80}" text-anchor="middle" font-size="10" fill="#777">${esc(g.unit)} · ${g.better === 'higher' ? '↑ better' : '↓ better'}</text>`)
    })
  })
  if (groups.length === 0) out.push(`<text x="${left}" y="${top0 + plotH / 2}" fill="#777">no figure has two variants in this run</text>`)

  if (footLines.length > 0) {
    let fy = footTop + 10
    out.push(`<text x="${left}" y="${fy}" font-weight="bold">Single-variant rows (no baseline run for them), absolute medians (min–max over runs):</text>`)
    for (const l of footLines) { fy += 16; out.push(`<text x="${left}" y="${fy}" font-size="11" fill="#333" xml:space="preserve">${esc(l)}</text>`) }
  }
  out.push('</svg>')
  return out.join('\n') + '\n'
}
