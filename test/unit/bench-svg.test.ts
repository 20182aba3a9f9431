/**
 * The benches' SVG charts, read back from the markup: the ticks, the escaping, the step lines'
 * corners and the waterfall's bar widths are checked against values worked out from the inputs,
 * with ratios where the pixel scale is the chart's own business.
 */
import { describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM script without types
import { escapeXml, niceTicks, stepPoints, timeSeriesChart, waterfallChart } from '../../bench/svg.mjs';

type Attributes = Record<string, string>;

/** Each element's name and attributes, in document order. */
function elements(svg: string): Array<{ name: string; attributes: Attributes }> {
  return [...svg.matchAll(/<([a-zA-Z]+)((?:\s+[\w:-]+="[^"]*")*)\s*\/?>/g)].map((match) => ({
    name: match[1]!,
    attributes: Object.fromEntries([...match[2]!.matchAll(/([\w:-]+)="([^"]*)"/g)].map((a) => [a[1], a[2]])),
  }));
}

/** Fails unless every tag closes in order and nothing but entities uses `&` or `<`. */
function expectWellFormed(svg: string) {
  const open: string[] = [];
  for (const [tag, closing, name, selfClosing] of svg.matchAll(/<(\/?)([a-zA-Z]+)[^<>]*?(\/?)>/g)) {
    if (closing) expect(open.pop(), tag).toBe(name);
    else if (!selfClosing) open.push(name!);
  }
  expect(open).toEqual([]);
  expect(svg.replace(/<[^<>]*>/g, '')).not.toMatch(/[<>]|&(?!(amp|lt|gt|quot|apos);)/);
}

const points = (attribute: string) =>
  attribute.split(' ').map((pair) => pair.split(',').map(Number) as [number, number]);
const polylines = (svg: string) => elements(svg).filter((e) => e.name === 'polyline');

describe('niceTicks', () => {
  it.each([
    [0, 100, 5],
    [0.3, 7.2, 5],
    [-13, 47, 4],
    [0, 0.3, 3],
    [1234, 98_765, 8],
    [0.001, 0.0042, 6],
  ])('covers %s..%s with about %s round, evenly spaced steps', (min, max, count) => {
    const ticks: number[] = niceTicks(min, max, count);
    const step = ticks[1]! - ticks[0]!;
    expect(ticks[0]).toBeLessThanOrEqual(min);
    expect(ticks.at(-1)).toBeGreaterThanOrEqual(max);
    expect(ticks[0]).toBeGreaterThan(min - step);
    expect(ticks.at(-1)).toBeLessThan(max + step);
    expect(ticks.length - 1).toBeLessThanOrEqual(count + 2);
    expect(ticks.length - 1).toBeGreaterThanOrEqual(Math.floor(count / 2.5));
    const mantissa = step / 10 ** Math.floor(Math.log10(step) + 1e-9); // 0.002 - 0.001 is 0.000999...
    expect([1, 2, 5].some((m) => Math.abs(mantissa - m) < 1e-9)).toBe(true);
    ticks.forEach((tick, i) => expect(tick).toBeCloseTo(ticks[0]! + i * step, 9));
  });

  it('gives the literal values for plain ranges, without floating-point tails', () => {
    expect(niceTicks(0, 100, 5)).toEqual([0, 20, 40, 60, 80, 100]);
    expect(niceTicks(0, 0.3, 3)).toEqual([0, 0.1, 0.2, 0.3]);
    expect(niceTicks(0.3, 7.2, 5)).toEqual([0, 2, 4, 6, 8]);
  });

  it('widens an empty range and rejects a non-number', () => {
    const ticks: number[] = niceTicks(5, 5, 4);
    expect(ticks[0]).toBeLessThanOrEqual(5);
    expect(ticks.at(-1)).toBeGreaterThan(5);
    expect(() => niceTicks(0, Number.NaN, 5)).toThrow(/received 0, NaN, 5/);
  });
});

describe('escapeXml', () => {
  it('escapes the five XML specials', () => {
    expect(escapeXml(`a<b & "c" 'd'>`)).toBe('a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;');
  });
});

describe('stepPoints', () => {
  it('holds each value until the next x: across, then up or down', () => {
    expect(
      stepPoints([
        [0, 0],
        [1, 2],
        [3, 1],
      ]),
    ).toEqual([
      [0, 0],
      [1, 0],
      [1, 2],
      [3, 2],
      [3, 1],
    ]);
  });
});

describe('timeSeriesChart', () => {
  const chart = (title = 'Burst') =>
    timeSeriesChart({
      title,
      xLabel: 'seconds',
      panels: [
        {
          title: 'Environments',
          yLabel: 'count',
          series: [
            {
              name: 'ours',
              step: true,
              points: [
                [0, 0],
                [1, 2],
                [3, 1],
              ],
            },
            {
              name: 'official <1.23> & co',
              points: [
                [0, 0],
                [1, 2],
                [3, 1],
              ],
            },
          ],
        },
        {
          title: 'Backlog',
          yLabel: 'workflows',
          series: [
            {
              name: 'ours',
              step: true,
              points: [
                [0, 5],
                [2, 0],
              ],
            },
          ],
        },
      ],
    }) as string;

  it('is one well-formed svg element with each series named once in the legend', () => {
    const svg = chart();
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expectWellFormed(svg);
    const legend = svg.match(/<g class="legend">([\s\S]*?)<\/g>/)![1]!;
    expect(legend.match(/>ours</g)).toHaveLength(1);
    expect(legend).toContain('>official &lt;1.23&gt; &amp; co<');
  });

  it('escapes the title', () => {
    const svg = chart('p50 < p99 & "more"');
    expect(svg).toContain('p50 &lt; p99 &amp; &quot;more&quot;');
    expect(svg).not.toContain('p50 < p99');
    expectWellFormed(svg);
  });

  it('draws a step series across then up or down, at the data proportions', () => {
    const [step] = polylines(chart());
    const [p0, p1, p2, p3, p4, ...rest] = points(step!.attributes.points!);
    expect(rest).toEqual([]);
    expect([p1![1], p2![0], p3![1], p4![0]]).toEqual([p0![1], p1![0], p2![1], p3![0]]);
    // x = 0, 1, 1, 3, 3 and y = 0, 0, 2, 2, 1 on linear scales (y grows downwards on screen)
    expect((p1![0] - p0![0]) / (p4![0] - p0![0])).toBeCloseTo(1 / 3, 3);
    expect((p2![1] - p0![1]) / (p4![1] - p0![1])).toBeCloseTo(2, 3);
    expect(p2![1]).toBeLessThan(p0![1]);
  });

  it('draws a series without step straight from point to point', () => {
    const [step, straight] = polylines(chart());
    const corners = points(straight!.attributes.points!);
    expect(corners).toHaveLength(3);
    expect(corners[1]).toEqual(points(step!.attributes.points!)[2]);
  });

  it('gives a series the same colour in every panel and each series its own', () => {
    const [ours, official, oursBacklog] = polylines(chart()).map((line) => line.attributes.stroke);
    expect(oursBacklog).toBe(ours);
    expect(official).not.toBe(ours);
  });
});

describe('waterfallChart', () => {
  const rows = [
    {
      label: 'ours',
      segments: [
        { name: 'load', start: 0, end: 300 },
        { name: 'connect', start: 400, end: 500 }, // a gap of 100 before it
      ],
    },
    {
      label: 'official',
      segments: [
        { name: 'load', start: 0, end: 600 },
        { name: 'connect', start: 600, end: 750 },
        { name: 'poll', start: 750, end: 752 },
      ],
    },
  ];
  const svg = waterfallChart({ title: 'Cold start', unit: 'ms', rows }) as string;
  const bars = elements(svg).filter((e) => e.attributes.class === 'segment');
  const number = (bar: { attributes: Attributes }, key: string) => Number(bar.attributes[key]);

  it('is well-formed, with a rect per segment as wide as its duration', () => {
    expectWellFormed(svg);
    expect(bars.map((bar) => bar.name)).toEqual(['rect', 'rect', 'rect', 'rect', 'rect']);
    const durations = rows.flatMap((row) => row.segments.map((s) => s.end - s.start));
    const pxPerMs = number(bars[0]!, 'width') / durations[0]!;
    bars.forEach((bar, i) => expect(number(bar, 'width') / pxPerMs).toBeCloseTo(durations[i]!, 0));
    expect(number(bars[2]!, 'width') / number(bars[0]!, 'width')).toBeCloseTo(2, 2);
  });

  it('leaves a gap empty and keeps a segment name on one colour', () => {
    const [load, connect, officialLoad, officialConnect] = bars;
    const gapPx = number(connect!, 'x') - (number(load!, 'x') + number(load!, 'width'));
    expect(gapPx / number(load!, 'width')).toBeCloseTo(100 / 300, 2);
    expect(officialLoad!.attributes.fill).toBe(load!.attributes.fill);
    expect(officialConnect!.attributes.fill).toBe(connect!.attributes.fill);
    expect(connect!.attributes.fill).not.toBe(load!.attributes.fill);
  });

  it('writes a duration inside its bar only when it fits, and names the segments in a legend', () => {
    expect(svg).toMatch(/>300 ms<\/text>/);
    expect(svg).toMatch(/>150 ms<\/text>/);
    expect(svg).not.toMatch(/>2 ms<\/text>/);
    const legend = svg.match(/<g class="legend">([\s\S]*?)<\/g>/)![1]!;
    for (const name of ['load', 'connect', 'poll']) expect(legend).toContain(`>${name}<`);
  });

  it('rejects a segment that ends before it starts', () => {
    const backwards = [{ label: 'x', segments: [{ name: 'load', start: 5, end: 2 }] }];
    expect(() => waterfallChart({ title: 't', unit: 'ms', rows: backwards })).toThrow(/load ends \(2\) before/);
  });
});
