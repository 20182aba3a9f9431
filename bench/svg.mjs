// Charts for the benches as SVG text, without dependencies: each file is self-contained (no fonts,
// stylesheets or scripts to fetch), so it looks the same on GitHub, in an editor's preview and in a
// browser, and a rerun of a bench changes the committed file line by line.

const WIDTH = 900;
const MARGIN = { left: 70, right: 24 };
const INK = '#222';
const GRID = '#e3e3e3';
const MUTED = '#666';
// Okabe-Ito: told apart with the common colour-vision deficiencies; the pale yellow comes last.
// Okabe and Ito's eight colours, then four of Paul Tol's muted set, so that a waterfall's dozen
// segment kinds do not share a colour.
const PALETTE = [
  '#0072B2',
  '#E69F00',
  '#009E73',
  '#CC79A7',
  '#56B4E9',
  '#D55E00',
  '#999999',
  '#F0E442',
  '#332288',
  '#882255',
  '#44AA99',
  '#DDCC77',
];
const PANEL_HEIGHT = 150;
const PANEL_STEP = PANEL_HEIGHT + 62; // the panel's title above it, tick labels below
const BAR_HEIGHT = 26;
const ROW_STEP = BAR_HEIGHT + 14;

/**
 * Escapes text for an XML text node or a double-quoted attribute.
 * @param {unknown} text
 * @returns {string}
 */
export function escapeXml(text) {
  const entities = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };
  return String(text).replace(/[&<>"']/g, (c) => entities[c]);
}

/**
 * Round axis ticks (steps of 1, 2 or 5 times a power of ten) from at or below `min` to at or above
 * `max`, about `count` intervals.
 * @param {number} min
 * @param {number} max
 * @param {number} [count]
 * @returns {number[]}
 */
export function niceTicks(min, max, count = 5) {
  if (!Number.isFinite(min) || !Number.isFinite(max) || !(count >= 1))
    throw new Error(`niceTicks: expected finite min and max and count >= 1, received ${min}, ${max}, ${count}`);
  const [low, high] = min === max ? [min, min + 1] : [Math.min(min, max), Math.max(min, max)];
  const rough = (high - low) / count;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= rough) ?? 10 * magnitude;
  // Rounded to the step's decimals so 0.1 + 0.2 prints as 0.3.
  const decimals = Math.max(0, -Math.floor(Math.log10(step)));
  const first = Math.floor(low / step);
  const last = Math.ceil(high / step);
  return Array.from({ length: last - first + 1 }, (_, i) => Number(((first + i) * step).toFixed(decimals)));
}

/**
 * The corners of a step line through `points` (in x order): each value holds until the next x.
 * @param {Array<[number, number]>} points
 * @returns {Array<[number, number]>}
 */
export function stepPoints(points) {
  const corners = [];
  for (const [x, y] of points) {
    if (corners.length > 0) corners.push([x, corners[corners.length - 1][1]]);
    corners.push([x, y]);
  }
  return corners;
}

/**
 * Stacked panels over one time axis, one line per series, a colour per series name shared by all
 * panels, and one legend.
 * @param {{ title: string, xLabel: string, panels: Array<{ title: string, yLabel: string,
 *   series: Array<{ name: string, points: Array<[number, number]>, step?: boolean }> }> }} chart
 * @returns {string}
 */
export function timeSeriesChart({ title, xLabel, panels }) {
  const colourOf = colourMap(panels.flatMap((panel) => panel.series.map((series) => series.name)));
  const key = legend(colourOf, 52, lineSwatch);
  const [minX, maxX] = extent(
    panels.flatMap((panel) => panel.series.flatMap((series) => series.points)),
    0,
  );
  const xTicks = niceTicks(Math.min(0, minX), maxX, 10);
  const x = linear([xTicks[0], xTicks[xTicks.length - 1]], [MARGIN.left, WIDTH - MARGIN.right]);
  const drawn = panels.map((panel, i) => {
    const top = key.bottom + 36 + i * PANEL_STEP;
    const plot = { left: MARGIN.left, right: WIDTH - MARGIN.right, top, bottom: top + PANEL_HEIGHT };
    return drawPanel(panel, plot, x, xTicks, colourOf);
  });
  const bottom = key.bottom + 36 + panels.length * PANEL_STEP - 22;
  const axisTitle = label(WIDTH / 2, bottom, xLabel, { 'text-anchor': 'middle', 'font-size': 12 });
  return svgDocument(bottom + 16, title, [heading(title), key.markup, ...drawn, axisTitle]);
}

