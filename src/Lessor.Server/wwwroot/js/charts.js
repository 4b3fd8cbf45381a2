// Thin helpers over the vendored Chart.js (loaded as window.Chart by index.html): one look for every chart,
// animation off so the first paint is the final one, and a data-drawn mark tests and people can rely on.

export const palette = ['#2f6fde', '#e07b39', '#1f8a4c', '#9b59b6', '#c2372b', '#16a2b8', '#b7791f', '#5f6b7a'];

const drawnMark = {
  id: 'lessorDrawn',
  afterRender(chart) {
    chart.canvas.dataset.drawn = 'true';
  },
};

/** Ticks of a time axis in epoch milliseconds, as UTC months (Chart.js's own time scale needs a date adapter). */
const monthTicks = { maxRotation: 0, autoSkip: true, maxTicksLimit: 8, callback: (v) => new Date(v).toISOString().slice(0, 7) };

/**
 * A line chart in `canvas`; datasets are {label, data, color, fill?, dashed?, stepped?} (fill: true fills to zero,
 * a Chart.js fill target such as '-1' fills to the dataset before, for a band). With `timeAxis`, labels
 * are null and each data point is {x: epoch ms, y}, so uneven dates keep their true spacing.
 */
export function lineChart(canvas, labels, datasets, { yTitle, stacked = false, legend = true, xTicks = 12, timeAxis = false } = {}) {
  const Chart = window.Chart;
  if (!Chart) throw new Error('The chart library did not load (/vendor/chart.umd.js).');
  return new Chart(canvas, {
    type: 'line',
    data: {
      ...(labels ? { labels } : {}),
      datasets: datasets.map((d) => ({
        label: d.label,
        data: d.data,
        borderColor: d.color,
        backgroundColor: d.fill ? `${d.color}33` : d.color,
        fill: d.fill ? (d.fill === true ? 'origin' : d.fill) : false,
        borderDash: d.dashed ? [6, 4] : [],
        stepped: d.stepped ?? false,
        pointRadius: 0,
        borderWidth: 2,
        tension: 0,
      })),
    },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      interaction: { mode: 'index', intersect: false },
      plugins: { legend: { display: legend, position: 'bottom', labels: { boxWidth: 12 } } },
      scales: {
        x: timeAxis
          ? { type: 'linear', ticks: monthTicks, grid: { display: false } }
          : { ticks: { maxRotation: 0, autoSkip: true, maxTicksLimit: xTicks }, grid: { display: false } },
        y: { beginAtZero: true, stacked, title: { display: Boolean(yTitle), text: yTitle } },
      },
    },
    plugins: [drawnMark],
  });
}

/**
 * A horizontal bar chart in `canvas`; datasets are {label, data, color}. A data point may be a pair [from, to]
 * (a floating bar, as a tornado's range).
 */
export function barChart(canvas, labels, datasets, { xTitle, legend = true } = {}) {
  const Chart = window.Chart;
  if (!Chart) throw new Error('The chart library did not load (/vendor/chart.umd.js).');
  return new Chart(canvas, {
    type: 'bar',
    data: {
      labels,
      datasets: datasets.map((d) => ({ label: d.label, data: d.data, backgroundColor: d.color, borderColor: d.color, borderWidth: 1, borderSkipped: false })),
    },
    options: {
      indexAxis: 'y',
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      plugins: { legend: { display: legend, position: 'bottom', labels: { boxWidth: 12 } } },
      scales: {
        x: { title: { display: Boolean(xTitle), text: xTitle } },
        y: { grid: { display: false } },
      },
    },
    plugins: [drawnMark],
  });
}
