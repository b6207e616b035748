// A uPlot line chart (uPlot: ~20 KB gzipped, canvas, fast with thousands of points).
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface Line {
  label: string;
  color: string;
  values: (number | null)[];
  dash?: number[];
}

export function Chart({
  title,
  x,
  lines,
  height = 220,
  yRange,
  marks = [],
}: {
  title: string;
  x: number[]; // seconds since the epoch
  lines: Line[];
  height?: number;
  yRange?: [number, number];
  marks?: { at: number; label: string }[];
}) {
  const el = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const box = el.current;
    if (!box) return;
    const opts: uPlot.Options = {
      width: Math.max(280, box.clientWidth),
      height,
      series: [{}, ...lines.map((l) => ({ label: l.label, stroke: l.color, width: 2, dash: l.dash, spanGaps: true }))],
      scales: yRange ? { y: { range: yRange } } : {},
      axes: [{}, { size: 48 }],
      legend: { show: true },
      hooks: {
        draw: [
          (u) => {
            const ctx = u.ctx;
            ctx.save();
            ctx.strokeStyle = '#b3261e';
            ctx.setLineDash([4, 4]);
            for (const m of marks) {
              const px = u.valToPos(m.at, 'x', true);
              ctx.beginPath();
              ctx.moveTo(px, u.bbox.top);
              ctx.lineTo(px, u.bbox.top + u.bbox.height);
              ctx.stroke();
            }
            ctx.restore();
          },
        ],
      },
    };
    const plot = new uPlot(opts, [x, ...lines.map((l) => l.values)] as uPlot.AlignedData, box);
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(280, box.clientWidth), height }));
    resize.observe(box);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [x, lines, height, yRange, marks]);
  return <div ref={el} role="img" aria-label={title} className="chart" />;
}
