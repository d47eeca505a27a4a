import { useId, useLayoutEffect, useRef, useState } from 'react';
import './bar-chart.css';

export interface ChartSeries {
  /** Shown in the legend, the bar's tooltip and the table's column header. */
  label: string;
  color: string;
}

export interface ChartRow {
  /** The bucket's label on the x axis and in the table, e.g. "14:00". */
  label: string;
  /** One value per series, in the series' order. */
  values: number[];
}

export interface BarChartProps {
  /** The id of the heading that names the chart. */
  labelledBy: string;
  /** The chart's name, repeated as the SVG's title and the table's caption. */
  title: string;
  series: ChartSeries[];
  rows: ChartRow[];
  /** Stack the series in one bar per row (default) or set them side by side. */
  layout?: 'stacked' | 'grouped';
  height?: number;
}

const MARGIN = { top: 8, right: 8, bottom: 24, left: 36 };

/** 0, 1, 2, 5, 10, 20, 50…: the smallest round number at or above `n`. */
function niceCeiling(n: number): number {
  if (n <= 1) return 1;
  const p = 10 ** Math.floor(Math.log10(n));
  return ([1, 2, 5, 10].find((m) => m * p >= n) ?? 10) * p;
}

/** The width of an element, following resizes (0 until it is laid out). */
function useWidth<T extends HTMLElement>() {
  const ref = useRef<T>(null);
  const [width, setWidth] = useState(0);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    setWidth(el.clientWidth);
    const observer = new ResizeObserver(([entry]) => setWidth(entry.contentRect.width));
    observer.observe(el);
    return () => observer.disconnect();
  }, []);
  return [ref, width] as const;
}

/** The chart's summary for assistive technology: each series' total and where it peaked. */
function describe(series: ChartSeries[], rows: ChartRow[]): string {
  return series
    .map((s, i) => {
      const total = rows.reduce((n, r) => n + r.values[i], 0);
      if (total === 0) return `${s.label}: none.`;
      const peak = rows.reduce((best, r) => (r.values[i] > best.values[i] ? r : best), rows[0]);
      return `${s.label}: ${total} in all, at most ${peak.values[i]} (${peak.label}).`;
    })
    .join(' ');
}

/**
 * A bar chart drawn as SVG: a named image with a text summary for screen readers, a tooltip on
 * each bar, and the same numbers as a table, visually hidden until "Show the numbers".
 */
export function BarChart({
  labelledBy,
  title,
  series,
  rows,
  layout = 'stacked',
  height = 220,
}: BarChartProps) {
  const [box, width] = useWidth<HTMLDivElement>();
  const [isTableShown, setTableShown] = useState(false);
  const id = useId();
  const descId = `${id}-desc`;
  const tableId = `${id}-table`;
  const description = describe(series, rows);

  const plotW = Math.max(0, width - MARGIN.left - MARGIN.right);
  const plotH = height - MARGIN.top - MARGIN.bottom;
  const highest = Math.max(
    0,
    ...rows.map((r) =>
      layout === 'stacked' ? r.values.reduce((a, b) => a + b, 0) : Math.max(...r.values),
    ),
  );
  const top = niceCeiling(highest);
  const y = (v: number) => MARGIN.top + plotH - (v / top) * plotH;
  const slot = rows.length ? plotW / rows.length : 0;
  const barW = Math.max(1, slot * 0.7);
  // a label every `every` rows, so that they do not overlap (about 48 px each)
  const every = Math.max(1, Math.ceil((rows.length * 48) / Math.max(plotW, 1)));
  // counts are whole: a middle line only where it is a whole number
  const ticks =
    top <= 4
      ? Array.from({ length: top + 1 }, (_, i) => i)
      : top % 2
        ? [0, top]
        : [0, top / 2, top];

  return (
    <figure className="bar-chart" aria-labelledby={labelledBy} aria-describedby={descId}>
      <ul className="bar-chart-legend" aria-hidden="true">
        {series.map((s) => (
          <li key={s.label}>
            <span className="swatch" style={{ background: s.color }} />
            {s.label}
          </li>
        ))}
      </ul>
      <div ref={box} className="bar-chart-plot">
        {width > 0 ? (
          <svg
            width={width}
            height={height}
            role="img"
            aria-labelledby={`${id}-title ${descId}`}
            focusable="false"
          >
            <title id={`${id}-title`}>{title}</title>
            <desc>{description}</desc>
            {ticks.map((v) => (
              <g key={v} className="tick">
                <line x1={MARGIN.left} x2={MARGIN.left + plotW} y1={y(v)} y2={y(v)} />
                <text x={MARGIN.left - 6} y={y(v)} dy="0.32em" textAnchor="end">
                  {v}
                </text>
              </g>
            ))}
            {rows.map((r, i) => {
              const x0 = MARGIN.left + i * slot + (slot - barW) / 2;
              let base = 0;
              return (
                <g key={`${r.label}-${i}`}>
                  {r.values.map((v, j) => {
                    if (v === 0) return null;
                    const s = series[j];
                    const tip = `${r.label}: ${s.label} ${v}`;
                    if (layout === 'grouped') {
                      const w = barW / series.length;
                      return (
                        <rect
                          key={s.label}
                          x={x0 + j * w}
                          y={y(v)}
                          width={Math.max(1, w - 1)}
                          height={y(0) - y(v)}
                          fill={s.color}
                        >
                          <title>{tip}</title>
                        </rect>
                      );
                    }
                    const rect = (
                      <rect
                        key={s.label}
                        x={x0}
                        y={y(base + v)}
                        width={barW}
                        height={y(base) - y(base + v)}
                        fill={s.color}
                      >
                        <title>{tip}</title>
                      </rect>
                    );
                    base += v;
                    return rect;
                  })}
                  {i % every === 0 ? (
                    <text
                      className="x-label"
                      x={MARGIN.left + i * slot + slot / 2}
                      y={height - 6}
                      textAnchor="middle"
                    >
                      {r.label}
                    </text>
                  ) : null}
                </g>
              );
            })}
          </svg>
        ) : (
          <div style={{ height }} />
        )}
      </div>
      <p id={descId} className="sr-only">
        {description}
      </p>
      <button
        type="button"
        className="btn btn-link bar-chart-toggle"
        aria-expanded={isTableShown}
        aria-controls={tableId}
        onClick={() => setTableShown((x) => !x)}
      >
        {isTableShown ? 'Hide the numbers' : 'Show the numbers'}
      </button>
      <div id={tableId} className={isTableShown ? 'bar-chart-table' : 'sr-only'}>
        <table className="plain">
          <caption>{title}</caption>
          <thead>
            <tr>
              <th scope="col">Time</th>
              {series.map((s) => (
                <th key={s.label} scope="col">
                  {s.label}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((r, i) => (
              <tr key={`${r.label}-${i}`}>
                <th scope="row">{r.label}</th>
                {r.values.map((v, j) => (
                  <td key={series[j].label}>{v}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </figure>
  );
}
