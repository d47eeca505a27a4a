/** One sample of a Prometheus text exposition (0 when the series is absent). */
export function sample(exposition: string, series: string): number {
  for (const line of exposition.split('\n'))
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
  return 0;
}
