/** WCAG 2 contrast ratio of two CSS colours given as rgb()/rgba() strings (as getComputedStyle returns them). */
export function parseRgb (css: string): [number, number, number] {
  const m = /rgba?\(\s*([\d.]+)[ ,]+([\d.]+)[ ,]+([\d.]+)/.exec(css)
  if (m === null) throw new Error(`not an rgb colour: ${css}`)
  return [Number(m[1]), Number(m[2]), Number(m[3])]
}

function luminance ([r, g, b]: [number, number, number]): number {
  const f = (c: number): number => { const s = c / 255; return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4 }
  return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b)
}

export function contrast (a: string, b: string): number {
  const [x, y] = [luminance(parseRgb(a)), luminance(parseRgb(b))]
  return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05)
}