/**
 * A Gantt-style waterfall: one bar row per label, its segments placed on one axis from process
 * start, coloured by segment name; each duration is written inside its bar when it fits.
 * @param {{ title: string, unit: string, rows: Array<{ label: string,
 *   segments: Array<{ name: string, start: number, end: number }> }> }} chart
 * @returns {string}
 */
export function waterfallChart({ title, unit, rows }) {
  const segments = rows.flatMap((row) => row.segments);
  for (const { name, start, end } of segments)
    if (!(end >= start)) throw new Error(`waterfallChart: segment ${name} ends (${end}) before it starts (${start})`);
  const colourOf = colourMap(segments.map((segment) => segment.name));
  const key = legend(colourOf, 52, boxSwatch);
  const labelWidth = Math.max(0, ...rows.map((row) => textWidth(row.label, 13)));
  const top = key.bottom + 20;
  const plot = { left: Math.max(MARGIN.left, labelWidth + 24), right: WIDTH - MARGIN.right, top };
  plot.bottom = top + rows.length * ROW_STEP;
  const ticks = niceTicks(Math.min(0, ...segments.map((s) => s.start)), Math.max(0, ...segments.map((s) => s.end)), 8);
  const x = linear([ticks[0], ticks[ticks.length - 1]], [plot.left, plot.right]);
  const bars = rows.map((row, i) => drawRow(row, top + i * ROW_STEP + 7, plot, x, colourOf, unit));
  const axisTitle = label((plot.left + plot.right) / 2, plot.bottom + 38, `${unit} from process start`, {
    'text-anchor': 'middle',
    'font-size': 12,
  });
  const grid = verticalGrid(ticks, x, plot);
  return svgDocument(plot.bottom + 54, title, [heading(title), key.markup, grid, ...bars, axisTitle]);
}

/** One panel: frame, title, y label, gridlines with ticks, then its lines over them. */
function drawPanel(panel, plot, x, xTicks, colourOf) {
  const [minY, maxY] = extent(
    panel.series.flatMap((series) => series.points),
    1,
  );
  const yTicks = niceTicks(Math.min(0, minY), Math.max(0, maxY), 4);
  const y = linear([yTicks[0], yTicks[yTicks.length - 1]], [plot.bottom, plot.top]);
  const yMiddle = (plot.top + plot.bottom) / 2;
  const lines = panel.series
    .filter((series) => series.points.length > 0)
    .map((series) => {
      const ordered = [...series.points].sort((a, b) => a[0] - b[0]);
      const corners = series.step ? stepPoints(ordered) : ordered;
      return element('polyline', {
        class: 'series',
        'data-series': series.name,
        points: corners.map(([px, py]) => `${round(x(px))},${round(y(py))}`).join(' '),
        fill: 'none',
        stroke: colourOf.get(series.name),
        'stroke-width': 2,
        'stroke-linejoin': 'round',
      });
    });
  return [
    label(plot.left, plot.top - 10, panel.title, { 'font-size': 13, 'font-weight': 'bold' }),
    label(18, yMiddle, panel.yLabel, {
      'text-anchor': 'middle',
      'font-size': 12,
      transform: `rotate(-90 18 ${yMiddle})`,
    }),
    verticalGrid(xTicks, x, plot),
    horizontalGrid(yTicks, y, plot),
    element('rect', { ...box(plot), fill: 'none', stroke: MUTED }),
    ...lines,
  ].join('\n');
}

/** One waterfall row: its label, then a bar per segment, gaps left empty. */
function drawRow(row, top, plot, x, colourOf, unit) {
  const parts = [label(plot.left - 10, top + BAR_HEIGHT / 2 + 4, row.label, { 'text-anchor': 'end', 'font-size': 13 })];
  for (const { name, start, end } of row.segments) {
    const left = x(start);
    const width = x(end) - left;
    const colour = colourOf.get(name);
    const duration = `${formatNumber(end - start)} ${unit}`;
    const tip = element(
      'title',
      {},
      escapeXml(`${name}: ${formatNumber(start)} to ${formatNumber(end)} ${unit} (${duration})`),
    );
    parts.push(element('rect', { class: 'segment', x: left, y: top, width, height: BAR_HEIGHT, fill: colour }, tip));
    if (textWidth(duration, 11) + 8 <= width)
      parts.push(
        label(left + width / 2, top + BAR_HEIGHT / 2 + 4, duration, {
          'text-anchor': 'middle',
          'font-size': 11,
          fill: textColourOn(colour),
        }),
      );
  }
  return parts.join('\n');
}

/** Vertical gridlines at the x ticks, with their values under the plot. */
function verticalGrid(ticks, x, plot) {
  return ticks
    .map((tick) => {
      const at = x(tick);
      const line = element('line', { x1: at, x2: at, y1: plot.top, y2: plot.bottom, stroke: GRID });
      const value = label(at, plot.bottom + 16, formatNumber(tick), {
        'text-anchor': 'middle',
        'font-size': 11,
        fill: MUTED,
      });
      return `${line}\n${value}`;
    })
    .join('\n');
}

/** Horizontal gridlines at the y ticks, with their values left of the plot. */
function horizontalGrid(ticks, y, plot) {
  return ticks
    .map((tick) => {
      const at = y(tick);
      const line = element('line', { x1: plot.left, x2: plot.right, y1: at, y2: at, stroke: GRID });
      const value = label(plot.left - 6, at + 4, formatNumber(tick), {
        'text-anchor': 'end',
        'font-size': 11,
        fill: MUTED,
      });
      return `${line}\n${value}`;
    })
    .join('\n');
}

/** Swatches and names in rows wrapped to the chart's width; `bottom` is where the legend ends. */
function legend(colourOf, top, swatch) {
  const items = [];
  let left = MARGIN.left;
  let y = top;
  for (const [name, colour] of colourOf) {
    const width = 24 + textWidth(name, 12) + 20;
    if (left + width > WIDTH - MARGIN.right && left > MARGIN.left) [left, y] = [MARGIN.left, y + 20];
    items.push(swatch(left, y, colour), label(left + 24, y + 4, name, { 'font-size': 12 }));
    left += width;
  }
  return { markup: element('g', { class: 'legend' }, `\n${items.join('\n')}\n`), bottom: y + 8 };
}

const lineSwatch = (x, y, colour) =>
  element('line', { x1: x, x2: x + 18, y1: y, y2: y, stroke: colour, 'stroke-width': 3 });
const boxSwatch = (x, y, colour) => element('rect', { x, y: y - 6, width: 18, height: 12, fill: colour });

function svgDocument(height, title, parts) {
  const root = {
    xmlns: 'http://www.w3.org/2000/svg',
    width: WIDTH,
    height,
    viewBox: `0 0 ${WIDTH} ${round(height)}`,
    role: 'img',
    'font-family': 'Helvetica, Arial, sans-serif',
    fill: INK,
  };
  const background = element('rect', { width: '100%', height: '100%', fill: '#fff' });
  return `${element('svg', root, `\n${[element('title', {}, escapeXml(title)), background, ...parts].join('\n')}\n`)}\n`;
}

const heading = (title) => label(MARGIN.left, 28, title, { 'font-size': 17, 'font-weight': 'bold' });

/** An element with its attributes escaped; `content` is markup already (escape text first). */
function element(name, attributes, content) {
  const list = Object.entries(attributes)
    .map(([key, value]) => ` ${key}="${escapeXml(typeof value === 'number' ? round(value) : value)}"`)
    .join('');
  return content === undefined ? `<${name}${list}/>` : `<${name}${list}>${content}</${name}>`;
}

const label = (x, y, text, attributes = {}) => element('text', { x, y, ...attributes }, escapeXml(text));
const box = ({ left, right, top, bottom }) => ({ x: left, y: top, width: right - left, height: bottom - top });
const round = (n) => Math.round(n * 100) / 100;
const formatNumber = (n) => String(Math.abs(n) >= 10 ? Math.round(n) : round(n));
// No font metrics without a renderer: an average glyph of a sans-serif face is about 0.6 em wide.
const textWidth = (text, fontSize) => String(text).length * fontSize * 0.6;

function colourMap(names) {
  const colours = new Map();
  for (const name of names) if (!colours.has(name)) colours.set(name, PALETTE[colours.size % PALETTE.length]);
  return colours;
}

/** Lowest and highest coordinate `axis` (0 for x, 1 for y) of the points; [0, 1] when there are none. */
function extent(points, axis) {
  let [low, high] = [Infinity, -Infinity];
  for (const point of points) [low, high] = [Math.min(low, point[axis]), Math.max(high, point[axis])];
  return low <= high ? [low, high] : [0, 1];
}

function linear([d0, d1], [r0, r1]) {
  const scale = (r1 - r0) / (d1 - d0 || 1);
  return (value) => r0 + (value - d0) * scale;
}

/** Black or white, whichever reads better on `hex` (by the sRGB relative luminance). */
function textColourOn(hex) {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255);
  const linearise = (c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
  const luminance = 0.2126 * linearise(r) + 0.7152 * linearise(g) + 0.0722 * linearise(b);
  return luminance > 0.179 ? '#000' : '#fff'; // where the two contrasts are equal
}
